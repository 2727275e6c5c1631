package gridsim

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// value returns a field's JSON value as the grid reports it, computing derived fields and
// resolving view ids to names. ok is false when the field is unset and has no default.
func (s *store) value(o *object, fd *fieldDef) (string, bool) {
	if fd.kind == kDerived {
		return s.derived(o, fd)
	}
	r, ok := o.rawAt(fd.idx)
	if !ok {
		if fd.def != "" {
			return fd.def, true
		}
		return "", false
	}
	switch fd.kind {
	case kNetView:
		id, _ := strconv.ParseUint(r, 10, 32)
		return string(appendQuoted(nil, s.netViewName(uint32(id)))), true
	case kDNSView:
		id, _ := strconv.ParseUint(r, 10, 32)
		return string(appendQuoted(nil, s.dnsViewName(uint32(id)))), true
	case kHostAddr4, kHostAddr6:
		return s.hostAddrsOut(o, fd, r), true
	}
	return r, true
}

func (s *store) derived(o *object, fd *fieldDef) (string, bool) {
	switch fd.name {
	case "is_default":
		if viewID(o.key) == 0 {
			return "true", true
		}
		return "false", true
	case "network_container":
		p := netPrefix(o)
		if tr := s.netTrie(o.view, o.t.family, false); tr != nil {
			if c := tr.closest(p); c != nil {
				return string(appendQuoted(nil, pfx{c.a, int(c.n)}.prefix(o.t.family).String())), true
			}
		}
		return `"/"`, true
	case "zone":
		if z := s.findZone(o.view, o.str(o.t.nameField)); z != nil {
			return string(appendQuoted(nil, z.str("fqdn"))), true
		}
		return "", false
	case "parent":
		name := zoneDNSName(o.str("fqdn"))
		if i := strings.IndexByte(name, '.'); i >= 0 {
			if z := s.findZone(o.view, name[i+1:]); z != nil {
				return string(appendQuoted(nil, z.str("fqdn"))), true
			}
		}
		return `""`, true
	case "network":
		if ip, err := netip.ParseAddr(o.str("ipv4addr")); err == nil {
			if n := s.networkOf(o.view, ip); n != nil {
				return string(appendQuoted(nil, n.str("network"))), true
			}
		}
		return "", false
	case "associated_dns_views":
		var names []any
		for id, v := range s.dnsViews {
			if s.dnsViewNetView(id) == viewID(o.key) {
				names = append(names, v.str("name"))
			}
		}
		slices.SortFunc(names, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
		if names == nil {
			return "[]", true
		}
		return string(appendCanonical(nil, names)), true
	}
	if fd.def != "" {
		return fd.def, true
	}
	return "", false
}

// networkOf returns the leaf network (not container) holding ip in network view view.
func (s *store) networkOf(view uint32, ip netip.Addr) *object {
	tr := s.netTrie(view, addrFam(ip), false)
	if tr == nil {
		return nil
	}
	var found *object
	tr.path(addrPfx(ip), func(x *tnode) bool {
		if x.obj != nil && !x.obj.t.container {
			found = x.obj
		}
		return true
	})
	return found
}

// hostAddrsOut renders a host's addresses with their own refs and the host name.
func (s *store) hostAddrsOut(o *object, fd *fieldDef, raw string) string {
	list := hostAddrs(raw)
	sub, af := "record:host_ipv4addr", "ipv4addr"
	if fd.kind == kHostAddr6 {
		sub, af = "record:host_ipv6addr", "ipv6addr"
	}
	name := o.str("name")
	view := s.dnsViewName(o.view)
	out := make([]any, 0, len(list))
	for _, a := range list {
		m := make(map[string]any, len(a.opts)+3)
		for k, v := range a.opts {
			m[k] = v
		}
		if _, ok := m["configure_for_dhcp"]; !ok {
			m["configure_for_dhcp"] = false
		}
		m["host"] = name
		key := "dns.host_address$" + dnsViewKey(o.view) + "." + reverseName(name) + "." + a.addr + "."
		b := appendRefHead(nil, sub, key)
		b = appendNamePart(b, a.addr, kString)
		b = append(b, '/')
		b = appendNamePart(b, name, kString)
		b = append(b, '/')
		b = appendNamePart(b, view, kString)
		m["_ref"] = string(b)
		m[af] = a.addr
		out = append(out, m)
	}
	return string(appendCanonical(nil, out))
}

// display is a field's value as plain text (for ref name parts and filters).
func (s *store) display(o *object, name string) string {
	fd := o.t.field(name)
	if fd == nil {
		return ""
	}
	r, ok := s.value(o, fd)
	if !ok {
		return ""
	}
	return unquote(r)
}

// outFields resolves _return_fields / _return_fields+ into sorted field definitions.
func outFields(t *typeDef, a *args) ([]*fieldDef, *apiError) {
	var names []string
	if a == nil || a.returnFields == nil || a.returnPlus {
		names = append(names, t.basic...)
	}
	if a != nil {
		for _, f := range a.returnFields {
			fd := t.field(f)
			if fd == nil {
				return nil, unknownField(f)
			}
			if fd.access == writeOnly || fd.access == searchOnly {
				return nil, protoErr("Field is not readable: %s", f)
			}
			names = append(names, f)
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	out := make([]*fieldDef, 0, len(names))
	for _, n := range names {
		out = append(out, t.field(n))
	}
	return out, nil
}

// appendObject renders o with _ref and the given fields at depth.
func (s *store) appendObject(b []byte, o *object, fields []*fieldDef, depth int) []byte {
	b = append(b, '{')
	b = appendNewline(b, depth+1)
	b = append(b, `"_ref": `...)
	b = append(b, '"')
	mark := len(b)
	b = s.appendRef(b, o)
	// refs are ASCII without quotes or backslashes except in name parts; escape if needed.
	if needsEscape(b[mark:]) {
		ref := string(b[mark:])
		b = appendQuoted(b[:mark-1], ref)
	} else {
		b = append(b, '"')
	}
	for _, fd := range fields {
		r, ok := s.value(o, fd)
		if !ok {
			continue
		}
		b = append(b, ',', ' ')
		b = appendNewline(b, depth+1)
		b = appendQuoted(b, fd.name)
		b = append(b, ':', ' ')
		b = appendIndented(b, r, depth+1)
	}
	b = appendNewline(b, depth)
	return append(b, '}')
}

func needsEscape(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			return true
		}
	}
	return false
}

// appendList renders a list of objects at depth.
func (s *store) appendList(b []byte, objs []*object, fields []*fieldDef, depth int) []byte {
	if len(objs) == 0 {
		return append(b, '[', ']')
	}
	b = append(b, '[')
	for i, o := range objs {
		if i > 0 {
			b = append(b, ',', ' ')
		}
		b = appendNewline(b, depth+1)
		b = s.appendObject(b, o, fields, depth+1)
	}
	b = appendNewline(b, depth)
	return append(b, ']')
}
