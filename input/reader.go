package input

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Object is one input object: its WAPI type, its fields as WAPI expects them in a create
// body (extensible attributes as {"Name": {"value": v}}, integers as int64), and where it came
// from.
type Object struct {
	Type   string
	Fields map[string]any
	Pos    Pos
}

// Pos is where an object came from.
type Pos struct {
	Source string // input name: a file name, "stdin" or "generate"
	// Line is the 1-based line where the object starts: the CSV record's first physical line,
	// the line of a JSON array element's opening brace, the JSON-lines line, or the
	// generator's object number.
	Line int
	// Ordinal is the object's 0-based position in the stream. Every object gets one, valid
	// or not, so a journal can account for each.
	Ordinal int64
}

// String returns "source:line".
func (p Pos) String() string { return p.Source + ":" + strconv.Itoa(p.Line) }

// Reader is a stream of objects. Next returns the next object; at the end it returns io.EOF.
// A non-fatal *RowError comes with the bad object (its Pos, and the type and fields as far as
// they could be read) and reading may continue; after a fatal error (a *RowError with Fatal
// set, or an I/O error) Next returns io.EOF. Readers are not safe for concurrent use.
//
// Next takes no context: like encoding/csv it only decodes what the caller's io.Reader
// yields, and it is cancelled by closing that reader. [All] checks a context between objects.
type Reader interface {
	Next() (Object, error)
}

// ReadCloser is a Reader over a file it closes.
type ReadCloser interface {
	Reader
	io.Closer
}

// All iterates over r's objects and errors until io.EOF, a fatal error (yielded, then the
// iteration ends) or the end of ctx (ctx.Err() is yielded).
func All(ctx context.Context, r Reader) iter.Seq2[Object, error] {
	return func(yield func(Object, error) bool) {
		for {
			if err := ctx.Err(); err != nil {
				yield(Object{}, err)
				return
			}
			o, err := r.Next()
			if err == io.EOF {
				return
			}
			if !yield(o, err) || IsFatal(err) {
				return
			}
		}
	}
}

// Format is an input or output format.
type Format uint8

// Formats.
const (
	FormatAuto      Format = iota // from the file extension, else from the first bytes
	FormatCSV                     // CSV with a header naming WAPI fields
	FormatJSON                    // a JSON array of objects (or objects one after another)
	FormatJSONLines               // one JSON object per line
)

// String returns the format's flag name: "auto", "csv", "json" or "jsonl".
func (f Format) String() string {
	switch f {
	case FormatCSV:
		return "csv"
	case FormatJSON:
		return "json"
	case FormatJSONLines:
		return "jsonl"
	}
	return "auto"
}

// ParseFormat parses a format name: auto, csv, json, jsonl (or ndjson).
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "", "auto":
		return FormatAuto, nil
	case "csv":
		return FormatCSV, nil
	case "json":
		return FormatJSON, nil
	case "jsonl", "ndjson", "jsonlines", "json-lines":
		return FormatJSONLines, nil
	}
	return FormatAuto, fmt.Errorf("input: unknown format %q (want csv, json or jsonl)", s)
}

// FormatOf returns the format a file name's extension implies (.csv, .json, .jsonl,
// .ndjson), or FormatAuto.
func FormatOf(name string) Format {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return FormatCSV
	case ".json":
		return FormatJSON
	case ".jsonl", ".ndjson":
		return FormatJSONLines
	}
	return FormatAuto
}

// DefaultMaxObjectSize is the largest object (CSV record, JSON element or line) a reader
// accepts, in bytes: it bounds a reader's memory whatever the input.
const DefaultMaxObjectSize = 1 << 20

type options struct {
	defType string
	maxObj  int
	stdin   io.Reader
	noDup   bool
}

// Option configures a reader or the generator.
type Option func(*options) error

// WithType sets the object type of objects that do not name one (no `_type` column or key, or
// an empty one), like `--type`. Default: none, so every object must name its type.
func WithType(name string) Option {
	return func(o *options) error {
		if name != "" && lookupType(name) == nil {
			return fmt.Errorf("input: unknown object type %q%s; supported: %s", name, suggest(name, TypeNames()), typeList())
		}
		o.defType = name
		return nil
	}
}

// WithMaxObjectSize sets the largest object a reader accepts, in bytes (at least 1,024).
// Default DefaultMaxObjectSize.
func WithMaxObjectSize(n int) Option {
	return func(o *options) error {
		if n < 1024 {
			return fmt.Errorf("input: max object size %d is below 1024", n)
		}
		o.maxObj = n
		return nil
	}
}

// WithStdin sets what Open reads for the name "-". Default os.Stdin.
func WithStdin(r io.Reader) Option {
	return func(o *options) error {
		if r == nil {
			return errors.New("input: nil stdin")
		}
		o.stdin = r
		return nil
	}
}

func buildOptions(opts []Option) (*options, error) {
	o := &options{maxObj: DefaultMaxObjectSize}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// StdinName is the source name of objects read from "-".
const StdinName = "stdin"

// Open opens the named file ("-" for standard input) and returns a reader of the format f,
// or of the format its extension or first bytes imply when f is FormatAuto.
func Open(name string, f Format, opts ...Option) (ReadCloser, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	if name == "-" {
		in := o.stdin
		if in == nil {
			in = os.Stdin
		}
		r, err := newReader(in, StdinName, f, o)
		if err != nil {
			return nil, err
		}
		return nopCloser{r}, nil
	}
	file, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	if f == FormatAuto {
		f = FormatOf(name)
	}
	r, err := newReader(file, name, f, o)
	if err != nil {
		file.Close()
		return nil, err
	}
	return fileReader{r, file}, nil
}

type nopCloser struct{ Reader }

func (nopCloser) Close() error { return nil }

type fileReader struct {
	Reader
	f *os.File
}

func (r fileReader) Close() error { return r.f.Close() }

// NewReader returns a reader of format f over r; source names r in positions and errors.
// FormatAuto looks at the first bytes: '[' means JSON, '{' JSON lines, anything else CSV.
func NewReader(r io.Reader, source string, f Format, opts ...Option) (Reader, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	return newReader(r, source, f, o)
}

func newReader(r io.Reader, source string, f Format, o *options) (Reader, error) {
	b := base{source: source, defType: o.defType, maxObj: o.maxObj}
	switch f {
	case FormatCSV:
		return newCSVReader(r, b), nil
	case FormatJSON:
		return newJSONReader(r, b), nil
	case FormatJSONLines:
		return newJSONLinesReader(r, b), nil
	case FormatAuto:
		br := bufio.NewReaderSize(r, 64<<10)
		switch firstByte(br) {
		case '[':
			return newJSONReader(br, b), nil
		case '{':
			return newJSONLinesReader(br, b), nil
		}
		return newCSVReader(br, b), nil
	}
	return nil, fmt.Errorf("input: unknown format %d", f)
}

// firstByte peeks at the first byte that is not white space or a byte order mark.
func firstByte(br *bufio.Reader) byte {
	n := 1
	if p, _ := br.Peek(3); string(p) == bom {
		n = 4
	}
	for ; n <= 4096; n++ {
		p, _ := br.Peek(n)
		if len(p) < n {
			return 0
		}
		switch c := p[n-1]; c {
		case ' ', '\t', '\r', '\n':
		default:
			return c
		}
	}
	return 0
}

// bom is the UTF-8 byte order mark, skipped at the start of an input.
const bom = "\xEF\xBB\xBF"

// base holds what every reader shares.
type base struct {
	source  string
	defType string
	maxObj  int
	next    int64 // next ordinal
	done    bool
}

// pos hands out the next ordinal.
func (b *base) pos(line int) Pos {
	p := Pos{Source: b.source, Line: line, Ordinal: b.next}
	b.next++
	return p
}

// fatal ends the stream with err.
func (b *base) fatal(line int, field string, cat error, format string, args ...any) (Object, error) {
	b.done = true
	return Object{}, fatalErr(b.source, line, field, cat, format, args...)
}

// fromMap turns a decoded JSON object into an Object, resolving its type.
func (b *base) fromMap(m map[string]any, p Pos) (Object, error) {
	o := Object{Type: b.defType, Fields: m, Pos: p}
	if t, ok := m["_type"]; ok {
		s, ok := t.(string)
		if !ok {
			delete(m, "_type")
			normalizeJSON(m)
			return o, rowErr(p, "_type", ErrSyntax, "want the object type as text, got %s", describe(t))
		}
		delete(m, "_type")
		if s != "" {
			o.Type = s
		}
	}
	normalizeJSON(m)
	if err := checkTypeName(o.Type, p); err != nil {
		return o, err
	}
	return o, nil
}

func checkTypeName(name string, p Pos) *RowError {
	if name == "" {
		return rowErr(p, "_type", ErrUnknownType, "no object type: give it a _type or a default type (--type)")
	}
	if lookupType(name) == nil {
		return rowErr(p, "_type", ErrUnknownType, "unknown object type %s%s; supported: %s",
			quoteShort(name), suggest(name, TypeNames()), typeList())
	}
	return nil
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
