package bulk

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"slices"
	"strconv"
)

// Invalid is an input row that cannot be loaded, with the reason.
type Invalid struct {
	Ordinal int64
	Source  string
	Line    int
	Type    string
	Reason  string
}

// Error formats the row as "source:line: reason".
func (iv Invalid) Error() string {
	return iv.Source + ":" + strconv.Itoa(iv.Line) + ": " + iv.Reason
}

// DuplicateError is an object whose type and key were already given earlier in the input.
type DuplicateError struct {
	Invalid
	// FirstSource and FirstLine locate the earlier object.
	FirstSource string
	FirstLine   int
}

func (e *DuplicateError) Error() string { return e.Invalid.Error() }

// DefaultMaxReported is the number of invalid rows a [Spool] keeps for the report; it counts
// all of them.
const DefaultMaxReported = 1000

// Spool is the first pass of a load: it takes every valid object of the input, detects
// objects given twice (same type and key), and writes the objects to one temporary file per
// phase, so that the load can then run phase after phase with bounded memory whatever the
// size or order of the input (stdin included). It also keeps the invalid rows, so that none
// is lost. Memory: about 40 bytes per object for duplicate detection (a 128-bit hash of the
// type and key, and where it was seen).
//
// A Spool is filled by one goroutine, then handed to [Engine.Load]; Close removes its
// files.
type Spool struct {
	dir      string
	buckets  map[int]*bucket
	rejects  *bucket
	seen     map[[2]uint64]uint64
	s1, s2   maphash.Seed
	sources  []string
	srcIndex map[string]uint32
	valid    int64
	invalid  int64
	reported []Invalid
	maxRep   int
	closed   bool
	scratch  []byte
}

type bucket struct {
	phase int
	path  string
	f     *os.File
	w     *bufio.Writer
	n     int64
}

// NewSpool creates a spool whose files live in a new temporary directory under dir ("" for
// the system's temporary directory).
func NewSpool(dir string) (*Spool, error) {
	d, err := os.MkdirTemp(dir, "turbowapi-spool-")
	if err != nil {
		return nil, fmt.Errorf("bulk: spool: %w", err)
	}
	return &Spool{
		dir: d, buckets: map[int]*bucket{}, seen: map[[2]uint64]uint64{},
		s1: maphash.MakeSeed(), s2: maphash.MakeSeed(), srcIndex: map[string]uint32{},
		maxRep: DefaultMaxReported,
	}, nil
}

// Add spools a valid object. An object with the same type and key as an earlier one (or the
// same reference, for objects without a key) is rejected as invalid and reported with a
// [*DuplicateError].
func (s *Spool) Add(it *Item) error {
	if s.closed {
		return errors.New("bulk: spool closed")
	}
	if first, dup := s.remember(it); dup {
		src, line := s.unpack(first)
		e := &DuplicateError{
			Invalid: Invalid{Ordinal: it.Ordinal, Source: it.Source, Line: it.Line, Type: it.Type,
				Reason: fmt.Sprintf("duplicate %s %s: already given at %s:%d", it.Type, keyOrRef(it), src, line)},
			FirstSource: src, FirstLine: line,
		}
		if err := s.Reject(e.Invalid); err != nil {
			return err
		}
		return e
	}
	b, err := s.bucket(it.Phase)
	if err != nil {
		return err
	}
	s.scratch = appendItem(s.scratch[:0], it)
	if _, err := b.w.Write(s.scratch); err != nil {
		return fmt.Errorf("bulk: spool: %w", err)
	}
	b.n++
	s.valid++
	return nil
}

func keyOrRef(it *Item) string {
	if len(it.Key) == 0 {
		return it.Ref
	}
	return it.KeyString()
}

// Reject records an invalid row.
func (s *Spool) Reject(iv Invalid) error {
	if s.rejects == nil {
		b, err := s.newBucket(-1, "invalid")
		if err != nil {
			return err
		}
		s.rejects = b
	}
	it := Item{Ordinal: iv.Ordinal, Source: iv.Source, Line: iv.Line, Type: iv.Type, Body: []byte(iv.Reason)}
	s.scratch = appendItem(s.scratch[:0], &it)
	if _, err := s.rejects.w.Write(s.scratch); err != nil {
		return fmt.Errorf("bulk: spool: %w", err)
	}
	s.rejects.n++
	s.invalid++
	if len(s.reported) < s.maxRep {
		s.reported = append(s.reported, iv)
	}
	return nil
}

// Valid returns the number of objects spooled; Invalid the number of rows rejected.
func (s *Spool) Valid() int64   { return s.valid }
func (s *Spool) Invalid() int64 { return s.invalid }

// Total returns the number of input objects: valid and invalid.
func (s *Spool) Total() int64 { return s.valid + s.invalid }

// Rejected returns the first invalid rows, in input order (at most [DefaultMaxReported]).
func (s *Spool) Rejected() []Invalid { return s.reported }

// Phases returns the phases that hold objects, in load order.
func (s *Spool) Phases() []int {
	ps := make([]int, 0, len(s.buckets))
	for p := range s.buckets {
		ps = append(ps, p)
	}
	slices.Sort(ps)
	return ps
}

// PhaseSize returns the number of objects of a phase.
func (s *Spool) PhaseSize(phase int) int64 {
	if b := s.buckets[phase]; b != nil {
		return b.n
	}
	return 0
}

// Close removes the spool's files.
func (s *Spool) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	for _, b := range s.buckets {
		b.f.Close()
	}
	if s.rejects != nil {
		s.rejects.f.Close()
	}
	s.seen = nil
	return os.RemoveAll(s.dir)
}

func (s *Spool) bucket(phase int) (*bucket, error) {
	if b := s.buckets[phase]; b != nil {
		return b, nil
	}
	b, err := s.newBucket(phase, "phase"+strconv.Itoa(phase))
	if err != nil {
		return nil, err
	}
	s.buckets[phase] = b
	return b, nil
}

func (s *Spool) newBucket(phase int, name string) (*bucket, error) {
	path := s.dir + string(os.PathSeparator) + name
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("bulk: spool: %w", err)
	}
	return &bucket{phase: phase, path: path, f: f, w: bufio.NewWriterSize(f, 64<<10)}, nil
}

// remember notes the object's identity and reports whether it was seen before (with where).
func (s *Spool) remember(it *Item) (uint64, bool) {
	var h1, h2 maphash.Hash
	h1.SetSeed(s.s1)
	h2.SetSeed(s.s2)
	for _, h := range []*maphash.Hash{&h1, &h2} {
		h.WriteString(it.Type)
		h.WriteByte(0)
		if len(it.Key) == 0 {
			h.WriteByte(1)
			h.WriteString(it.Ref)
		}
		for _, f := range it.Key {
			h.WriteString(f.Name)
			h.WriteByte('=')
			h.WriteString(f.Value)
			h.WriteByte(0)
		}
	}
	k := [2]uint64{h1.Sum64(), h2.Sum64()}
	if v, ok := s.seen[k]; ok {
		return v, true
	}
	s.seen[k] = s.pack(it.Source, it.Line)
	return 0, false
}

func (s *Spool) pack(src string, line int) uint64 {
	i, ok := s.srcIndex[src]
	if !ok {
		i = uint32(len(s.sources))
		s.sources = append(s.sources, src)
		s.srcIndex[src] = i
	}
	return uint64(i)<<40 | uint64(line)&(1<<40-1)
}

func (s *Spool) unpack(v uint64) (string, int) {
	return s.sources[v>>40], int(v & (1<<40 - 1))
}

// finish flushes the files and rewinds them for reading.
func (s *Spool) finish() error {
	all := make([]*bucket, 0, len(s.buckets)+1)
	for _, b := range s.buckets {
		all = append(all, b)
	}
	if s.rejects != nil {
		all = append(all, s.rejects)
	}
	for _, b := range all {
		if err := b.w.Flush(); err != nil {
			return fmt.Errorf("bulk: spool: %w", err)
		}
	}
	return nil
}

// each calls fn for every object of a phase (phase -1: the rejected rows, Body holding the
// reason), in the order they were added.
func (s *Spool) each(phase int, fn func(it *Item) error) error {
	b := s.buckets[phase]
	if phase == -1 {
		b = s.rejects
	}
	if b == nil {
		return nil
	}
	if err := b.w.Flush(); err != nil {
		return fmt.Errorf("bulk: spool: %w", err)
	}
	r := bufio.NewReaderSize(io.NewSectionReader(b.f, 0, 1<<62), 64<<10)
	var buf []byte
	for {
		n, err := binary.ReadUvarint(r)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("bulk: spool %s: %w", b.path, err)
		}
		if cap(buf) < int(n) {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		if _, err := io.ReadFull(r, buf); err != nil {
			return fmt.Errorf("bulk: spool %s: %w", b.path, err)
		}
		it := new(Item)
		if err := decodeItem(buf, it); err != nil {
			return fmt.Errorf("bulk: spool %s: %w", b.path, err)
		}
		it.Phase = b.phase
		if err := fn(it); err != nil {
			return err
		}
	}
}

// Record format: uvarint length, then varint ordinal, uvarint line, strings source, type,
// ref, uvarint key count, key name/value strings, and the body; strings are uvarint length
// and bytes.
func appendItem(b []byte, it *Item) []byte {
	body := make([]byte, 0, 64+len(it.Body))
	body = binary.AppendVarint(body, it.Ordinal)
	body = binary.AppendUvarint(body, uint64(max(it.Line, 0)))
	body = appendStr(body, it.Source)
	body = appendStr(body, it.Type)
	body = appendStr(body, it.Ref)
	body = binary.AppendUvarint(body, uint64(len(it.Key)))
	for _, f := range it.Key {
		body = appendStr(body, f.Name)
		body = appendStr(body, f.Value)
	}
	body = appendStr(body, string(it.Body))
	b = binary.AppendUvarint(b, uint64(len(body)))
	return append(b, body...)
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

var errCorrupt = errors.New("corrupt record")

func decodeItem(b []byte, it *Item) error {
	var ok bool
	var n int
	it.Ordinal, n = binary.Varint(b)
	if n <= 0 {
		return errCorrupt
	}
	b = b[n:]
	line, n := binary.Uvarint(b)
	if n <= 0 {
		return errCorrupt
	}
	it.Line = int(line)
	b = b[n:]
	var s string
	if s, b, ok = readStr(b); !ok {
		return errCorrupt
	}
	it.Source = s
	if it.Type, b, ok = readStr(b); !ok {
		return errCorrupt
	}
	if it.Ref, b, ok = readStr(b); !ok {
		return errCorrupt
	}
	nk, n := binary.Uvarint(b)
	if n <= 0 || nk > 64 {
		return errCorrupt
	}
	b = b[n:]
	it.Key = make([]Field, nk)
	for i := range it.Key {
		if it.Key[i].Name, b, ok = readStr(b); !ok {
			return errCorrupt
		}
		if it.Key[i].Value, b, ok = readStr(b); !ok {
			return errCorrupt
		}
	}
	if s, b, ok = readStr(b); !ok || len(b) != 0 {
		return errCorrupt
	}
	it.Body = []byte(s)
	return nil
}

func readStr(b []byte) (string, []byte, bool) {
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n {
		return "", nil, false
	}
	return string(b[k : k+int(n)]), b[k+int(n):], true
}

var errStop = errors.New("stop")

// Each calls fn with the spooled objects in load order (phase after phase) until it returns
// false. It may be called before the spool is loaded (a dry run lists what would be sent).
func (s *Spool) Each(fn func(it *Item) bool) error {
	for _, ph := range s.Phases() {
		err := s.each(ph, func(it *Item) error {
			if !fn(it) {
				return errStop
			}
			return nil
		})
		if err == errStop {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}
