package journal

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/turbowapi/turbowapi/adaptive"
	"github.com/turbowapi/turbowapi/bulk"
)

// ErrClosed is returned by the methods of a [Writer] after Close or Finish.
var ErrClosed = errors.New("journal: closed")

// Option configures a [Writer].
type Option func(*options) error

type options struct {
	sync bool
	now  func() time.Time
	// beforeHeader, when set (internal tests), is called with the journal's path just
	// before Create writes the header.
	beforeHeader func(path string)
}

func defaultOptions() options { return options{sync: true, now: time.Now} }

// WithSync sets whether intents are flushed to stable storage (fsync) before the write they
// announce is sent. It is on by default: a machine that crashes then loses no intent. Off,
// intents still reach the operating system before the write is sent, which survives the
// process being killed but not the machine crashing; it is meant for benchmarks and tests
// on slow disks.
func WithSync(on bool) Option {
	return func(o *options) error { o.sync = on; return nil }
}

// WithClock sets the clock that stamps records (tests use a fixed one).
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return errors.New("journal: WithClock: nil clock")
		}
		o.now = now
		return nil
	}
}

// Writer appends records to a journal. It implements [bulk.Recorder] and is safe for
// concurrent use.
//
// Every record has reached the operating system when its method returns, and an intent has
// also reached stable storage (unless [WithSync] turned that off). Concurrent callers share
// writes and syncs: while one goroutine writes and syncs what is buffered, the others add
// their records to the next group (group commit), so a run with many requests in flight
// does one sync per group, not one per request.
type Writer struct {
	path string
	opts options

	mu      sync.Mutex
	cond    sync.Cond
	f       *os.File
	buf     []byte // records added and not yet handed to a write
	spare   []byte // the previous write's buffer, reused
	seq     uint64 // records added
	written uint64 // records written to the file
	synced  uint64 // records synced to stable storage
	want    uint64 // highest record whose caller waits for a sync
	busy    bool   // a goroutine is writing outside the lock
	err     error  // the first write or sync error: the journal is then unusable
	closed  bool
}

// Create creates a new journal at path, which must not exist (the error then wraps
// [fs.ErrExist]), and writes its header. The journal appears under its name only with its
// header on stable storage: it is written under a temporary name in the same directory and
// then linked to path, so a process killed while creating it leaves no journal (at worst a
// hidden ".NAME.*.tmp" file), never an empty or torn one that could be neither resumed nor
// created again.
func Create(path string, h Header, opts ...Option) (*Writer, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	if _, err := os.Lstat(path); err == nil {
		return nil, fmt.Errorf("journal: %w", &fs.PathError{Op: "create", Path: path, Err: fs.ErrExist})
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	tmp := f.Name()
	if o.beforeHeader != nil {
		o.beforeHeader(path)
	}
	w, err := startNew(path, f, h, o)
	if err != nil {
		return nil, err
	}
	if err := os.Link(tmp, path); err != nil {
		f.Close()
		os.Remove(tmp)
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("journal: %w", err)
		}
		// A file system without hard links: create the journal in place.
		inPlace, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("journal: %w", err)
		}
		return startNew(path, inPlace, h, o)
	}
	os.Remove(tmp)
	syncDir(dir)
	return w, nil
}

// startNew returns the writer of the new, empty journal file f after writing its header to
// stable storage; if that fails, f is closed and removed.
func startNew(path string, f *os.File, h Header, o options) (*Writer, error) {
	w := newWriter(path, f, o)
	if err := w.add(Record{Kind: KindHeader, Format: Format, Header: &h}, true); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return w, nil
}

// syncDir flushes a directory's entries to stable storage (best effort: not every system
// can sync a directory).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

func buildOptions(opts []Option) (options, error) {
	o := defaultOptions()
	for _, opt := range opts {
		if opt == nil {
			return o, errors.New("journal: nil option")
		}
		if err := opt(&o); err != nil {
			return o, err
		}
	}
	return o, nil
}

func newWriter(path string, f *os.File, o options) *Writer {
	w := &Writer{path: path, opts: o, f: f}
	w.cond.L = &w.mu
	return w
}

// Path returns the journal's file name.
func (w *Writer) Path() string { return w.path }

// Intent records that a write of the objects with these ordinals is about to be sent. It
// returns once the record would survive a crash.
func (w *Writer) Intent(ordinals []int64) error {
	return w.add(Record{Kind: KindIntent, Ordinals: ordinals}, w.opts.sync)
}

// Outcome records an object's final outcome.
func (w *Writer) Outcome(o bulk.Outcome) error {
	return w.add(Record{Kind: KindOutcome, Outcome: fromBulk(o)}, false)
}

// Decision records a decision of the adaptive controller.
func (w *Writer) Decision(d adaptive.Decision) error {
	return w.add(Record{Kind: KindDecision, Decision: fromAdaptive(d)}, false)
}

// Finish records the run's summary, syncs and closes the journal.
func (w *Writer) Finish(sum bulk.Summary) error {
	err := w.add(Record{Kind: KindSummary, Summary: &sum}, true)
	return errors.Join(err, w.Close())
}

// Close syncs and closes the journal without a summary (the run did not end: it can be
// resumed). Closing twice is harmless.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.busy {
		w.cond.Wait()
	}
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.err
	if err == nil {
		err = writeAll(w.f, w.buf)
		w.buf = nil
		if err == nil {
			err = w.f.Sync()
		}
		if err == nil {
			w.written, w.synced = w.seq, w.seq
		}
	}
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	w.cond.Broadcast()
	if err != nil && err != w.err {
		err = fmt.Errorf("journal: %s: %w", w.path, err)
		w.err = err
	}
	return err
}

// add appends one record and waits until it is written (and synced when durable).
func (w *Writer) add(r Record, durable bool) error {
	r.Time = w.opts.now().UTC()
	line, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("journal: encoding a %s record: %w", r.Kind, err)
	}
	line = append(line, '\n')

	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	if w.err != nil {
		return w.err
	}
	w.buf = append(w.buf, line...)
	w.seq++
	me := w.seq
	if durable && me > w.want {
		w.want = me
	}
	for {
		if w.err != nil {
			return w.err
		}
		if w.written >= me && (!durable || w.synced >= me) {
			return nil
		}
		if w.closed {
			return ErrClosed
		}
		if w.busy {
			w.cond.Wait()
			continue
		}
		// Lead a group: write everything buffered, and sync if anyone waits for it.
		w.busy = true
		buf, upto, doSync := w.buf, w.seq, w.want > w.synced
		w.buf = w.spare[:0]
		w.mu.Unlock()
		err := writeAll(w.f, buf)
		if err == nil && doSync {
			err = w.f.Sync()
		}
		w.mu.Lock()
		w.spare = buf[:0]
		w.busy = false
		if err != nil {
			w.err = fmt.Errorf("journal: %s: %w", w.path, err)
		} else {
			w.written = upto
			if doSync {
				w.synced = upto
			}
		}
		w.cond.Broadcast()
	}
}

func writeAll(w io.Writer, b []byte) error {
	if len(b) == 0 {
		return nil
	}
	_, err := w.Write(b) // os.File.Write writes everything or returns an error
	return err
}
