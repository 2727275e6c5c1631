package input

import (
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// column is one CSV header column.
type column struct {
	name   string // as written in the header (trimmed)
	isType bool
	ea     string // attribute name, for EA-<Name> columns
	eaKind eaKind
	// fields holds, per type (table order), the field this column sets, or nil when the type
	// has no such field. Nil for _type and EA columns.
	fields []*Field
}

func (c *column) isEA() bool { return c.ea != "" }

// columnFields returns, per type (table order), the field named name or nil; nil when no
// type has such a field.
func columnFields(name string) []*Field {
	var fields []*Field
	for _, t := range typeTable {
		if f := t.field(name); f != nil {
			if fields == nil {
				fields = make([]*Field, len(typeTable))
			}
			fields[t.idx] = f
		}
	}
	return fields
}

type csvReader struct {
	base
	src     *limitReader
	cr      *csv.Reader
	cols    []column
	typeCol int
	header  bool
	lastEnd int // line of the last record read
}

// limitReader fails once more than max bytes were read past mark, the end of the last
// record, so one oversized record cannot exhaust memory.
type limitReader struct {
	r    io.Reader
	n    int64
	mark int64
	max  int64
}

var errTooLarge = errors.New("object too large")

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n-l.mark > l.max {
		return 0, errTooLarge
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	return n, err
}

func newCSVReader(r io.Reader, b base) *csvReader {
	lr := &limitReader{r: r, max: int64(b.maxObj)}
	cr := csv.NewReader(lr)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	return &csvReader{base: b, src: lr, cr: cr, typeCol: -1}
}

func (r *csvReader) Next() (Object, error) {
	if r.done {
		return Object{}, io.EOF
	}
	if !r.header {
		if err := r.readHeader(); err != nil {
			r.done = true
			return Object{}, err
		}
		r.header = true
	}
	for {
		rec, err := r.cr.Read()
		if err == io.EOF {
			r.done = true
			return Object{}, io.EOF
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				r.src.mark = r.cr.InputOffset()
				r.lastEnd = pe.Line
				p := r.pos(pe.StartLine)
				return Object{Pos: p}, rowErr(p, "", ErrSyntax, "%s", quoteReason(pe))
			}
			if errors.Is(err, errTooLarge) {
				return r.fatal(r.lastEnd+1, "", ErrSyntax, "record larger than %d bytes", r.maxObj)
			}
			return r.fatal(r.lastEnd+1, "", ErrSyntax, "read error: %v", err)
		}
		size, line := r.consumed(rec)
		if size > int64(r.maxObj) {
			p := r.pos(line)
			return Object{Pos: p}, rowErr(p, "", ErrSyntax, "record larger than %d bytes", r.maxObj)
		}
		if allEmpty(rec) {
			continue // blank spreadsheet rows are not objects
		}
		return r.record(rec, r.pos(line))
	}
}

// consumed records the end of rec, the record just read, and returns its size in bytes and
// its first line.
func (r *csvReader) consumed(rec []string) (size int64, line int) {
	end := r.cr.InputOffset()
	size, r.src.mark = end-r.src.mark, end
	line, _ = r.cr.FieldPos(0)
	r.lastEnd, _ = r.cr.FieldPos(len(rec) - 1)
	return size, line
}

func quoteReason(pe *csv.ParseError) string {
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return `bad quoting: a '"' inside an unquoted field (quote the field and double the '"')`
	case errors.Is(pe.Err, csv.ErrQuote):
		if pe.Line > pe.StartLine {
			return `bad quoting: a quoted field is not closed, or has a stray '"' (the record runs to line ` + itoa(pe.Line) + ")"
		}
		return `bad quoting: a quoted field is not closed, or has a stray '"'`
	}
	return "bad CSV: " + pe.Err.Error()
}

func allEmpty(rec []string) bool {
	for _, c := range rec {
		if c != "" {
			return false
		}
	}
	return true
}

func (r *csvReader) readHeader() error {
	rec, err := r.cr.Read()
	if err == io.EOF {
		return fatalErr(r.source, 1, "", ErrSyntax, "empty input: the first line must be a header naming WAPI fields")
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return fatalErr(r.source, pe.StartLine, "", ErrSyntax, "header: %s", quoteReason(pe))
		}
		if errors.Is(err, errTooLarge) {
			return fatalErr(r.source, 1, "", ErrSyntax, "header larger than %d bytes", r.maxObj)
		}
		return fatalErr(r.source, 1, "", ErrSyntax, "read error: %v", err)
	}
	_, line := r.consumed(rec)
	if len(rec) > 0 {
		rec[0] = strings.TrimPrefix(rec[0], bom)
	}
	if allEmpty(rec) {
		return fatalErr(r.source, line, "", ErrSyntax, "empty header: the first line must name WAPI fields")
	}
	var defType *Type
	if r.defType != "" && !slices.ContainsFunc(rec, func(c string) bool { return strings.TrimSpace(c) == TypeColumn }) {
		defType = lookupType(r.defType) // every row has this type: check the columns against it
	}
	seen := make(map[string]int, len(rec))
	r.cols = make([]column, len(rec))
	for i, raw := range rec {
		name := strings.TrimSpace(raw)
		colRef := "column " + itoa(i+1)
		if !utf8.ValidString(name) {
			return fatalErr(r.source, line, colRef, ErrSyntax, "header: invalid UTF-8")
		}
		if name == "" {
			return fatalErr(r.source, line, colRef, ErrSyntax, "header: empty column name")
		}
		if j, dup := seen[name]; dup {
			return fatalErr(r.source, line, name, ErrSyntax, "header: column %d repeats column %d", i+1, j+1)
		}
		seen[name] = i
		c := column{name: name}
		switch {
		case name == TypeColumn:
			c.isType = true
			r.typeCol = i
		default:
			if ea, k, ok := parseEAColumn(name); ok {
				if ea == "" || hasOuterSpace(ea) {
					return fatalErr(r.source, line, name, ErrSyntax, "header: an EA- column needs an attribute name (EA-Site)")
				}
				c.ea, c.eaKind = ea, k
				break
			}
			if defType != nil && defType.field(name) == nil {
				return fatalErr(r.source, line, name, ErrUnknownField, "header: unknown field of %s%s",
					defType.Name, suggest(name, fieldNames(defType.Fields)))
			}
			if c.fields = columnFields(name); c.fields == nil {
				return fatalErr(r.source, line, name, ErrUnknownField, "header: no supported type has this field%s",
					suggest(name, append(allFieldNames, TypeColumn)))
			}
		}
		r.cols[i] = c
	}
	if r.typeCol < 0 && r.defType == "" {
		return fatalErr(r.source, line, "", ErrUnknownType, "header: no %s column and no default type (--type)", TypeColumn)
	}
	return nil
}

// record converts one data record.
func (r *csvReader) record(rec []string, p Pos) (Object, error) {
	o := Object{Type: r.defType, Pos: p}
	if r.typeCol >= 0 && r.typeCol < len(rec) && rec[r.typeCol] != "" && utf8.ValidString(rec[r.typeCol]) {
		o.Type = rec[r.typeCol] // reports of the row name its type even when it is invalid
	}
	if len(rec) != len(r.cols) {
		return o, rowErr(p, "", ErrSyntax, "%d fields, the header has %d", len(rec), len(r.cols))
	}
	for i, cell := range rec {
		if !utf8.ValidString(cell) {
			return o, rowErr(p, r.cols[i].name, ErrSyntax, "invalid UTF-8")
		}
	}
	if err := checkTypeName(o.Type, p); err != nil {
		return o, err
	}
	t := lookupType(o.Type)
	o.Fields = make(map[string]any, len(rec))
	var eas map[string]any
	for i, cell := range rec {
		c := &r.cols[i]
		if cell == "" || c.isType {
			continue
		}
		if c.isEA() {
			v, reason := parseEACell(c.eaKind, cell)
			if reason != "" {
				return o, rowErr(p, c.name, ErrValue, "%s", reason)
			}
			if eas == nil {
				eas = make(map[string]any)
			}
			if _, dup := eas[c.ea]; dup {
				return o, rowErr(p, c.name, ErrSyntax, "attribute %s is set by two columns", quoteShort(c.ea))
			}
			eas[c.ea] = map[string]any{"value": v}
			continue
		}
		f := c.fields[t.idx]
		if f == nil {
			return o, rowErr(p, c.name, ErrUnknownField, "unknown field of %s%s", t.Name, suggest(c.name, fieldNames(t.Fields)))
		}
		v, reason := parseCell(f, cell)
		if reason != "" {
			return o, rowErr(p, c.name, ErrValue, "%s", reason)
		}
		o.Fields[f.Name] = v
	}
	if eas != nil {
		if t.field("extattrs") == nil {
			return o, rowErr(p, "extattrs", ErrUnknownField, "%s has no extensible attributes", t.Name)
		}
		if cur, ok := o.Fields["extattrs"].(map[string]any); ok {
			for k, v := range eas {
				if _, dup := cur[k]; dup {
					return o, rowErr(p, EAColumnPrefix+k, ErrSyntax, "attribute %s is also in the extattrs column", quoteShort(k))
				}
				cur[k] = v
			}
		} else if _, ok := o.Fields["extattrs"]; ok {
			return o, rowErr(p, "extattrs", ErrValue, `want {"Name": {"value": ...}}`)
		} else {
			o.Fields["extattrs"] = eas
		}
	}
	return o, nil
}
