package gridsim

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// object is one stored WAPI object. Objects are immutable once stored: an update builds a new
// object and swaps it in, so a reader holding the store's read lock sees a consistent value
// and a transaction can undo a change by swapping back.
//
// Field values are kept as compact canonical JSON in vals, sorted by field index, and only
// for fields that were set. Network and DNS view fields hold the view's id (a JSON number),
// so that renaming a view touches one object. Derived fields (network_container, zone,
// parent, is_default) are not stored: they are computed from the indexes when read.
type object struct {
	t    *typeDef
	key  string // internal key; the ref is type/base64(key):name-part
	view uint32 // the network view (network types, fixed addresses) or DNS view (zones, records)
	vals []fv
}

type fv struct {
	f uint16
	v string
}

func (o *object) raw(name string) (string, bool) {
	fd := o.t.field(name)
	if fd == nil {
		return "", false
	}
	return o.rawAt(fd.idx)
}

func (o *object) rawAt(i int) (string, bool) {
	lo, hi := 0, len(o.vals)
	for lo < hi {
		m := (lo + hi) / 2
		switch f := int(o.vals[m].f); {
		case f == i:
			return o.vals[m].v, true
		case f < i:
			lo = m + 1
		default:
			hi = m
		}
	}
	return "", false
}

// str returns a string field's value (decoded), or "".
func (o *object) str(name string) string {
	r, ok := o.raw(name)
	if !ok {
		return ""
	}
	return unquote(r)
}

// setVal returns vals with field i set to v (v == "" removes it), in place when it can.
func setVal(vals []fv, i int, v string) []fv {
	for j := range vals {
		if int(vals[j].f) == i {
			if v == "" {
				return append(vals[:j:j], vals[j+1:]...)
			}
			vals[j].v = v
			return vals
		}
		if int(vals[j].f) > i {
			if v == "" {
				return vals
			}
			vals = append(vals, fv{})
			copy(vals[j+1:], vals[j:])
			vals[j] = fv{f: uint16(i), v: v}
			return vals
		}
	}
	if v == "" {
		return vals
	}
	return append(vals, fv{f: uint16(i), v: v})
}

// unquote decodes a canonical JSON string; the fast path has no escapes.
func unquote(r string) string {
	if len(r) < 2 || r[0] != '"' {
		return r
	}
	body := r[1 : len(r)-1]
	if !strings.ContainsRune(body, '\\') {
		return body
	}
	s, err := strconv.Unquote(r)
	if err != nil {
		return body
	}
	return s
}

// Refs.

var refEncoding = base64.RawStdEncoding

func (s *store) ref(o *object) string {
	b := make([]byte, 0, len(o.t.name)+1+refEncoding.EncodedLen(len(o.key))+40)
	return string(s.appendRef(b, o))
}

func (s *store) appendRef(b []byte, o *object) []byte {
	b = appendRefHead(b, o.t.name, o.key)
	for i, f := range o.t.namePart {
		if i > 0 {
			b = append(b, '/')
		}
		b = appendNamePart(b, s.display(o, f), o.t.field(f).kind)
	}
	return b
}

// appendRefHead appends the part of a ref before its name parts: "type/<base64 key>:".
func appendRefHead(b []byte, typ, key string) []byte {
	b = append(b, typ...)
	b = append(b, '/')
	b = refEncoding.AppendEncode(b, []byte(key))
	return append(b, ':')
}

// appendNamePart escapes a name component: '%' and ':' always, '/' except in CIDRs.
func appendNamePart(b []byte, v string, k kind) []byte {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '%':
			b = append(b, "%25"...)
		case c == ':':
			b = append(b, "%3A"...)
		case c == '/' && k != kCIDR4 && k != kCIDR6 && k != kZoneName:
			b = append(b, "%2F"...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// parseRef splits "type/opaque[:name]" and decodes the opaque part into the internal key.
func parseRef(ref string) (typ, key string, ok bool) {
	slash := strings.IndexByte(ref, '/')
	if slash <= 0 {
		return "", "", false
	}
	typ = ref[:slash]
	rest := ref[slash+1:]
	if c := strings.IndexByte(rest, ':'); c >= 0 {
		rest = rest[:c]
	}
	if rest == "" {
		return "", "", false
	}
	rest = strings.TrimRight(rest, "=")
	rest = strings.ReplaceAll(rest, " ", "+") // a '+' decoded from a query string
	k, err := refEncoding.DecodeString(rest)
	if err != nil {
		k, err = base64.RawURLEncoding.DecodeString(rest)
		if err != nil {
			return "", "", false
		}
	}
	return typ, string(k), true
}
