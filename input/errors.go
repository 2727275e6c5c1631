package input

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Error categories. A *RowError unwraps to one of them, so callers classify with errors.Is.
var (
	// ErrSyntax: the input is not well-formed (CSV quoting, column count, encoding, header,
	// JSON syntax or truncation, wrong JSON structure, oversized objects).
	ErrSyntax = errors.New("malformed input")
	// ErrUnknownType: the object type is not one the loader supports.
	ErrUnknownType = errors.New("unknown object type")
	// ErrUnknownField: a field (or CSV column) the type does not have.
	ErrUnknownField = errors.New("unknown field")
	// ErrMissingField: a required field is absent.
	ErrMissingField = errors.New("missing required field")
	// ErrValue: a value of the wrong kind, or with bad syntax (CIDR, address, DNS name, ...).
	ErrValue = errors.New("invalid value")
	// ErrDuplicate: the object's key was already seen earlier in the input.
	ErrDuplicate = errors.New("duplicate object")
	// ErrSpec: a generator specification that cannot be generated.
	ErrSpec = errors.New("invalid generator spec")
)

// RowError reports a problem with one input object or with the input's structure. Its
// message reads "source:line: field: reason" ("source:line: reason" when no single field is
// at fault).
type RowError struct {
	Source string // input name ("stdin" for "-", "generate" for the generator)
	Line   int    // 1-based line: where the object starts, or where the structure broke
	Field  string // field or CSV column at fault; empty for the whole object or structure
	Reason string
	// Ordinal is the object's position in the stream (0-based), or -1 when the error is not
	// about one object (a bad header, a truncated document, a bad generator spec).
	Ordinal int64
	// Fatal reports that reading cannot continue: the reader returns io.EOF afterwards.
	Fatal bool
	// Err is the category: one of ErrSyntax, ErrUnknownType, ...
	Err error
}

// Error implements error.
func (e *RowError) Error() string {
	var b strings.Builder
	b.Grow(len(e.Source) + len(e.Field) + len(e.Reason) + 16)
	b.WriteString(e.Source)
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(e.Line))
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Unwrap returns the category.
func (e *RowError) Unwrap() error { return e.Err }

// IsFatal reports whether err ends the stream: any error that is not a non-fatal *RowError.
func IsFatal(err error) bool {
	var re *RowError
	if errors.As(err, &re) {
		return re.Fatal
	}
	return err != nil
}

func rowErr(p Pos, field string, cat error, format string, args ...any) *RowError {
	return &RowError{Source: p.Source, Line: p.Line, Field: field, Ordinal: p.Ordinal, Err: cat,
		Reason: fmt.Sprintf(format, args...)}
}

func fatalErr(source string, line int, field string, cat error, format string, args ...any) *RowError {
	return &RowError{Source: source, Line: line, Field: field, Ordinal: -1, Fatal: true, Err: cat,
		Reason: fmt.Sprintf(format, args...)}
}

func itoa(n int) string { return strconv.Itoa(n) }

// suggest returns ` (did you mean "x"?)` for the candidate closest to s, or "" if none is
// close: a case-insensitive match, or an edit distance of at most a third of the length
// (at least 1, at most 3).
func suggest(s string, candidates []string) string {
	best, bestD := "", 1<<30
	ls := strings.ToLower(s)
	for _, c := range candidates {
		if strings.ToLower(c) == ls {
			return fmt.Sprintf(" (did you mean %q?)", c)
		}
		d := editDistance(ls, strings.ToLower(c))
		if d < bestD {
			best, bestD = c, d
		}
	}
	limit := min(max(len(s)/3, 1), 3)
	if best != "" && bestD <= limit {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b (bytes), capped for long inputs.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		if a == b {
			return 0
		}
		return 1 << 20
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// describe renders a JSON value for messages: its kind and, for scalars, a short quote.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "text " + quoteShort(x)
	case bool:
		return "boolean " + strconv.FormatBool(x)
	case float64:
		return "number " + strconv.FormatFloat(x, 'g', -1, 64)
	case int64:
		return "number " + strconv.FormatInt(x, 10)
	case int:
		return "number " + strconv.Itoa(x)
	case json.Number:
		return "number " + string(x)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("a %T", v)
}

// quoteShort quotes s, cut to 60 bytes.
func quoteShort(s string) string {
	if len(s) > 60 {
		cut := 57
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		return strconv.Quote(s[:cut]) + "..."
	}
	return strconv.Quote(s)
}
