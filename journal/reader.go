package journal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"slices"

	"github.com/turbowapi/turbowapi/bulk"
)

// MaxLine is the longest journal line the reader accepts.
const MaxLine = 16 << 20

// MaxOrdinal is the largest object ordinal a journal may hold.
const MaxOrdinal = 1<<31 - 1

// ErrMismatch is returned by [Resume] when the journal is not the one of the run asking to
// continue it (another command or other sources).
var ErrMismatch = errors.New("journal: not the journal of this run")

// FormatError is a journal that cannot be read: not a journal, a later format, or a
// damaged line that is not the last one.
type FormatError struct {
	Path string
	Line int
	Msg  string
}

func (e *FormatError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("journal %s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("journal %s: %s", e.Path, e.Msg)
}

// Read calls fn with every record of the journal at path, in order. The last line may be
// torn (the writer was killed while writing it): it is skipped and reported by the returned
// [Info]. Any other damage is a [*FormatError]. An error from fn stops the reading and is
// returned.
func Read(path string, fn func(Record) error) (Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return Info{}, fmt.Errorf("journal: %w", err)
	}
	defer f.Close()
	return Scan(f, path, fn)
}

// Info describes what [Read] and [Scan] found besides the records.
type Info struct {
	// Records is the number of records read; Lines the number of lines (with the torn one).
	Records, Lines int
	// Size is the length of the journal up to the end of its last complete line: a
	// resumed run truncates a torn line there.
	Size int64
	// Torn reports that the last line was incomplete and skipped.
	Torn bool
}

// Scan reads a journal from r; name is used in errors. See [Read].
func Scan(r io.Reader, name string, fn func(Record) error) (Info, error) {
	var info Info
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := readLine(br)
		if err == io.EOF && len(line) == 0 {
			break
		}
		if err != nil && err != io.EOF {
			if errors.Is(err, errLongLine) {
				return info, &FormatError{name, info.Lines + 1, fmt.Sprintf("line longer than %d bytes", MaxLine)}
			}
			return info, fmt.Errorf("journal %s: %w", name, err)
		}
		info.Lines++
		complete := err == nil // ended with a newline
		body := bytes.TrimSpace(line)
		if len(body) == 0 {
			if complete {
				info.Size += int64(len(line))
			}
			continue
		}
		var rec Record
		derr := json.Unmarshal(body, &rec)
		if derr == nil {
			derr = check(&rec, info.Records == 0)
		}
		if derr != nil {
			if !complete {
				// The writer died in the middle of this line.
				info.Torn = true
				break
			}
			return info, &FormatError{name, info.Lines, derr.Error()}
		}
		if !complete {
			// A whole record without its newline: keep it, but a resumed run must
			// end the line before appending.
			info.Torn = true
		} else {
			info.Size += int64(len(line))
		}
		rec.Line = info.Lines
		info.Records++
		if err := fn(rec); err != nil {
			return info, err
		}
	}
	if info.Records == 0 {
		return info, &FormatError{Path: name, Msg: "empty: not a turbowapi journal"}
	}
	return info, nil
}

var errLongLine = errors.New("line too long")

// readLine returns the next line with its newline, or without it at the end of the input
// (err is then io.EOF).
func readLine(br *bufio.Reader) ([]byte, error) {
	var out []byte
	for {
		frag, err := br.ReadSlice('\n')
		if len(out)+len(frag) > MaxLine {
			return nil, errLongLine
		}
		out = append(out, frag...)
		if err == bufio.ErrBufferFull {
			continue
		}
		return out, err
	}
}

// check validates a decoded record: its kind, the fields that kind needs, and that the
// journal starts with a header of a known format.
func check(r *Record, first bool) error {
	if first != (r.Kind == KindHeader) {
		if first {
			return fmt.Errorf("starts with a %q record, not a header: not a turbowapi journal", r.Kind)
		}
		return errors.New("a second header")
	}
	switch r.Kind {
	case KindHeader:
		if r.Format < 1 || r.Format > Format {
			return fmt.Errorf("format %d: this turbowapi reads formats 1 to %d", r.Format, Format)
		}
		if r.Header == nil || r.Header.Command == "" {
			return errors.New("header without a command")
		}
	case KindResume:
		if r.Header == nil {
			return errors.New("resume record without a header")
		}
	case KindIntent:
		if len(r.Ordinals) == 0 {
			return errors.New("intent without ordinals")
		}
		for _, o := range r.Ordinals {
			if o < 0 || o > MaxOrdinal {
				return fmt.Errorf("intent with ordinal %d out of range", o)
			}
		}
	case KindOutcome:
		if r.Outcome == nil {
			return errors.New("outcome record without an outcome")
		}
		if r.Outcome.Ordinal < 0 || r.Outcome.Ordinal > MaxOrdinal {
			return fmt.Errorf("outcome with ordinal %d out of range", r.Outcome.Ordinal)
		}
		if r.Outcome.Status == "" {
			return fmt.Errorf("outcome of ordinal %d without a status", r.Outcome.Ordinal)
		}
	case KindDecision:
		if r.Decision == nil {
			return errors.New("decision record without a decision")
		}
	case KindSummary:
		if r.Summary == nil {
			return errors.New("summary record without a summary")
		}
	default:
		return fmt.Errorf("unknown record kind %q", r.Kind)
	}
	return nil
}

// State is what a journal says about its objects: which have a final outcome, and which
// were being written when the run stopped. It implements [bulk.Resume].
type State struct {
	// Header is the journal's header.
	Header Header
	// Runs is the number of runs that wrote the journal (1, plus one per resume); Finished
	// reports that the last of them wrote its summary.
	Runs     int
	Finished bool
	// Outcomes counts the objects by final status (over every run).
	Outcomes map[bulk.Status]int64
	// InFlightCount is the number of objects with an intent and no outcome.
	InFlightCount int64
	// Duplicates is the number of outcome records for an object that already had one (a
	// correct journal has none).
	Duplicates int64
	// Info describes the file.
	Info Info

	final, intent bitset
}

// Final reports whether the object has a final outcome.
func (s *State) Final(ordinal int64) bool { return s.final.get(ordinal) }

// InFlight reports whether a write of the object was announced without an outcome.
func (s *State) InFlight(ordinal int64) bool {
	return s.intent.get(ordinal) && !s.final.get(ordinal)
}

// Load reads the journal at path and returns its state.
func Load(path string) (*State, error) {
	s := &State{Outcomes: map[bulk.Status]int64{}}
	info, err := Read(path, s.add)
	if err != nil {
		return nil, err
	}
	s.Info = info
	s.InFlightCount = s.intent.andNotCount(s.final)
	return s, nil
}

func (s *State) add(r Record) error {
	switch r.Kind {
	case KindHeader:
		s.Header = *r.Header
		s.Runs = 1
	case KindResume:
		s.Runs++
		s.Finished = false
	case KindIntent:
		for _, o := range r.Ordinals {
			s.intent.set(o)
		}
	case KindOutcome:
		if s.final.get(r.Outcome.Ordinal) {
			s.Duplicates++
			return nil
		}
		s.final.set(r.Outcome.Ordinal)
		s.Outcomes[r.Outcome.Status]++
	case KindSummary:
		s.Finished = true
	}
	return nil
}

// Resume continues the journal at path for a new run described by h: it reads the state,
// checks that h has the journal's command and sources (else the error wraps
// [ErrMismatch]), drops a torn last line, and appends a resume record.
func Resume(path string, h Header, opts ...Option) (*Writer, *State, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, nil, err
	}
	st, err := Load(path)
	if err != nil {
		return nil, nil, err
	}
	if st.Header.Command != h.Command {
		return nil, nil, fmt.Errorf("%w: %s is the journal of a %s, not of a %s", ErrMismatch, path, st.Header.Command, h.Command)
	}
	if !slices.Equal(st.Header.Sources, h.Sources) {
		return nil, nil, fmt.Errorf("%w: %s was written reading %q; this run reads %q (give the same input, in the same order)",
			ErrMismatch, path, st.Header.Sources, h.Sources)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("journal: %w", err)
	}
	if st.Info.Torn {
		// Cut the torn line (or end a complete last record that lacks its newline: it
		// is cut too, and its object is looked up again if it matters).
		if err := f.Truncate(st.Info.Size); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("journal: %w", err)
		}
	}
	if _, err := f.Seek(st.Info.Size, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("journal: %w", err)
	}
	if st.Info.Torn {
		// Load counted the cut record; reload the state from what stays.
		if st, err = Load(path); err != nil {
			f.Close()
			return nil, nil, err
		}
	}
	w := newWriter(path, f, o)
	if err := w.add(Record{Kind: KindResume, Header: &h}, true); err != nil {
		w.Close()
		return nil, nil, err
	}
	return w, st, nil
}

// bitset is a growable set of non-negative ordinals (an input of a million objects takes
// 125 KB, where a map would take tens of megabytes).
type bitset []uint64

func (b *bitset) set(i int64) {
	w := int(i >> 6)
	if w >= len(*b) {
		*b = append(*b, make([]uint64, w-len(*b)+1)...)
	}
	(*b)[w] |= 1 << (uint(i) & 63)
}

func (b bitset) get(i int64) bool {
	if i < 0 {
		return false
	}
	w := int(i >> 6)
	return w < len(b) && b[w]&(1<<(uint(i)&63)) != 0
}

// andNotCount counts the members of b that are not in c.
func (b bitset) andNotCount(c bitset) int64 {
	var n int64
	for i, w := range b {
		if i < len(c) {
			w &^= c[i]
		}
		n += int64(bits.OnesCount64(w))
	}
	return n
}
