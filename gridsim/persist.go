package gridsim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Durability. With a data directory every write transaction is written to an embedded bbolt
// database, and its reply waits until bbolt has committed (fsync) it. Transactions that arrive
// while a commit is running are grouped into the next bbolt transaction (group commit), so
// many concurrent writers share one fsync; a write is never acknowledged before it is
// durable. A batch (request object) is one transaction, written as a whole or not at all.
//
// If a commit fails, the transactions of that group and every newer one still waiting are
// rolled back in memory, newest first, and their requests fail with 503: memory goes back to
// exactly what the disk holds.

var (
	bucketObjects = []byte("objects")
	bucketMeta    = []byte("meta")
)

type persister struct {
	s    *Server
	db   *bolt.DB
	mu   sync.Mutex
	q    []*pending
	busy bool // a group is being committed
	kick chan struct{}
	stop chan struct{}
	done chan struct{}
}

type pending struct {
	t    *tx
	keys []string
	vals [][]byte // nil: delete
	wipe bool
	errc chan error
	// nextNetView and nextDNSView are the store's next view ids when the transaction was
	// queued, read under the server's lock and committed with it; 0 for a barrier.
	nextNetView, nextDNSView uint32
}

func openPersister(dir string, s *Server) (*persister, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("gridsim: data directory: %w", err)
	}
	db, err := bolt.Open(filepath.Join(dir, "grid.db"), 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("gridsim: open database in %s: %w", dir, err)
	}
	p := &persister{s: s, db: db, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	if err := p.load(); err != nil {
		_ = db.Close()
		return nil, err
	}
	go p.loop()
	return p, nil
}

// load reads every object into the server's store.
func (p *persister) load() error { return p.loadInto(p.s.st) }

// loadInto reads every object into st.
func (p *persister) loadInto(st *store) error {
	return p.db.Update(func(btx *bolt.Tx) error {
		b, err := btx.CreateBucketIfNotExists(bucketObjects)
		if err != nil {
			return err
		}
		if _, err := btx.CreateBucketIfNotExists(bucketMeta); err != nil {
			return err
		}
		meta := btx.Bucket(bucketMeta)
		if v := meta.Get([]byte("next_net_view")); len(v) == 4 {
			st.nextNetView = max(st.nextNetView, binary.BigEndian.Uint32(v))
		}
		if v := meta.Get([]byte("next_dns_view")); len(v) == 4 {
			st.nextDNSView = max(st.nextDNSView, binary.BigEndian.Uint32(v))
		}
		// Views first, so that the other objects' view names resolve while they load.
		var rest [][2][]byte
		err = b.ForEach(func(k, v []byte) error {
			o, err := p.decode(string(k), v)
			if err != nil {
				return fmt.Errorf("gridsim: object %q in the database: %w", k, err)
			}
			if o.t.ident == idNetView || o.t.ident == idDNSView || o.t.ident == idSingleton {
				if old := st.keys[o.key]; old != nil {
					st.unindex(old)
				}
				st.index(o)
				return nil
			}
			rest = append(rest, [2][]byte{k, v})
			return nil
		})
		if err != nil {
			return err
		}
		for _, kvp := range rest {
			o, err := p.decode(string(kvp[0]), kvp[1])
			if err != nil {
				return err
			}
			st.index(o)
		}
		return nil
	})
}

// Object encoding: type name, view, then (field name, value) pairs, each length-prefixed.
func encodeObject(o *object) []byte {
	b := make([]byte, 0, 64)
	b = appendStr(b, o.t.name)
	b = binary.AppendUvarint(b, uint64(o.view))
	b = binary.AppendUvarint(b, uint64(len(o.vals)))
	for _, v := range o.vals {
		b = appendStr(b, o.t.fields[v.f].name)
		b = appendStr(b, v.v)
	}
	return b
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

var errCorrupt = errors.New("corrupt record")

func (p *persister) decode(key string, b []byte) (*object, error) {
	readStr := func() (string, bool) {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return "", false
		}
		s := string(b[k : k+int(n)])
		b = b[k+int(n):]
		return s, true
	}
	name, ok := readStr()
	if !ok {
		return nil, errCorrupt
	}
	ty := p.s.ty.byName[name]
	if ty == nil {
		return nil, fmt.Errorf("unknown type %q", name)
	}
	view, k := binary.Uvarint(b)
	if k <= 0 {
		return nil, errCorrupt
	}
	b = b[k:]
	n, k := binary.Uvarint(b)
	if k <= 0 || n > 1024 {
		return nil, errCorrupt
	}
	b = b[k:]
	o := &object{t: ty, key: key, view: uint32(view)}
	for range n {
		f, ok1 := readStr()
		v, ok2 := readStr()
		if !ok1 || !ok2 {
			return nil, errCorrupt
		}
		fd := ty.field(f)
		if fd == nil {
			continue // a field this version no longer knows
		}
		o.vals = setVal(o.vals, fd.idx, v)
	}
	return o, nil
}

// enqueue queues t for the next commit; the caller holds the server's write lock, so the
// queue is in transaction order. The channel receives the commit's outcome.
func (p *persister) enqueue(t *tx) <-chan error {
	keys, objs := t.net()
	pd := &pending{t: t, keys: keys, vals: make([][]byte, len(objs)), errc: make(chan error, 1),
		nextNetView: t.s.nextNetView, nextDNSView: t.s.nextDNSView}
	for i, o := range objs {
		if o != nil {
			pd.vals[i] = encodeObject(o)
		}
	}
	return p.push(pd)
}

func (p *persister) push(pd *pending) <-chan error {
	p.mu.Lock()
	p.q = append(p.q, pd)
	p.mu.Unlock()
	select {
	case p.kick <- struct{}{}:
	default:
	}
	return pd.errc
}

// idle reports whether nothing is queued or being committed.
func (p *persister) idle() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.q) == 0 && !p.busy
}

// barrier queues an empty transaction: its channel receives once everything queued before it
// is committed (or has failed).
func (p *persister) barrier() <-chan error {
	return p.push(&pending{errc: make(chan error, 1)})
}

// wipe queues the deletion of every object, after every write queued before it; the caller
// holds the server's write lock and has replaced its store with st.
func (p *persister) wipe(st *store) <-chan error {
	return p.push(&pending{wipe: true, errc: make(chan error, 1), nextNetView: st.nextNetView, nextDNSView: st.nextDNSView})
}

func (p *persister) loop() {
	defer close(p.done)
	for {
		select {
		case <-p.kick:
		case <-p.stop:
			p.flush()
			return
		}
		p.flush()
	}
}

// flush commits everything queued, group by group.
func (p *persister) flush() {
	for {
		p.mu.Lock()
		group := p.q
		p.q = nil
		p.busy = len(group) > 0
		p.mu.Unlock()
		if len(group) == 0 {
			return
		}
		err := p.db.Update(func(btx *bolt.Tx) error {
			var last *pending // the last item that carries the view ids
			for _, pd := range group {
				if pd.nextNetView != 0 {
					last = pd
				}
				if pd.wipe {
					if err := btx.DeleteBucket(bucketObjects); err != nil && !errors.Is(err, berrors.ErrBucketNotFound) {
						return err
					}
					if _, err := btx.CreateBucket(bucketObjects); err != nil {
						return err
					}
					continue
				}
				b := btx.Bucket(bucketObjects)
				for i, k := range pd.keys {
					var err error
					if pd.vals[i] == nil {
						err = b.Delete([]byte(k))
					} else {
						err = b.Put([]byte(k), pd.vals[i])
					}
					if err != nil {
						return err
					}
				}
			}
			if last == nil {
				return nil
			}
			var buf [4]byte
			binary.BigEndian.PutUint32(buf[:], last.nextNetView)
			if err := btx.Bucket(bucketMeta).Put([]byte("next_net_view"), append([]byte(nil), buf[:]...)); err != nil {
				return err
			}
			binary.BigEndian.PutUint32(buf[:], last.nextDNSView)
			return btx.Bucket(bucketMeta).Put([]byte("next_dns_view"), append([]byte(nil), buf[:]...))
		})
		if err == nil {
			p.mu.Lock()
			p.busy = false
			p.mu.Unlock()
			for _, pd := range group {
				pd.errc <- nil
			}
			continue
		}
		p.fail(group, err)
	}
}

// fail rolls back the failed group and every transaction queued after it.
func (p *persister) fail(group []*pending, err error) {
	p.s.log.Error("gridsim: database commit failed; rolling back", "err", err)
	p.s.mu.Lock()
	p.mu.Lock()
	all := append(group, p.q...)
	p.q = nil
	p.mu.Unlock()
	for i := len(all) - 1; i >= 0; i-- {
		if pd := all[i]; pd.t != nil && pd.t.s == p.s.st {
			pd.t.rollback()
		}
	}
	p.mu.Lock()
	p.busy = false
	p.mu.Unlock()
	p.s.mu.Unlock()
	for _, pd := range all {
		pd.errc <- fmt.Errorf("commit failed: %w", err)
	}
}

func (p *persister) close() error {
	close(p.stop)
	<-p.done
	return p.db.Close()
}
