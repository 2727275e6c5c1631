package input

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Writer writes objects in a form the readers read back into the same objects: the object
// type as _type, then the fields [Loadable] keeps. Close flushes what is buffered; it does not
// close the underlying io.Writer. Writers are not safe for concurrent use.
type Writer interface {
	Write(o Object) error
	Close() error
}

// ErrNoColumn: the CSV writer was given a value that none of its columns can hold.
var ErrNoColumn = errors.New("no CSV column for a value")

// NewWriter returns a writer of format f (FormatCSV needs columns; see NewCSVWriter).
func NewWriter(w io.Writer, f Format, columns []string) (Writer, error) {
	switch f {
	case FormatCSV:
		return NewCSVWriter(w, columns)
	case FormatJSON:
		return NewJSONWriter(w), nil
	case FormatJSONLines:
		return NewJSONLinesWriter(w), nil
	}
	return nil, fmt.Errorf("input: writer: format %v has no writer", f)
}

// jsonWriter writes a JSON array, one object per line, or JSON lines.
type jsonWriter struct {
	bw    *bufio.Writer
	buf   bytes.Buffer
	enc   *json.Encoder
	array bool
	n     int
	err   error
}

// NewJSONWriter returns a writer of a JSON array with one object per line.
func NewJSONWriter(w io.Writer) Writer { return newJSONWriter(w, true) }

// NewJSONLinesWriter returns a writer of JSON lines.
func NewJSONLinesWriter(w io.Writer) Writer { return newJSONWriter(w, false) }

func newJSONWriter(w io.Writer, array bool) *jsonWriter {
	jw := &jsonWriter{bw: bufio.NewWriterSize(w, 64<<10), array: array}
	jw.enc = json.NewEncoder(&jw.buf)
	jw.enc.SetEscapeHTML(false)
	return jw
}

func (w *jsonWriter) Write(o Object) error {
	if w.err != nil {
		return w.err
	}
	fields, err := Loadable(o.Type, o.Fields)
	if err != nil {
		return err
	}
	fields[TypeColumn] = o.Type
	w.buf.Reset()
	if err := w.enc.Encode(fields); err != nil {
		return fmt.Errorf("input: writer: %s: %w", o.Pos, err)
	}
	line := bytes.TrimSuffix(w.buf.Bytes(), []byte{'\n'})
	if w.array {
		if w.n == 0 {
			w.bw.WriteString("[\n")
		} else {
			w.bw.WriteString(",\n")
		}
	}
	if _, w.err = w.bw.Write(line); w.err == nil && !w.array {
		w.err = w.bw.WriteByte('\n')
	}
	w.n++
	return w.err
}

func (w *jsonWriter) Close() error {
	if w.err != nil {
		return w.err
	}
	if w.array {
		if w.n == 0 {
			w.bw.WriteString("[]\n")
		} else {
			w.bw.WriteString("\n]\n")
		}
	}
	w.err = w.bw.Flush()
	if w.err == nil {
		w.err = errors.New("input: writer closed")
		return nil
	}
	return w.err
}

// CSVWriter writes objects as CSV under a fixed header. Each value is encoded as the CSV
// reader decodes it (see the package documentation), so reading the output back gives the
// same objects.
type CSVWriter struct {
	cw       *csv.Writer
	cols     []column
	row      []string
	header   []string
	wrote    bool
	extattrs bool // an "extattrs" column holds every attribute as JSON
	err      error
}

// NewCSVWriter returns a CSV writer whose header is columns: "_type", field names of the
// supported types, and "EA-<Name>" columns with an optional kind suffix (":int", ":list",
// ":json"); or an "extattrs" column holding all attributes as JSON, instead of EA columns.
// [ColumnSet] finds the columns a set of objects needs. The header is written with the first
// object, or by Close when there is none.
func NewCSVWriter(w io.Writer, columns []string) (*CSVWriter, error) {
	if len(columns) == 0 {
		return nil, errors.New("input: CSV writer: no columns")
	}
	cw := &CSVWriter{cw: csv.NewWriter(w), cols: make([]column, len(columns)),
		row: make([]string, len(columns)), header: slices.Clone(columns)}
	seen := make(map[string]bool, len(columns))
	eaCols := false
	for i, name := range columns {
		if seen[name] {
			return nil, fmt.Errorf("input: CSV writer: column %q given twice", name)
		}
		seen[name] = true
		c := column{name: name}
		switch {
		case name == TypeColumn:
			c.isType = true
		default:
			if ea, k, ok := parseEAColumn(name); ok {
				if ea == "" {
					return nil, fmt.Errorf("input: CSV writer: column %q has no attribute name", name)
				}
				c.ea, c.eaKind = ea, k
				eaCols = true
				break
			}
			if c.fields = columnFields(name); c.fields == nil {
				return nil, fmt.Errorf("input: CSV writer: %w %q%s", ErrUnknownField, name, suggest(name, allFieldNames))
			}
			if name == "extattrs" {
				cw.extattrs = true
			}
		}
		cw.cols[i] = c
	}
	if eaCols && cw.extattrs {
		return nil, errors.New("input: CSV writer: an extattrs column and EA- columns cannot be mixed")
	}
	return cw, nil
}

// Write writes o's row. It fails with ErrNoColumn, writing nothing, if a value of o has no
// column or cannot be written in its column's kind.
func (w *CSVWriter) Write(o Object) error {
	if w.err != nil {
		return w.err
	}
	t := lookupType(o.Type)
	if t == nil {
		return fmt.Errorf("input: CSV writer: %s: %w %q", o.Pos, ErrUnknownType, o.Type)
	}
	fields, err := Loadable(o.Type, o.Fields)
	if err != nil {
		return err
	}
	eas, _ := fields["extattrs"].(map[string]any)
	covered, eaCovered := 0, 0
	for i := range w.cols {
		c := &w.cols[i]
		w.row[i] = ""
		switch {
		case c.isType:
			w.row[i] = o.Type
		case c.isEA():
			ea, ok := eas[c.ea].(map[string]any)
			if !ok {
				continue
			}
			s, err := formatEACell(c.eaKind, ea["value"])
			if err != nil {
				return fmt.Errorf("input: CSV writer: %s: column %s cannot hold %s: %w", o.Pos, c.name, describe(ea["value"]), ErrNoColumn)
			}
			w.row[i] = s
			eaCovered++
		default:
			f := c.fields[t.idx]
			if f == nil {
				continue
			}
			v, ok := fields[f.Name]
			if !ok {
				continue
			}
			s, err := formatCell(f, v)
			if err != nil {
				return fmt.Errorf("input: CSV writer: %s: field %s of %s cannot be written as %s: %w", o.Pos, f.Name, t.Name, describe(v), ErrNoColumn)
			}
			w.row[i] = s
			covered++
		}
	}
	want := len(fields)
	if eas != nil && !w.extattrs {
		want--
		if eaCovered != len(eas) {
			return fmt.Errorf("input: CSV writer: %s: %s has an extensible attribute without an EA- column (%s): %w",
				o.Pos, t.Name, strings.Join(missingEAs(eas, w.cols), ", "), ErrNoColumn)
		}
	}
	if covered != want {
		return fmt.Errorf("input: CSV writer: %s: %s has a field without a column (%s): %w",
			o.Pos, t.Name, strings.Join(missingFields(fields, t, w.cols), ", "), ErrNoColumn)
	}
	if !w.wrote {
		if w.err = w.cw.Write(w.header); w.err != nil {
			return w.err
		}
		w.wrote = true
	}
	if w.err = w.cw.Write(w.row); w.err != nil {
		return w.err
	}
	return nil
}

func missingEAs(eas map[string]any, cols []column) []string {
	var out []string
	for name := range eas {
		if !slices.ContainsFunc(cols, func(c column) bool { return c.ea == name }) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func missingFields(fields map[string]any, t *Type, cols []column) []string {
	var out []string
	for name := range fields {
		if name == "extattrs" {
			continue
		}
		if !slices.ContainsFunc(cols, func(c column) bool { return c.fields != nil && c.fields[t.idx] != nil && c.fields[t.idx].Name == name }) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// Close writes the header if no row was written, and flushes.
func (w *CSVWriter) Close() error {
	if w.err != nil {
		return w.err
	}
	if !w.wrote {
		w.cw.Write(w.header)
		w.wrote = true
	}
	w.cw.Flush()
	if err := w.cw.Error(); err != nil {
		w.err = err
		return err
	}
	w.err = errors.New("input: writer closed")
	return nil
}

// ColumnSet finds the CSV columns that hold a set of objects, for a CSV export in two passes
// (collect, then write): "_type", the fields present in table order, then one EA- column per
// extensible attribute, sorted by name, with the kind suffix its values need (":int" if all
// are integers, ":list" if all are lists of text, ":json" if they are mixed).
type ColumnSet struct {
	fields map[string]bool
	eas    map[string]eaKind
}

// NewColumnSet returns an empty set.
func NewColumnSet() *ColumnSet {
	return &ColumnSet{fields: map[string]bool{}, eas: map[string]eaKind{}}
}

// Add records the columns o needs.
func (c *ColumnSet) Add(o Object) error {
	fields, err := Loadable(o.Type, o.Fields)
	if err != nil {
		return err
	}
	for name, v := range fields {
		if name != "extattrs" {
			c.fields[name] = true
			continue
		}
		eas, ok := v.(map[string]any)
		if !ok {
			c.fields[name] = true
			continue
		}
		for ea, x := range eas {
			m, _ := x.(map[string]any)
			k := eaKindOf(m["value"])
			if prev, seen := c.eas[ea]; seen && prev != k {
				k = eaJSON
			}
			c.eas[ea] = k
		}
	}
	return nil
}

// Columns returns the header.
func (c *ColumnSet) Columns() []string {
	out := []string{TypeColumn}
	for _, name := range allFieldNames {
		if c.fields[name] {
			out = append(out, name)
		}
	}
	if c.fields["extattrs"] {
		return out // attributes that are not objects: the extattrs column holds them as JSON
	}
	names := make([]string, 0, len(c.eas))
	for name := range c.eas {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		out = append(out, eaColumn(name, c.eas[name]))
	}
	return out
}
