package input

import (
	"encoding/json"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sub-fields of the entries of record:host address lists, first the address (required).
var (
	hostAddr4Fields = []Field{
		{Name: "ipv4addr", Kind: KindIPv4}, {Name: "mac", Kind: KindMAC},
		{Name: "configure_for_dhcp", Kind: KindBool}, {Name: "use_for_ea_inheritance", Kind: KindBool},
	}
	hostAddr6Fields = []Field{
		{Name: "ipv6addr", Kind: KindIPv6}, {Name: "duid", Kind: KindString},
		{Name: "configure_for_dhcp", Kind: KindBool}, {Name: "use_for_ea_inheritance", Kind: KindBool},
	}
)

func subFields(k Kind) []Field {
	if k == KindHostAddrs6 {
		return hostAddr6Fields
	}
	return hostAddr4Fields
}

func subField(k Kind, name string) *Field {
	fs := subFields(k)
	for i := range fs {
		if fs[i].Name == name {
			return &fs[i]
		}
	}
	return nil
}

func subFieldNames(k Kind) []string { return fieldNames(subFields(k)) }

// valErr is a value problem: the field (path) at fault and the reason.
type valErr struct{ field, reason string }

func vErr(field, format string, args ...any) *valErr {
	if len(args) == 0 {
		return &valErr{field, format}
	}
	return &valErr{field, sprintf(format, args...)}
}

// checkValue checks v against f. It returns the value in canonical Go form (integers as
// int64, []string as []any) or the problem. path names the field in messages.
func checkValue(f *Field, path string, v any) (any, *valErr) {
	if v == nil {
		return nil, vErr(path, "null is not a value (leave the field out)")
	}
	switch f.Kind {
	case KindString, KindComment, KindName, KindEnum, KindIPv4, KindIPv6, KindCIDR4, KindCIDR6,
		KindFQDN, KindRecordName, KindZone, KindMAC:
		s, ok := v.(string)
		if !ok {
			return nil, vErr(path, "want %s, got %s", article(f.Kind), describe(v))
		}
		if r := checkString(f, s); r != "" {
			return nil, vErr(path, "%s", r)
		}
		return s, nil
	case KindInt:
		n, ok := toInt(v)
		if !ok {
			return nil, vErr(path, "want an integer, got %s", describe(v))
		}
		if n < f.Min || n > f.Max {
			return nil, vErr(path, "%d is out of range (%d to %d)", n, f.Min, f.Max)
		}
		return n, nil
	case KindBool:
		if _, ok := v.(bool); !ok {
			return nil, vErr(path, "want true or false, got %s", describe(v))
		}
		return v, nil
	case KindFQDNList:
		list, ok := toList(v)
		if !ok {
			return nil, vErr(path, "want a list of DNS names, got %s", describe(v))
		}
		for i, e := range list {
			s, ok := e.(string)
			if !ok {
				return nil, vErr(indexPath(path, i), "want a DNS name, got %s", describe(e))
			}
			if r := checkDNSName(s, false); r != "" {
				return nil, vErr(indexPath(path, i), "%s", r)
			}
		}
		return list, nil
	case KindHostAddrs4, KindHostAddrs6:
		return checkHostAddrs(f.Kind, path, v)
	case KindExtAttrs:
		return checkExtAttrs(path, v)
	case KindJSON:
		return normalizeJSON(v), nil
	}
	return nil, vErr(path, "field kind %v is not supported", f.Kind)
}

// checkString checks a string value of a string-like kind; it returns the reason or "".
func checkString(f *Field, s string) string {
	if !utf8.ValidString(s) {
		return "invalid UTF-8"
	}
	switch f.Kind {
	case KindComment:
		if utf8.RuneCountInString(s) > 256 {
			return sprintf("comment is %d characters long, at most 256 are allowed", utf8.RuneCountInString(s))
		}
		if hasOuterSpace(s) {
			return "leading or trailing white space is not allowed"
		}
	case KindName:
		if s == "" {
			return "empty name"
		}
		if hasOuterSpace(s) {
			return "leading or trailing white space is not allowed"
		}
	case KindEnum:
		for _, e := range f.Enum {
			if s == e {
				return ""
			}
		}
		return sprintf("%s is not one of %s%s", quoteShort(s), strings.Join(f.Enum, ", "), suggest(s, f.Enum))
	case KindIPv4:
		return checkAddr(s, 4)
	case KindIPv6:
		return checkAddr(s, 6)
	case KindCIDR4:
		_, r := checkCIDR(s, 4)
		return r
	case KindCIDR6:
		_, r := checkCIDR(s, 6)
		return r
	case KindFQDN:
		return checkDNSName(s, false)
	case KindRecordName:
		return checkDNSName(s, true)
	case KindZone:
		if strings.IndexByte(s, '/') >= 0 {
			_, r := checkCIDR(s, 0)
			return r
		}
		return checkDNSName(s, false)
	case KindMAC:
		return checkMAC(s)
	}
	return ""
}

func hasOuterSpace(s string) bool {
	if s == "" {
		return false
	}
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	return unicode.IsSpace(first) || unicode.IsSpace(last)
}

func article(k Kind) string {
	switch k {
	case KindIPv4, KindIPv6, KindInt, KindEnum:
		return "an " + k.String()
	}
	return "a " + k.String()
}

const funcPrefix = "func:"

func funcReason(s string) string {
	return sprintf("%s: next-available allocation is not supported: the loader must know each object's address to find it again after a lost reply", quoteShort(s))
}

// checkAddr checks an IP address of family 4 or 6.
func checkAddr(s string, family int) string {
	if strings.HasPrefix(s, funcPrefix) {
		return funcReason(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return sprintf("%s is not an IPv%d address", quoteShort(s), family)
	}
	if family == 4 && !a.Is4() {
		return sprintf("%s is an IPv6 address, want IPv4", quoteShort(s))
	}
	if family == 6 && a.Is4() {
		return sprintf("%s is an IPv4 address, want IPv6", quoteShort(s))
	}
	return ""
}

// checkCIDR parses a network in CIDR notation of family 4, 6 or either (0), without host bits.
func checkCIDR(s string, family int) (netip.Prefix, string) {
	if strings.HasPrefix(s, funcPrefix) {
		return netip.Prefix{}, funcReason(s)
	}
	want := "a CIDR network such as 10.0.0.0/24"
	if family == 6 {
		want = "a CIDR network such as 2001:db8::/64"
	}
	if strings.IndexByte(s, '/') < 0 {
		if _, err := netip.ParseAddr(s); err == nil {
			return netip.Prefix{}, sprintf("%s has no prefix length: want %s", quoteShort(s), want[2:])
		}
		return netip.Prefix{}, sprintf("%s is not %s", quoteShort(s), want)
	}
	p, err := netip.ParsePrefix(s)
	if err != nil || p.Addr().Zone() != "" {
		return netip.Prefix{}, sprintf("%s is not %s", quoteShort(s), want)
	}
	if family == 4 && !p.Addr().Is4() {
		return netip.Prefix{}, sprintf("%s is an IPv6 network, want IPv4", quoteShort(s))
	}
	if family == 6 && p.Addr().Is4() {
		return netip.Prefix{}, sprintf("%s is an IPv4 network, want IPv6", quoteShort(s))
	}
	if m := p.Masked(); m != p {
		return netip.Prefix{}, sprintf("%s has host bits set: the network is %s", quoteShort(s), m)
	}
	return p, ""
}

// checkDNSName checks a DNS name: at most 253 characters without the optional trailing dot,
// labels of 1 to 63 letters, digits, '-' or '_', not starting or ending with '-'; the first
// label may be "*" if wildcard is true.
func checkDNSName(s string, wildcard bool) string {
	if s == "" {
		return "empty DNS name"
	}
	name := strings.TrimSuffix(s, ".")
	if name == "" {
		return `the root "." is not a name the loader accepts`
	}
	if len(name) > 253 {
		return sprintf("DNS name is %d characters long, at most 253 are allowed", len(name))
	}
	for i, rest := 0, name; ; i++ {
		label := rest
		j := strings.IndexByte(rest, '.')
		if j >= 0 {
			label = rest[:j]
		}
		if r := checkLabel(s, label, i == 0 && wildcard); r != "" {
			return r
		}
		if j < 0 {
			return ""
		}
		rest = rest[j+1:]
	}
}

func checkLabel(name, label string, wildcard bool) string {
	if label == "" {
		return sprintf("%s has an empty label", quoteShort(name))
	}
	if len(label) > 63 {
		return sprintf("%s has a label of %d characters, at most 63 are allowed", quoteShort(name), len(label))
	}
	if wildcard && label == "*" {
		return ""
	}
	for k := 0; k < len(label); k++ {
		c := label[k]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
		case c == '-':
			if k == 0 || k == len(label)-1 {
				return sprintf("%s has a label starting or ending with '-'", quoteShort(name))
			}
		case c >= 0x80:
			return sprintf("%s is not ASCII: write internationalised names in their xn-- form", quoteShort(name))
		default:
			return sprintf("%s contains %q, not allowed in a DNS name", quoteShort(name), rune(c))
		}
	}
	return ""
}

// checkMAC checks six hexadecimal bytes separated by ':' or '-'.
func checkMAC(s string) string {
	bad := sprintf("%s is not a MAC address (want six bytes such as 00:1a:2b:3c:4d:5e)", quoteShort(s))
	if len(s) != 17 {
		return bad
	}
	for i := 0; i < 17; i++ {
		c := s[i]
		if i%3 == 2 {
			if c != ':' && c != '-' {
				return bad
			}
			continue
		}
		if !isHex(c) {
			return bad
		}
	}
	return ""
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case int32:
		return int64(x), true
	case uint32:
		return int64(x), true
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
			return 0, false
		}
		return int64(x), true
	case json.Number:
		n, err := x.Int64()
		return n, err == nil
	}
	return 0, false
}

func toList(v any) ([]any, bool) {
	switch x := v.(type) {
	case []any:
		return x, true
	case []string:
		return toAnyList(x), true
	}
	return nil, false
}

func indexPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func checkHostAddrs(k Kind, path string, v any) (any, *valErr) {
	addrField := subFields(k)[0]
	var list []any
	switch x := v.(type) {
	case []any:
		list = x
	case []map[string]any:
		list = make([]any, len(x))
		for i, m := range x {
			list[i] = m
		}
	default:
		return nil, vErr(path, "want a list of objects such as {%q: ...}, got %s", addrField.Name, describe(v))
	}
	for i, e := range list {
		p := indexPath(path, i)
		m, ok := e.(map[string]any)
		if !ok {
			return nil, vErr(p, "want an object such as {%q: ...}, got %s", addrField.Name, describe(e))
		}
		for name, x := range m {
			sf := subField(k, name)
			if sf == nil {
				return nil, vErr(p+"."+name, "unknown field of a host address%s", suggest(name, subFieldNames(k)))
			}
			nv, err := checkValue(sf, p+"."+name, x)
			if err != nil {
				return nil, err
			}
			m[name] = nv
		}
		if _, ok := m[addrField.Name]; !ok {
			return nil, vErr(p+"."+addrField.Name, "required field of a host address is missing")
		}
	}
	return list, nil
}

func checkExtAttrs(path string, v any) (any, *valErr) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, vErr(path, `want an object such as {"Site": {"value": "East"}}, got %s`, describe(v))
	}
	for name, x := range m {
		p := path + "." + name
		if name == "" || hasOuterSpace(name) || !utf8.ValidString(name) {
			return nil, vErr(p, "extensible attribute names must be non-empty, valid UTF-8, without leading or trailing white space")
		}
		ea, ok := x.(map[string]any)
		if !ok {
			return nil, vErr(p, `want {"value": ...}, got %s`, describe(x))
		}
		val, ok := ea["value"]
		if !ok {
			return nil, vErr(p, `want {"value": ...}: "value" is missing`)
		}
		for k := range ea {
			if k != "value" {
				return nil, vErr(p+"."+k, `unknown key of an extensible attribute (only "value" is loaded)`)
			}
		}
		nv, err := checkEAValue(p, val)
		if err != nil {
			return nil, err
		}
		ea["value"] = nv
	}
	return m, nil
}

func checkEAValue(path string, v any) (any, *valErr) {
	switch x := v.(type) {
	case string:
		if !utf8.ValidString(x) {
			return nil, vErr(path, "invalid UTF-8")
		}
		return x, nil
	case bool:
		return x, nil
	case []any:
		if len(x) == 0 {
			return nil, vErr(path, "empty list of values")
		}
		for i, e := range x {
			if _, ok := e.([]any); ok {
				return nil, vErr(indexPath(path, i), "nested lists are not extensible attribute values")
			}
			ne, err := checkEAValue(indexPath(path, i), e)
			if err != nil {
				return nil, err
			}
			x[i] = ne
		}
		return x, nil
	case []string:
		return checkEAValue(path, toAnyList(x))
	}
	if n, ok := toInt(v); ok {
		return n, nil
	}
	if f, ok := v.(float64); ok {
		return f, nil
	}
	return nil, vErr(path, "want text, a number, a boolean or a list of them, got %s", describe(v))
}

func toAnyList(x []string) []any {
	out := make([]any, len(x))
	for i, s := range x {
		out[i] = s
	}
	return out
}

// normalizeJSON converts json.Number values (from a decoder with UseNumber) and integral
// float64 values within ±2^53 to int64, recursively, in place where it can.
func normalizeJSON(v any) any {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) <= 1<<53 {
			return int64(x)
		}
		return x
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeJSON(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normalizeJSON(e)
		}
		return x
	}
	return v
}

// canonical renders a key value: DNS names lower-cased without a trailing dot, addresses and
// networks in their canonical text, integers in decimal.
func canonical(f *Field, v any) string {
	switch f.Kind {
	case KindFQDN, KindRecordName:
		if s, ok := v.(string); ok {
			return strings.ToLower(strings.TrimSuffix(s, "."))
		}
	case KindZone:
		if s, ok := v.(string); ok {
			if strings.IndexByte(s, '/') >= 0 {
				if p, err := netip.ParsePrefix(s); err == nil {
					return p.Masked().String()
				}
			}
			return strings.ToLower(strings.TrimSuffix(s, "."))
		}
	case KindIPv4, KindIPv6:
		if s, ok := v.(string); ok {
			if a, err := netip.ParseAddr(s); err == nil {
				return a.String()
			}
			return s
		}
	case KindCIDR4, KindCIDR6:
		if s, ok := v.(string); ok {
			if p, err := netip.ParsePrefix(s); err == nil {
				return p.Masked().String()
			}
			return s
		}
	case KindInt:
		if n, ok := toInt(v); ok {
			return strconv.FormatInt(n, 10)
		}
	}
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}
