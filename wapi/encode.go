package wapi

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"
)

// JSONAppender is implemented by request bodies that encode themselves without reflection.
// AppendJSON appends the JSON encoding of the value to b.
type JSONAppender interface {
	AppendJSON(b []byte) ([]byte, error)
}

// appendJSON appends the JSON encoding of v. The dynamic shapes of request bodies (Object,
// map[string]any, []any, strings, numbers, booleans, ExtAttrs) are encoded directly, without
// reflection or allocation; any other value goes through encoding/json.
func appendJSON(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, x), nil
	case bool:
		if x {
			return append(b, "true"...), nil
		}
		return append(b, "false"...), nil
	case float64:
		return appendFloat(b, x, 64)
	case float32:
		return appendFloat(b, float64(x), 32)
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case int32:
		return strconv.AppendInt(b, int64(x), 10), nil
	case uint32:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case uint64:
		return strconv.AppendUint(b, x, 10), nil
	case json.Number:
		if !json.Valid([]byte(x)) || x == "" {
			return b, errors.New("json: invalid number literal " + strconv.Quote(string(x)))
		}
		return append(b, x...), nil
	case json.RawMessage:
		if !json.Valid(x) {
			return b, errors.New("json: invalid RawMessage")
		}
		return append(b, x...), nil
	case Object:
		return appendMap(b, x)
	case map[string]any:
		return appendMap(b, x)
	case map[string]string:
		return appendStringMap(b, x)
	case ExtAttrs:
		return appendExtAttrs(b, x)
	case ExtAttr:
		b = append(b, `{"value":`...)
		b, err := appendJSON(b, x.Value)
		return append(b, '}'), err
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSON(b, e); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case []string:
		if x == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, e)
		}
		return append(b, ']'), nil
	case JSONAppender:
		return x.AppendJSON(b)
	}
	enc, err := json.Marshal(v)
	if err != nil {
		return b, err
	}
	return append(b, enc...), nil
}

// sortedKeys returns the keys of m in order, using buf when it is large enough.
func sortedKeys[V any](m map[string]V, buf []string) []string {
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func appendMap[M ~map[string]any](b []byte, m M) ([]byte, error) {
	if m == nil {
		return append(b, "null"...), nil
	}
	var buf [16]string
	keys := sortedKeys(map[string]any(m), buf[:])
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		var err error
		if b, err = appendJSON(b, m[k]); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

func appendStringMap(b []byte, m map[string]string) ([]byte, error) {
	if m == nil {
		return append(b, "null"...), nil
	}
	var buf [16]string
	keys := sortedKeys(m, buf[:])
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, m[k])
	}
	return append(b, '}'), nil
}

func appendExtAttrs(b []byte, m ExtAttrs) ([]byte, error) {
	if m == nil {
		return append(b, "null"...), nil
	}
	var buf [16]string
	keys := sortedKeys(m, buf[:])
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, `:{"value":`...)
		var err error
		if b, err = appendJSON(b, m[k].Value); err != nil {
			return b, err
		}
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

// appendFloat formats f as encoding/json does.
func appendFloat(b []byte, f float64, bits int) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, errors.New("json: unsupported value: " + strconv.FormatFloat(f, 'g', -1, bits))
	}
	abs := math.Abs(f)
	fmt := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			fmt = 'e'
		}
	}
	b = strconv.AppendFloat(b, f, fmt, -1, bits)
	if fmt == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD and U+2028/U+2029
// are escaped, as encoding/json does; HTML characters are left alone.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// encodeBody encodes a request body: []byte and json.RawMessage are used as they are (they
// must hold JSON), everything else is encoded with appendJSON. The result is a fresh slice
// the caller owns.
func encodeBody(v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []byte:
		if !json.Valid(x) {
			return nil, invalidf("body: []byte is not valid JSON")
		}
		return x, nil
	case json.RawMessage:
		if !json.Valid(x) {
			return nil, invalidf("body: json.RawMessage is not valid JSON")
		}
		return x, nil
	}
	sp := scratchPool.Get().(*[]byte)
	out, err := appendJSON((*sp)[:0], v)
	var body []byte
	if err == nil {
		body = slices.Clone(out)
	}
	if cap(out) <= maxPooledBuffer {
		*sp = out[:0]
		scratchPool.Put(sp)
	}
	if err != nil {
		return nil, invalidf("body: %v", err)
	}
	return body, nil
}

// scratchPool holds encoding buffers for request bodies.
var scratchPool = sync.Pool{New: func() any {
	b := make([]byte, 0, 512)
	return &b
}}
