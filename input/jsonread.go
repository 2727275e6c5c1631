package input

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"unicode/utf8"
)

// tracker sits between the source and a json.Decoder. It keeps the bytes the decoder has read
// but not yet consumed, so the reader can find where each element starts, count lines, check
// UTF-8 and locate syntax errors, and it fails the read once an element grows past the limit.
type tracker struct {
	r     io.Reader
	buf   []byte // bytes from offset base, starting at buf[start]
	start int
	base  int64 // decoder offset of buf[start]
	line  int   // line at offset base
	limit int
}

func (t *tracker) Read(p []byte) (int, error) {
	if len(t.buf)-t.start > t.limit {
		return 0, errTooLarge
	}
	n, err := t.r.Read(p)
	if n > 0 {
		if t.start > 0 && t.start >= len(t.buf)/2 {
			t.buf = t.buf[:copy(t.buf, t.buf[t.start:])]
			t.start = 0
		}
		t.buf = append(t.buf, p[:n]...)
	}
	return n, err
}

// window returns the bytes from decoder offset off onwards that have been read.
func (t *tracker) window(off int64) []byte {
	k := t.start + int(off-t.base)
	if k < t.start {
		k = t.start
	}
	if k > len(t.buf) {
		k = len(t.buf)
	}
	return t.buf[k:]
}

// lineAt returns the line of decoder offset off (>= base), without consuming.
func (t *tracker) lineAt(off int64) int {
	w := t.buf[t.start:]
	k := min(int(off-t.base), len(w))
	if k < 0 {
		k = 0
	}
	return t.line + bytes.Count(w[:k], []byte{'\n'})
}

// lastLine is the line of the last byte read (the last line of the input at its end).
func (t *tracker) lastLine() int {
	w := t.buf[t.start:]
	n := t.line + bytes.Count(w, []byte{'\n'})
	if len(w) > 0 && w[len(w)-1] == '\n' {
		n--
	}
	return n
}

// advance consumes up to decoder offset off.
func (t *tracker) advance(off int64) {
	w := t.buf[t.start:]
	k := min(int(off-t.base), len(w))
	if k <= 0 {
		return
	}
	t.line += bytes.Count(w[:k], []byte{'\n'})
	t.start += k
	t.base += int64(k)
}

// valueStart returns the offset of the value following off: past white space and one comma.
func (t *tracker) valueStart(off int64) int64 {
	w := t.window(off)
	i := 0
	for i < len(w) && isSpace(w[i]) {
		i++
	}
	if i < len(w) && w[i] == ',' {
		i++
		for i < len(w) && isSpace(w[i]) {
			i++
		}
	}
	return off + int64(i)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// jsonReader reads a JSON array of objects, or JSON objects one after another.
type jsonReader struct {
	base
	tr      *tracker
	dec     *json.Decoder
	array   bool
	started bool
}

func newJSONReader(r io.Reader, b base) *jsonReader {
	tr := &tracker{r: r, line: 1, limit: b.maxObj}
	return &jsonReader{base: b, tr: tr}
}

// begin skips a byte order mark and leading white space, and decides array or stream.
func (r *jsonReader) begin() error {
	r.started = true
	br := bufio.NewReaderSize(r.tr.r, 64<<10)
	if p, _ := br.Peek(3); string(p) == bom {
		br.Discard(3)
	}
	for {
		c, err := br.ReadByte()
		if err == io.EOF {
			_, err := r.fatal(r.tr.line, "", ErrSyntax, "empty input: want a JSON array of objects")
			return err
		}
		if err != nil {
			_, err := r.fatal(r.tr.line, "", ErrSyntax, "read error: %v", err)
			return err
		}
		if c == '\n' {
			r.tr.line++
		}
		if isSpace(c) {
			continue
		}
		br.UnreadByte()
		switch c {
		case '[':
			r.array = true
		case '{':
		default:
			_, err := r.fatal(r.tr.line, "", ErrSyntax, "want a JSON array of objects, got %s", firstTokenDesc(c))
			return err
		}
		break
	}
	r.tr.r = br
	r.dec = json.NewDecoder(r.tr)
	r.dec.UseNumber()
	if r.array {
		if _, err := r.dec.Token(); err != nil {
			_, err := r.syntaxFatal(err, 0)
			return err
		}
		r.tr.advance(r.dec.InputOffset())
	}
	return nil
}

func firstTokenDesc(c byte) string {
	switch {
	case c == '"':
		return "a string"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	case c == '-' || c >= '0' && c <= '9':
		return "a number"
	}
	return "something that is not JSON"
}

func (r *jsonReader) Next() (Object, error) {
	if r.done {
		return Object{}, io.EOF
	}
	if !r.started {
		if err := r.begin(); err != nil {
			return Object{}, err
		}
	}
	if !r.dec.More() {
		return r.end()
	}
	off0 := r.dec.InputOffset()
	var m map[string]any
	err := r.dec.Decode(&m)
	start := r.tr.valueStart(off0)
	line := r.tr.lineAt(start)
	end := r.dec.InputOffset()
	if err != nil {
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) {
			return r.syntaxFatal(err, start)
		}
	}
	elem := r.tr.window(start)
	if n := int(end - start); n <= len(elem) {
		elem = elem[:n]
	}
	valid := utf8.Valid(elem)
	r.tr.advance(end)
	p := r.pos(line)
	if err != nil || m == nil {
		got := "null"
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			got = "a JSON " + te.Value
		}
		return Object{Pos: p}, rowErr(p, "", ErrSyntax, "want a JSON object, got %s", got)
	}
	if !valid {
		return Object{Pos: p, Fields: m}, rowErr(p, "", ErrSyntax, "invalid UTF-8")
	}
	return r.fromMap(m, p)
}

// end handles the end of the array or stream: a closing bracket, then nothing else.
func (r *jsonReader) end() (Object, error) {
	off := r.dec.InputOffset()
	tok, err := r.dec.Token()
	if r.array {
		if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
			return r.fatal(r.tr.lastLine(), "", ErrSyntax, "truncated JSON: the array is not closed with ']'")
		}
		if err != nil {
			return r.syntaxFatal(err, off)
		}
		if d, ok := tok.(json.Delim); !ok || d != ']' {
			return r.fatal(r.tr.lineAt(off), "", ErrSyntax, "want ']' or an object, got %v", tok)
		}
		r.tr.advance(r.dec.InputOffset())
		off = r.dec.InputOffset()
		tok, err = r.dec.Token()
	}
	if err == io.EOF {
		r.done = true
		return Object{}, io.EOF
	}
	line := r.tr.lineAt(r.tr.valueStart(off))
	if err != nil {
		return r.syntaxFatal(err, off)
	}
	if r.array {
		return r.fatal(line, "", ErrSyntax, "unexpected data after the JSON array: %v", tok)
	}
	return r.fatal(line, "", ErrSyntax, "want a JSON object, got %v", tok)
}

// syntaxFatal ends the stream on a decoding error in the value starting at offset start.
func (r *jsonReader) syntaxFatal(err error, start int64) (Object, error) {
	line := r.tr.lineAt(start)
	switch {
	case errors.Is(err, errTooLarge):
		return r.fatal(line, "", ErrSyntax, "object larger than %d bytes", r.maxObj)
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		return r.fatal(line, "", ErrSyntax, "truncated JSON: the input ends inside the object that starts here")
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// The decoder's offsets are not reliable; rescan the buffered value for the exact spot.
		w := r.tr.window(start)
		var v struct{}
		if e2 := json.Unmarshal(w, &v); e2 != nil {
			var se2 *json.SyntaxError
			if errors.As(e2, &se2) && se2.Offset > 0 && int(se2.Offset) <= len(w) {
				if se2.Error() == "unexpected end of JSON input" {
					return r.fatal(line, "", ErrSyntax, "truncated JSON: the input ends inside the object that starts here")
				}
				return r.fatal(r.tr.lineAt(start+se2.Offset-1), "", ErrSyntax, "invalid JSON: %s", se.Error())
			}
		}
		return r.fatal(line, "", ErrSyntax, "invalid JSON: %s", se.Error())
	}
	return r.fatal(line, "", ErrSyntax, "read error: %v", err)
}

// jsonLinesReader reads one JSON object per line; a bad line is skipped with a row error.
type jsonLinesReader struct {
	base
	br   *bufio.Reader
	line int
	buf  []byte
}

func newJSONLinesReader(r io.Reader, b base) *jsonLinesReader {
	return &jsonLinesReader{base: b, br: bufio.NewReaderSize(r, 64<<10)}
}

func (r *jsonLinesReader) Next() (Object, error) {
	for !r.done {
		line, tooLong, err := r.readLine()
		if err == errEndlessLine {
			return r.fatal(r.line+1, "", ErrSyntax, "line of more than %d times the limit of %d bytes for one object: not JSON lines", skipFactor, r.maxObj)
		}
		if err != nil && err != io.EOF {
			return r.fatal(r.line+1, "", ErrSyntax, "read error: %v", err)
		}
		if err == io.EOF {
			r.done = true
			if len(line) == 0 && !tooLong {
				break
			}
		}
		r.line++
		if r.line == 1 {
			line = bytes.TrimPrefix(line, []byte(bom))
		}
		if tooLong {
			p := r.pos(r.line)
			return Object{Pos: p}, rowErr(p, "", ErrSyntax, "line longer than %d bytes", r.maxObj)
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		p := r.pos(r.line)
		if !utf8.Valid(line) {
			return Object{Pos: p}, rowErr(p, "", ErrSyntax, "invalid UTF-8")
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) && te.Field == "" {
				return Object{Pos: p}, rowErr(p, "", ErrSyntax, "want a JSON object, got a JSON %s", te.Value)
			}
			var se *json.SyntaxError
			if errors.As(err, &se) && se.Error() == "unexpected end of JSON input" {
				return Object{Pos: p}, rowErr(p, "", ErrSyntax, "truncated JSON: the line ends inside the object")
			}
			return Object{Pos: p}, rowErr(p, "", ErrSyntax, "invalid JSON: %s", jsonReason(err))
		}
		if m == nil {
			return Object{Pos: p}, rowErr(p, "", ErrSyntax, "want a JSON object, got null")
		}
		return r.fromMap(m, p)
	}
	return Object{}, io.EOF
}

// skipFactor bounds how far past the object size limit a too-long line is skipped: a line
// longer than skipFactor × the limit is not a JSON line (a binary file, a JSON array of a
// million objects on one line, an endless stream) and stops the read.
const skipFactor = 16

// errEndlessLine is a line longer than skipFactor × the limit.
var errEndlessLine = errors.New("endless line")

// readLine returns the next line without its '\n'. A line longer than the limit is skipped
// to its end and reported with tooLong; one longer than skipFactor times the limit returns
// errEndlessLine.
func (r *jsonLinesReader) readLine() (line []byte, tooLong bool, err error) {
	r.buf = r.buf[:0]
	skipped := 0
	for {
		chunk, err := r.br.ReadSlice('\n')
		if tooLong {
			skipped += len(chunk)
			if skipped > skipFactor*r.maxObj && err == bufio.ErrBufferFull {
				return nil, true, errEndlessLine
			}
		} else {
			if len(r.buf)+len(chunk) > r.maxObj+1 {
				tooLong = true
				r.buf = r.buf[:0]
			} else {
				r.buf = append(r.buf, chunk...)
			}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err != nil:
			return r.buf, tooLong, err
		}
		return bytes.TrimSuffix(r.buf, []byte{'\n'}), tooLong, nil
	}
}
