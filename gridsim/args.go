package gridsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// kv is one argument or search filter, in the order given.
type kv struct {
	key, value string
}

// args are a request's control arguments (those starting with '_') and its search filters.
type args struct {
	returnFields []string // nil: basic fields
	returnPlus   bool     // _return_fields+: basic fields plus these
	maxResults   int
	hasMax       bool
	asObject     bool
	paging       bool
	pageID       string
	function     string
	filters      []kv
	// canon is the arguments that define a search, for page ids.
	canon []kv
}

// controlArgs lists the control arguments accepted; those not acted upon are accepted and
// ignored (see the package documentation).
var controlArgs = map[string]bool{
	"_return_fields": true, "_return_fields+": true, "_max_results": true,
	"_return_as_object": true, "_paging": true, "_page_id": true, "_function": true,
	"_schema": true, "_schema_version": true, "_get_doc": true, "_schema_searchable": true,
	"_return_type": true, "_proxy_search": true, "_inheritance": true, "_method": false,
	"_remove_subnets": true, "remove_subnets": true,
}

// parseQuery splits a raw query string. Keys keep a literal '+' (so `_return_fields+=a`
// works unencoded, as on a grid); values decode '+' as a space.
func parseQuery(raw string) ([]kv, *apiError) {
	var out []kv
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		key, err := url.PathUnescape(k)
		if err != nil {
			return nil, protoErr("Invalid URL encoding in argument: %s", k)
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			return nil, protoErr("Invalid URL encoding in argument: %s", key)
		}
		if !utf8.ValidString(key) || !utf8.ValidString(val) {
			return nil, protoErr("Invalid UTF-8 in argument: %s", strings.ToValidUTF8(key, "?"))
		}
		out = append(out, kv{key, val})
	}
	return out, nil
}

// jsonArgs turns a JSON object (a GET body, or the args of a request item) into arguments:
// strings as they are, numbers as text, booleans as "true"/"false" ("1"/"0" for control
// flags), lists as repeated arguments.
func jsonArgs(m map[string]any) ([]kv, *apiError) {
	var out []kv
	keys := sortedKeys(m)
	for _, k := range keys {
		vals, err := argStrings(k, m[k])
		if err != nil {
			return nil, err
		}
		for _, v := range vals {
			out = append(out, kv{k, v})
		}
	}
	return out, nil
}

func argStrings(k string, v any) ([]string, *apiError) {
	switch x := v.(type) {
	case string:
		return []string{x}, nil
	case json.Number:
		return []string{x.String()}, nil
	case bool:
		if strings.HasPrefix(k, "_") {
			if x {
				return []string{"1"}, nil
			}
			return []string{"0"}, nil
		}
		return []string{strconv.FormatBool(x)}, nil
	case []any:
		var out []string
		for _, e := range x {
			s, err := argStrings(k, e)
			if err != nil {
				return nil, err
			}
			out = append(out, s...)
		}
		return out, nil
	case nil:
		return []string{""}, nil
	}
	return nil, invalidValue(k, repr(v), "Must be a string, a number or a boolean")
}

func truthy(v string) (bool, bool) {
	switch strings.ToLower(v) {
	case "1", "true", "yes":
		return true, true
	case "0", "false", "no", "":
		return false, true
	}
	return false, false
}

// parseArgs sorts arguments into control arguments and filters and checks the control ones.
func parseArgs(list []kv) (*args, *apiError) {
	a := &args{maxResults: DefaultMaxResults}
	for _, p := range list {
		if !strings.HasPrefix(p.key, "_") {
			a.filters = append(a.filters, p)
			a.canon = append(a.canon, p)
			continue
		}
		if ok := controlArgs[p.key]; !ok {
			return nil, unknownField(p.key)
		}
		switch p.key {
		case "_return_fields", "_return_fields+":
			a.returnPlus = a.returnPlus || p.key == "_return_fields+"
			if a.returnFields == nil {
				a.returnFields = []string{}
			}
			for _, f := range strings.Split(p.value, ",") {
				if f = strings.TrimSpace(f); f != "" {
					a.returnFields = append(a.returnFields, f)
				}
			}
			a.canon = append(a.canon, p)
		case "_max_results":
			n, err := strconv.Atoi(strings.TrimSpace(p.value))
			if err != nil || n == 0 {
				return nil, invalidValue("_max_results", p.value, "Must be a non-zero integer")
			}
			a.maxResults, a.hasMax = n, true
			a.canon = append(a.canon, p)
		case "_return_as_object", "_paging", "_schema":
			b, ok := truthy(p.value)
			if !ok {
				return nil, invalidValue(p.key, p.value, "Must be 0 or 1")
			}
			switch p.key {
			case "_return_as_object":
				a.asObject = b
			case "_paging":
				a.paging = b
			}
		case "_page_id":
			a.pageID = p.value
		case "_function":
			a.function = p.value
		case "_return_type":
			switch p.value {
			case "json", "json-pretty":
			case "xml", "xml-pretty":
				return nil, protoErr("Return type %s is not supported by this grid", p.value)
			default:
				return nil, invalidValue("_return_type", p.value, "Must be one of json, json-pretty, xml, xml-pretty")
			}
		case "_proxy_search":
			switch strings.ToUpper(p.value) {
			case "GM", "LOCAL":
			default:
				return nil, invalidValue("_proxy_search", p.value, "Must be GM or LOCAL")
			}
		}
	}
	return a, nil
}

// filterMods splits "name:~" into the field and its modifiers. The field may start with '*'
// (an extensible attribute).
func filterMods(key string) (field, mods string) {
	i := len(key)
	for i > 0 && strings.IndexByte("!:~<>", key[i-1]) >= 0 {
		i--
	}
	return key[:i], key[i:]
}

// Body decoding.

// decodeBody reads a request body: JSON with or without a Content-Type, or a form-encoded
// body. It returns the decoded value (nil for an empty body) and whether it was a form.
func decodeBody(contentType string, body []byte) (any, bool, *apiError) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, false, nil
	}
	ct := strings.ToLower(contentType)
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(ct)
	looksJSON := trimmed[0] == '{' || trimmed[0] == '['
	switch {
	case ct == "application/x-www-form-urlencoded" && !looksJSON:
		// curl -d and many scripts send JSON with this type: like the grid, look at the body.
		return decodeForm(trimmed)
	case ct == "multipart/form-data":
		return nil, false, protoErr("Content type %s is not supported", ct)
	case ct == "" || ct == "text/plain":
		if c := trimmed[0]; c != '{' && c != '[' && c != '"' && bytes.IndexByte(trimmed, '=') > 0 {
			return decodeForm(trimmed)
		}
	}
	v, err := decodeJSON(trimmed)
	if err != nil {
		return nil, false, err
	}
	return v, false, nil
}

func decodeForm(b []byte) (any, bool, *apiError) {
	list, err := parseQuery(string(b))
	if err != nil {
		return nil, false, err
	}
	m := make(map[string]any, len(list))
	for _, p := range list {
		if old, ok := m[p.key]; ok {
			if l, ok := old.([]any); ok {
				m[p.key] = append(l, p.value)
			} else {
				m[p.key] = []any{old, p.value}
			}
			continue
		}
		m[p.key] = p.value
	}
	return m, true, nil
}

// decodeJSON decodes one JSON value (numbers kept as text) and rejects trailing data and
// invalid UTF-8, with the grid's JSON decoding error.
func decodeJSON(b []byte) (any, *apiError) {
	if !utf8.Valid(b) {
		pos := 0
		for pos < len(b) {
			r, size := utf8.DecodeRune(b[pos:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			pos += size
		}
		return nil, jsonErr("'utf8' codec can't decode byte 0x" + strconv.FormatUint(uint64(b[pos]), 16) +
			" in position " + strconv.Itoa(pos) + ": invalid start byte")
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, jsonErr(jsonDetail(b, err))
	}
	if d.More() {
		off := int(d.InputOffset())
		return nil, jsonErr("Extra data: " + jsonPos(b, off))
	}
	if _, err := d.Token(); err == nil {
		return nil, jsonErr("Extra data: " + jsonPos(b, int(d.InputOffset())))
	}
	return v, nil
}

func jsonDetail(b []byte, err error) string {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		off := int(se.Offset)
		if off > 0 {
			off--
		}
		if off == 0 {
			return "No JSON object could be decoded"
		}
		return "Expecting value: " + jsonPos(b, off)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "Unterminated JSON value: " + jsonPos(b, len(b))
	}
	return "No JSON object could be decoded"
}

// jsonPos renders a byte offset as Python's json does: "line L column C (char N)".
func jsonPos(b []byte, off int) string {
	if off > len(b) {
		off = len(b)
	}
	line := 1 + bytes.Count(b[:off], []byte{'\n'})
	col := off + 1
	if i := bytes.LastIndexByte(b[:off], '\n'); i >= 0 {
		col = off - i
	}
	return "line " + strconv.Itoa(line) + " column " + strconv.Itoa(col) + " (char " + strconv.Itoa(off) + ")"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
