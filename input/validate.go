package input

import (
	"fmt"
	"hash/maphash"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Validator checks objects before anything is sent: known type, known fields (with a "did
// you mean"), value kinds and syntax (CIDR without host bits, addresses, DNS names, MAC
// addresses, ranges, enumerations), required fields, and duplicates inside the input.
//
// Duplicates are found by key (see [Key]). The validator keeps a set of 128-bit hashes of
// the keys it has seen (with the line of the first), not the keys, so its memory grows by
// about 40 bytes per object whatever the keys' length. A Validator is not safe for
// concurrent use.
type Validator struct {
	dup    bool
	seen   map[[2]uint64]uint32
	s1, s2 maphash.Seed
	buf    []byte
}

// WithDuplicateCheck turns the check for duplicates inside the input on or off. Default on.
func WithDuplicateCheck(on bool) Option {
	return func(o *options) error {
		o.noDup = !on
		return nil
	}
}

// NewValidator returns a validator. It takes WithDuplicateCheck; reader options are ignored.
func NewValidator(opts ...Option) (*Validator, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	v := &Validator{dup: !o.noDup, s1: maphash.MakeSeed(), s2: maphash.MakeSeed()}
	if v.dup {
		v.seen = make(map[[2]uint64]uint32)
	}
	return v, nil
}

// Check validates o. It returns nil or a *RowError naming o's position and the field at
// fault; the first problem found is reported, in a fixed order (type, unknown fields in
// alphabetical order, values in table order, required fields, cross-field rules, duplicate).
// Check normalises value types in place (integers become int64). A valid object's key is
// remembered, so a later object with the same key is a duplicate.
func (v *Validator) Check(o *Object) error {
	t := lookupType(o.Type)
	if t == nil {
		return checkTypeName(o.Type, o.Pos)
	}
	if err := checkFields(t, o); err != nil {
		return err
	}
	if !v.dup {
		return nil
	}
	v.buf = append(append(v.buf[:0], t.Name...), 0) // the type, then its key
	k := len(v.buf)
	v.buf = appendKey(v.buf, t, o.Fields)
	h := [2]uint64{maphash.Bytes(v.s1, v.buf), maphash.Bytes(v.s2, v.buf)}
	if first, ok := v.seen[h]; ok {
		return rowErr(o.Pos, "", ErrDuplicate, "duplicate of the %s on line %d (%s)", t.Name, first, v.buf[k:])
	}
	v.seen[h] = uint32(min(o.Pos.Line, 1<<32-1))
	return nil
}

// checkFields runs every check but the duplicate one.
func checkFields(t *Type, o *Object) error {
	if o.Fields == nil {
		o.Fields = map[string]any{}
	}
	var unknown []string
	for name := range o.Fields {
		if t.field(name) == nil {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		name := unknown[0]
		reason := "unknown field of " + t.Name + suggest(name, fieldNames(t.Fields))
		if name == TypeColumn {
			reason = "the object type is given twice"
		}
		return rowErr(o.Pos, name, ErrUnknownField, "%s", reason)
	}
	for i := range t.Fields {
		f := &t.Fields[i]
		val, ok := o.Fields[f.Name]
		if !ok {
			continue
		}
		nv, err := checkValue(f, f.Name, val)
		if err != nil {
			return rowErr(o.Pos, err.field, ErrValue, "%s", err.reason)
		}
		o.Fields[f.Name] = nv
	}
	for _, group := range t.Required {
		if !anyPresent(o.Fields, group) {
			if len(group) == 1 {
				return rowErr(o.Pos, group[0], ErrMissingField, "required field of %s is missing", t.Name)
			}
			return rowErr(o.Pos, group[0], ErrMissingField, "%s needs one of %s", t.Name, strings.Join(group, ", "))
		}
	}
	if t.Name == "zone_auth" {
		return checkZoneFormat(o)
	}
	return nil
}

func anyPresent(fields map[string]any, group []string) bool {
	for _, name := range group {
		if present(fields[name]) {
			return true
		}
	}
	return false
}

// present reports whether a field value counts as given: not null, not an empty list.
func present(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case []any:
		return len(x) > 0
	case string:
		return x != ""
	}
	return true
}

// checkZoneFormat: a reverse zone is written as a CIDR with zone_format IPV4 or IPV6.
func checkZoneFormat(o *Object) error {
	fqdn, _ := o.Fields["fqdn"].(string)
	format, _ := o.Fields["zone_format"].(string)
	if strings.IndexByte(fqdn, '/') >= 0 {
		want := "IPV4"
		if p, err := netip.ParsePrefix(fqdn); err == nil && p.Addr().Is6() {
			want = "IPV6"
		}
		if format != want {
			return rowErr(o.Pos, "zone_format", ErrValue, "the reverse zone %s needs zone_format %s", fqdn, want)
		}
		return nil
	}
	if format == "IPV4" || format == "IPV6" {
		return rowErr(o.Pos, "fqdn", ErrValue, "zone_format %s needs the zone as a CIDR network (for example 10.0.0.0/24)", format)
	}
	return nil
}

// Key returns o's identity key and the WAPI search filters that find the existing object
// with that key: for example, for a network, "network=10.0.0.0/24 network_view=default" and
// {"network": "10.0.0.0/24", "network_view": "default"}. Values are canonical: DNS names in
// lower case without a trailing dot, addresses and networks in their canonical text; absent
// views take their default ("default"). The key is meaningful for objects that pass Check; an
// unknown type gives "" and nil.
func Key(o Object) (string, map[string]string) {
	t := lookupType(o.Type)
	if t == nil {
		return "", nil
	}
	filter := make(map[string]string, len(t.Key))
	for _, kp := range t.Key {
		name, val := keyPart(t, kp, o.Fields)
		filter[name] = val
	}
	return string(appendKey(nil, t, o.Fields)), filter
}

// KeyString returns o's key as Key does, without the filters.
func KeyString(o Object) string {
	t := lookupType(o.Type)
	if t == nil {
		return ""
	}
	return string(appendKey(nil, t, o.Fields))
}

func keyPart(t *Type, kp KeyPart, fields map[string]any) (name, val string) {
	for _, n := range kp.Fields {
		if v, ok := fields[n]; ok && present(v) {
			return n, canonical(t.field(n), v)
		}
	}
	return kp.Fields[0], kp.Default
}

// appendKey appends "field=value ..." in key order; values that are empty or hold white
// space, quotes, '=' or control characters are quoted.
func appendKey(b []byte, t *Type, fields map[string]any) []byte {
	for i, kp := range t.Key {
		if i > 0 {
			b = append(b, ' ')
		}
		name, val := keyPart(t, kp, fields)
		b = append(b, name...)
		b = append(b, '=')
		if needsQuote(val) {
			b = strconv.AppendQuote(b, val)
		} else {
			b = append(b, val...)
		}
	}
	return b
}

func needsQuote(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f {
			return true
		}
	}
	return false
}

// Phase returns o's ordering rank: send every object of a lower rank (and wait for its
// outcome) before any object of a higher rank; objects of equal rank are independent. Network
// views rank RankNetworkView; containers RankContainer plus their prefix length (shortest
// first); networks RankNetwork; fixed addresses RankFixedAddress; zones RankZone plus their
// number of labels (parents first; a reverse zone written as a CIDR counts the labels of its
// in-addr.arpa or ip6.arpa name); records RankRecord. An unknown type ranks 0.
func Phase(o Object) int {
	t := lookupType(o.Type)
	if t == nil {
		return 0
	}
	s, _ := o.Fields[t.PhaseField].(string)
	switch t.PhaseBy {
	case ByPrefixLen:
		if p, err := netip.ParsePrefix(s); err == nil {
			return t.Rank + p.Bits()
		}
	case ByLabels:
		return t.Rank + labelCount(s)
	}
	return t.Rank
}

// labelCount is the number of labels of a zone name, or of the reverse-mapping name of a
// zone written as a CIDR.
func labelCount(s string) int {
	if strings.IndexByte(s, '/') >= 0 {
		if p, err := netip.ParsePrefix(s); err == nil {
			if p.Addr().Is4() {
				return p.Bits()/8 + 2
			}
			return p.Bits()/4 + 2
		}
		return 0
	}
	s = strings.TrimSuffix(s, ".")
	if s == "" {
		return 0
	}
	return strings.Count(s, ".") + 1
}

// Loadable returns the fields of an object of type typ as a load sends them and the
// writers write them: the type's writable fields only (the grid's _ref and read-only fields
// are dropped), the writable sub-fields of host addresses, only the "value" of each
// extensible attribute, integers as int64, and without nulls, empty text or empty lists
// (which a create treats as absent). The map returned is new; nested values may be shared.
func Loadable(typ string, fields map[string]any) (map[string]any, error) {
	t := lookupType(typ)
	if t == nil {
		return nil, fmt.Errorf("input: %w %s", ErrUnknownType, quoteShort(typ))
	}
	out := make(map[string]any, len(fields))
	for name, v := range fields {
		f := t.field(name)
		if f == nil {
			continue
		}
		if nv, ok := loadableValue(f, v); ok {
			out[name] = nv
		}
	}
	return out, nil
}

func loadableValue(f *Field, v any) (any, bool) {
	switch f.Kind {
	case KindHostAddrs4, KindHostAddrs6:
		list, ok := toList(v)
		if !ok {
			return v, v != nil
		}
		out := make([]any, 0, len(list))
		for _, e := range list {
			m, ok := e.(map[string]any)
			if !ok {
				out = append(out, e)
				continue
			}
			c := make(map[string]any, len(m))
			for k, x := range m {
				if sf := subField(f.Kind, k); sf != nil {
					if nx, ok := loadableValue(sf, x); ok {
						c[k] = nx
					}
				}
			}
			out = append(out, c)
		}
		return out, len(out) > 0
	case KindExtAttrs:
		m, ok := v.(map[string]any)
		if !ok {
			return v, v != nil
		}
		out := make(map[string]any, len(m))
		for k, x := range m {
			ea, ok := x.(map[string]any)
			if !ok {
				out[k] = x
				continue
			}
			val, ok := ea["value"]
			if !ok || !present(val) {
				continue
			}
			out[k] = map[string]any{"value": normalizeJSON(val)}
		}
		return out, len(out) > 0
	}
	if !present(v) {
		return nil, false
	}
	if s, ok := v.([]string); ok {
		return toAnyList(s), true
	}
	return normalizeJSON(v), true
}
