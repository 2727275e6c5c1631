package gridsim

import (
	"encoding/json"
	"strconv"
)

// Replies are rendered the way the grid's Python 2 encoder does (json.dumps with indent=4):
// four spaces per level, ", " between items (so lines end with a space), ": " after keys,
// keys in sorted order, ASCII only. Stored field values are kept as compact canonical JSON and
// re-indented on output.

const indentUnit = "    "

func appendNewline(b []byte, depth int) []byte {
	b = append(b, '\n')
	for range depth {
		b = append(b, indentUnit...)
	}
	return b
}

// appendCanonical appends v (a value decoded with UseNumber) as compact canonical JSON:
// sorted keys, Python-style string escaping.
func appendCanonical(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		if x {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case string:
		return appendQuoted(b, x)
	case json.Number:
		return append(b, x...)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case uint64:
		return strconv.AppendUint(b, x, 10)
	case float64:
		return strconv.AppendFloat(b, x, 'g', -1, 64)
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendCanonical(b, e)
		}
		return append(b, ']')
	case []string:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendQuoted(b, e)
		}
		return append(b, ']')
	case map[string]any:
		b = append(b, '{')
		for i, k := range sortedKeys(x) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendQuoted(b, k)
			b = append(b, ':')
			b = appendCanonical(b, x[k])
		}
		return append(b, '}')
	}
	return append(b, "null"...)
}

// anyList returns ss as a JSON list value.
func anyList(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// appendIndented re-indents compact JSON raw (as produced by appendCanonical) at depth.
func appendIndented(b []byte, raw string, depth int) []byte {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch c {
		case '"':
			j := i + 1
			for j < len(raw) {
				if raw[j] == '\\' {
					j += 2
					continue
				}
				if raw[j] == '"' {
					break
				}
				j++
			}
			if j >= len(raw) {
				j = len(raw) - 1
			}
			b = append(b, raw[i:j+1]...)
			i = j
		case '{', '[':
			closer := byte('}')
			if c == '[' {
				closer = ']'
			}
			if i+1 < len(raw) && raw[i+1] == closer {
				b = append(b, c, closer)
				i++
				continue
			}
			depth++
			b = append(b, c)
			b = appendNewline(b, depth)
		case '}', ']':
			depth--
			b = appendNewline(b, depth)
			b = append(b, c)
		case ',':
			b = append(b, ',', ' ')
			b = appendNewline(b, depth)
		case ':':
			b = append(b, ": "...)
		default:
			b = append(b, c)
		}
	}
	return b
}
