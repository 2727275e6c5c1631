package input

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The CSV encoding of values, shared by the reader, the writer and the generator's key=value
// fields. The package documentation describes it for users.

// eaKind is the value kind of an EA-<Name> column, from its optional suffix.
type eaKind uint8

const (
	eaString eaKind = iota // EA-Name: the cell is the text value
	eaInt                  // EA-Name:int: an integer
	eaList                 // EA-Name:list: a multi-value attribute, values separated by ';'
	eaJSON                 // EA-Name:json: the cell is the JSON value
)

var eaSuffixes = [...]string{eaString: ":string", eaInt: ":int", eaList: ":list", eaJSON: ":json"}

// eaFields give each EA column kind the CSV encoding of a field kind: text, integer, list of
// text separated by ';', JSON.
var eaFields = [...]Field{eaString: {Kind: KindString}, eaInt: {Kind: KindInt}, eaList: {Kind: KindFQDNList}, eaJSON: {Kind: KindJSON}}

// EAColumnPrefix starts the CSV column of an extensible attribute: "EA-Site".
const EAColumnPrefix = "EA-"

// TypeColumn is the CSV column (and JSON key) naming an object's type.
const TypeColumn = "_type"

// parseEAColumn splits "EA-Name[:kind]" into the attribute name and kind; ok is false when
// name is not an EA column.
func parseEAColumn(col string) (name string, kind eaKind, ok bool) {
	if len(col) < len(EAColumnPrefix) || !strings.EqualFold(col[:len(EAColumnPrefix)], EAColumnPrefix) {
		return "", 0, false
	}
	name = col[len(EAColumnPrefix):]
	if k, ok := eaSuffix(name); ok {
		return name[:len(name)-len(eaSuffixes[k])], k, true
	}
	return name, eaString, true
}

// eaSuffix returns the kind whose suffix name ends with (in any case), if any.
func eaSuffix(name string) (eaKind, bool) {
	for k, suf := range eaSuffixes {
		if len(name) > len(suf) && strings.EqualFold(name[len(name)-len(suf):], suf) {
			return eaKind(k), true
		}
	}
	return 0, false
}

// eaColumn is the header of the column of attribute name and kind k: the kind suffix is left
// out for text unless the name itself ends like a suffix.
func eaColumn(name string, k eaKind) string {
	if k == eaString {
		if _, suffixed := eaSuffix(name); !suffixed {
			return EAColumnPrefix + name
		}
	}
	return EAColumnPrefix + name + eaSuffixes[k]
}

// parseCell converts a non-empty CSV cell to the value of field f; the value is then checked
// like any JSON value. It returns the reason on failure.
func parseCell(f *Field, cell string) (any, string) {
	switch f.Kind {
	case KindInt:
		n, err := strconv.ParseInt(cell, 10, 64)
		if err != nil {
			return nil, sprintf("want an integer, got %s", quoteShort(cell))
		}
		return n, ""
	case KindBool:
		return parseBool(cell)
	case KindFQDNList:
		items, r := splitList(cell, ';')
		if r != "" {
			return nil, r
		}
		return toAnyList(items), ""
	case KindHostAddrs4, KindHostAddrs6:
		return parseHostAddrs(f.Kind, cell)
	case KindExtAttrs, KindJSON:
		var v any
		if err := json.Unmarshal([]byte(cell), &v); err != nil {
			return nil, sprintf("want a JSON value: %s", jsonReason(err))
		}
		return normalizeJSON(v), ""
	}
	return cell, ""
}

func parseBool(cell string) (any, string) {
	switch {
	case strings.EqualFold(cell, "true"):
		return true, ""
	case strings.EqualFold(cell, "false"):
		return false, ""
	}
	return nil, sprintf("want true or false, got %s", quoteShort(cell))
}

// parseEACell converts a non-empty cell of an EA column of kind k.
func parseEACell(k eaKind, cell string) (any, string) { return parseCell(&eaFields[k], cell) }

// splitList splits s at unescaped sep and unescapes the items ("\x" is x). Empty items are
// an error.
func splitList(s string, sep byte) ([]string, string) {
	parts, r := splitEscaped(s, sep)
	if r != "" {
		return nil, r
	}
	for i, p := range parts {
		if p == "" {
			return nil, sprintf("empty item %d in a %q-separated list", i+1, sep)
		}
		parts[i] = unescape(p)
	}
	return parts, ""
}

// splitEscaped splits s at each sep not preceded by a backslash escape, keeping the escapes.
func splitEscaped(s string, sep byte) ([]string, string) {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 == len(s) {
				return nil, `a lone '\' ends the value (write '\\' for a backslash)`
			}
			i++
		case sep:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:]), ""
}

func unescape(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b = append(b, s[i])
	}
	return string(b)
}

// escapeItem escapes '\', ';' and '|' so an item survives splitList.
func escapeItem(s string) string {
	if strings.IndexAny(s, `\;|`) < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\\' || c == ';' || c == '|' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// parseHostAddrs reads "addr[|field=value...][;addr...]".
func parseHostAddrs(k Kind, cell string) (any, string) {
	entries, r := splitEscaped(cell, ';')
	if r != "" {
		return nil, r
	}
	addr := subFields(k)[0].Name
	out := make([]any, 0, len(entries))
	for i, e := range entries {
		parts, r := splitEscaped(e, '|')
		if r != "" {
			return nil, r
		}
		if parts[0] == "" {
			return nil, sprintf("entry %d has no address", i+1)
		}
		m := map[string]any{addr: unescape(parts[0])}
		for _, p := range parts[1:] {
			name, val, ok := strings.Cut(p, "=")
			if !ok {
				return nil, sprintf("entry %d: %s is not field=value", i+1, quoteShort(unescape(p)))
			}
			sf := subField(k, name)
			if sf == nil || sf.Name == addr {
				return nil, sprintf("entry %d: unknown field %s of a host address%s", i+1, quoteShort(name), suggest(name, subFieldNames(k)[1:]))
			}
			if _, dup := m[name]; dup {
				return nil, sprintf("entry %d: %s given twice", i+1, name)
			}
			v, r := parseCell(sf, unescape(val))
			if r != "" {
				return nil, sprintf("entry %d: %s: %s", i+1, name, r)
			}
			m[name] = v
		}
		out = append(out, m)
	}
	return out, ""
}

var errNotRepresentable = errors.New("value cannot be written in this column")

// formatCell renders v, a loadable value of field f, as a CSV cell.
func formatCell(f *Field, v any) (string, error) {
	switch f.Kind {
	case KindInt:
		n, ok := toInt(v)
		if !ok {
			return "", errNotRepresentable
		}
		return strconv.FormatInt(n, 10), nil
	case KindBool:
		b, ok := v.(bool)
		if !ok {
			return "", errNotRepresentable
		}
		return strconv.FormatBool(b), nil
	case KindFQDNList:
		list, ok := toList(v)
		if !ok {
			return "", errNotRepresentable
		}
		items := make([]string, len(list))
		for i, e := range list {
			s, ok := e.(string)
			if !ok || s == "" {
				return "", errNotRepresentable
			}
			items[i] = escapeItem(s)
		}
		return strings.Join(items, ";"), nil
	case KindHostAddrs4, KindHostAddrs6:
		return formatHostAddrs(f.Kind, v)
	case KindExtAttrs, KindJSON:
		b, err := json.Marshal(v)
		if err != nil {
			return "", errNotRepresentable
		}
		return string(b), nil
	}
	s, ok := v.(string)
	if !ok {
		return "", errNotRepresentable
	}
	return s, nil
}

func formatHostAddrs(k Kind, v any) (string, error) {
	list, ok := v.([]any)
	if !ok {
		return "", errNotRepresentable
	}
	addr := subFields(k)[0].Name
	var b strings.Builder
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return "", errNotRepresentable
		}
		a, ok := m[addr].(string)
		if !ok || a == "" {
			return "", errNotRepresentable
		}
		if i > 0 {
			b.WriteByte(';')
		}
		b.WriteString(escapeItem(a))
		names := make([]string, 0, len(m))
		for name := range m {
			if name != addr {
				names = append(names, name)
			}
		}
		slices.Sort(names)
		for _, name := range names {
			sf := subField(k, name)
			if sf == nil {
				return "", errNotRepresentable
			}
			s, err := formatCell(sf, m[name])
			if err != nil || s == "" {
				return "", errNotRepresentable
			}
			b.WriteByte('|')
			b.WriteString(name)
			b.WriteByte('=')
			b.WriteString(escapeItem(s))
		}
	}
	return b.String(), nil
}

// formatEACell renders an extensible attribute value for a column of kind k. An empty list
// has no cell (the reader would read the empty cell as no attribute).
func formatEACell(k eaKind, v any) (string, error) {
	if k == eaList {
		if list, ok := toList(v); ok && len(list) == 0 {
			return "", errNotRepresentable
		}
	}
	return formatCell(&eaFields[k], v)
}

// eaKindOf is the column kind that represents v exactly.
func eaKindOf(v any) eaKind {
	switch x := v.(type) {
	case string:
		return eaString
	case int64, int:
		return eaInt
	case float64:
		if x == math.Trunc(x) && math.Abs(x) <= 1<<53 {
			return eaInt
		}
	case []any:
		if len(x) == 0 {
			return eaJSON
		}
		for _, e := range x {
			if s, ok := e.(string); !ok || s == "" {
				return eaJSON
			}
		}
		return eaList
	}
	return eaJSON
}

// jsonReason shortens an encoding/json error for a message.
func jsonReason(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return se.Error()
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "want " + te.Type.String() + ", got a JSON " + te.Value
	}
	return err.Error()
}
