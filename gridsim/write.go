package gridsim

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// create validates data against t and adds the new object in tx.
func (t *tx) create(ty *typeDef, data map[string]any, form bool) (*object, *apiError) {
	s := t.s
	if !ty.create {
		return nil, protoErr("Operation create not allowed for %s", ty.name)
	}
	keys := sortedKeys(data)
	for _, k := range keys {
		fd := ty.field(k)
		if fd == nil {
			return nil, unknownField(k)
		}
		if fd.access == readOnly || fd.access == searchOnly {
			return nil, notWritable(k)
		}
	}
	for _, r := range ty.required {
		if v, ok := data[r]; !ok || v == nil {
			return nil, missingField(r)
		}
	}
	if ty.name == "record:ptr" && data["ipv4addr"] == nil && data["ipv6addr"] == nil && data["name"] == nil {
		return nil, missingField("ipv4addr")
	}
	o := &object{t: ty}
	// Views first: allocations and parents depend on them.
	for _, k := range keys {
		fd := ty.field(k)
		if fd.kind != kNetView && fd.kind != kDNSView || data[k] == nil {
			continue
		}
		r, err := s.normalize(fd, data[k], form)
		if err != nil {
			return nil, err
		}
		o.vals = setVal(o.vals, fd.idx, r)
	}
	for i := range ty.fields {
		// view fields always hold a view: the default one unless given.
		if fd := &ty.fields[i]; (fd.kind == kNetView || fd.kind == kDNSView) && fd.access == createOnly {
			if _, ok := o.rawAt(fd.idx); !ok {
				o.vals = setVal(o.vals, fd.idx, "0")
			}
		}
	}
	o.view = t.primaryView(o)
	for _, k := range keys {
		fd := ty.field(k)
		v := data[k]
		if fd.kind == kNetView || fd.kind == kDNSView || v == nil || fd.access == writeOnly && fd.kind == kBool && isFalse(v) {
			continue
		}
		v, err := t.resolveFuncs(o, fd, v)
		if err != nil {
			return nil, err
		}
		r, err := s.normalize(fd, v, form)
		if err != nil {
			return nil, err
		}
		if fd.access == writeOnly {
			continue // accepted, acted upon where it matters, never stored
		}
		if r == "" {
			continue
		}
		o.vals = setVal(o.vals, fd.idx, r)
	}
	if ty.ident == idZone {
		if p, err := netip.ParsePrefix(o.str("fqdn")); err == nil {
			f := "IPV4"
			if !p.Addr().Is4() {
				f = "IPV6"
			}
			o.vals = setVal(o.vals, ty.field("zone_format").idx, `"`+f+`"`)
		}
	}
	if ty.name == "record:ptr" && o.str("name") == "" {
		a := o.str("ipv4addr")
		if a == "" {
			a = o.str("ipv6addr")
		}
		ip, _ := netip.ParseAddr(a)
		o.vals = setVal(o.vals, ty.field("name").idx, string(appendQuoted(nil, ptrName(ip))))
	}
	var err *apiError
	if o, err = t.place(o, nil); err != nil {
		return nil, err
	}
	t.insert(o)
	return o, nil
}

func isFalse(v any) bool { b, ok := v.(bool); return ok && !b }

// primaryView is the view an object is indexed under.
func (t *tx) primaryView(o *object) uint32 {
	name := ""
	switch o.t.ident {
	case idNetwork, idFixed:
		name = "network_view"
	case idZone, idRecord:
		name = "view"
	default:
		return 0
	}
	r, ok := o.raw(name)
	if !ok {
		return 0
	}
	n, _ := strconv.ParseUint(r, 10, 32)
	return uint32(n)
}

// place computes o's key and checks its uniqueness and parent rules. old is the object being
// replaced by an update (nil for a create). It may return a different object (a network
// created around existing networks becomes a container).
func (t *tx) place(o *object, old *object) (*object, *apiError) {
	s := t.s
	ty := o.t
	switch ty.ident {
	case idSingleton:
		o.key = ty.keyPrefix + "$0"
	case idNetView:
		name := o.str("name")
		if old != nil {
			o.key = old.key
		} else {
			o.key = ty.keyPrefix + "$" + strconv.FormatUint(uint64(s.nextNetView), 10)
		}
		if id, ok := s.netViewNames[name]; ok && (old == nil || id != viewID(old.key)) {
			return nil, conflictErr("Duplicate object '%s' of type network_view already exists in the database.", name)
		}
	case idDNSView:
		name := o.str("name")
		if old != nil {
			o.key = old.key
		} else {
			o.key = ty.keyPrefix + "$" + dnsViewKey(s.nextDNSView)
		}
		if id, ok := s.dnsViewNames[name]; ok && (old == nil || id != viewID(old.key)) {
			return nil, conflictErr("Duplicate object '%s' of type view already exists in the database.", name)
		}
	case idNetwork:
		p, _ := netip.ParsePrefix(o.str("network"))
		o.key = networkKey(ty, p, o.view)
		if old != nil {
			return o, nil // network and view cannot change
		}
		q := toPfx(p)
		tr := s.netTrie(o.view, ty.family, false)
		if tr != nil {
			if x := tr.get(q); x != nil && x.obj != nil {
				return nil, conflictErr("The network %s already exists.  Select another network.", p)
			}
			if c := tr.closest(q); c != nil && !c.obj.t.container {
				return nil, conflictErr("The network %s cannot be created inside network %s: only a network container can hold networks.",
					p, c.obj.str("network"))
			}
			if !ty.container && s.hasInside(tr, q) {
				// A network around existing networks is made a container, as NIOS does.
				ct := s.containerType(ty.family)
				c := &object{t: ct, view: o.view}
				for _, v := range o.vals {
					name := ty.fields[v.f].name
					if fd := ct.field(name); fd != nil && fd.access != readOnly {
						c.vals = setVal(c.vals, fd.idx, v.v)
					}
				}
				c.key = networkKey(ct, p, o.view)
				return c, nil
			}
		}
	case idZone:
		fqdn := o.str("fqdn")
		o.key = ty.keyPrefix + "$" + dnsViewKey(o.view) + "." + reverseName(zoneDNSName(fqdn))
		if old == nil {
			if s.keys[o.key] != nil {
				return nil, conflictErr("Duplicate object '%s' of type zone exists in the database.", fqdn)
			}
		}
	case idRecord:
		name := o.str(ty.nameField)
		var b strings.Builder
		b.WriteString(ty.keyPrefix)
		b.WriteByte('$')
		b.WriteString(dnsViewKey(o.view))
		b.WriteByte('.')
		b.WriteString(reverseName(name))
		b.WriteByte(',')
		for i, f := range ty.rdata {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(unquote(rawOr(o, f)))
		}
		o.key = b.String()
		if old == nil || old.key != o.key {
			if s.keys[o.key] != nil || s.nameClash(o, old) {
				return nil, conflictErr("The record '%s' already exists.", name)
			}
		}
		if r, ok := o.raw("configure_for_dns"); ok && r == "false" {
			break
		}
		if s.findZone(o.view, name) == nil {
			return nil, parentNotFound()
		}
	case idFixed:
		ip := o.str("ipv4addr")
		o.key = fixedKey(ty, ip, o.view)
		if old == nil || old.key != o.key {
			if s.keys[o.key] != nil {
				return nil, conflictErr("Duplicate object '%s' of type fixed_address already exists in the database.", ip)
			}
			a, _ := netip.ParseAddr(ip)
			n := s.networkOf(o.view, a)
			if n == nil {
				return nil, parentNotFound()
			}
			nfd := ty.field("network")
			if given, ok := o.rawAt(nfd.idx); ok && unquote(given) != n.str("network") {
				return nil, conflictErr("The IP address %s does not belong to network %s.", ip, unquote(given))
			}
			o.vals = setVal(o.vals, nfd.idx, string(appendQuoted(nil, n.str("network"))))
		}
	}
	return o, nil
}

// networkKey is the internal key of network or container p in network view view (idNetwork).
func networkKey(t *typeDef, p netip.Prefix, view uint32) string {
	return t.keyPrefix + "$" + p.String() + "/" + strconv.FormatUint(uint64(view), 10)
}

// fixedKey is the internal key of the fixed address of ip in network view view (idFixed).
func fixedKey(t *typeDef, ip string, view uint32) string {
	return t.keyPrefix + "$" + ip + "." + strconv.FormatUint(uint64(view), 10) + ".."
}

func rawOr(o *object, f string) string {
	r, _ := o.raw(f)
	return r
}

// hasInside reports whether any network or container lies strictly inside q.
func (s *store) hasInside(tr *trie, q pfx) bool {
	top := tr.top(q)
	if top == nil {
		return false
	}
	found := false
	tr.walk(top, nil, func(x *tnode) (bool, bool) {
		if int(x.n) > q.n {
			found = true
			return false, false
		}
		return true, true
	})
	return found
}

func (s *store) containerType(fam int) *typeDef {
	if fam == 6 {
		return s.ty.byName["ipv6networkcontainer"]
	}
	return s.ty.byName["networkcontainer"]
}

// nameClash applies CNAME exclusivity: a CNAME may not share its name with any record, nor
// any record with a CNAME.
func (s *store) nameClash(o, old *object) bool {
	prefix := "$" + dnsViewKey(o.view) + "." + reverseName(o.str(o.t.nameField)) + ","
	for _, rt := range s.ty.list {
		if rt.ident != idRecord || (!o.t.exclusive && !rt.exclusive) {
			continue
		}
		found := false
		s.ordered[rt.index].AscendGreaterOrEqual(&object{key: rt.keyPrefix + prefix}, func(x *object) bool {
			if !strings.HasPrefix(x.key, rt.keyPrefix+prefix) {
				return false
			}
			if x != old {
				found = true
				return false
			}
			return true
		})
		if found {
			return true
		}
	}
	return false
}

// update applies data to a copy of o and swaps it in.
func (t *tx) update(o *object, data map[string]any, form bool) (*object, *apiError) {
	s := t.s
	ty := o.t
	if !ty.update {
		return nil, protoErr("Operation update not allowed for %s", ty.name)
	}
	n := &object{t: ty, key: o.key, view: o.view, vals: slices.Clone(o.vals)}
	for _, k := range sortedKeys(data) {
		v := data[k]
		if k == "extattrs+" || k == "extattrs-" {
			if ty.field("extattrs") == nil {
				return nil, unknownField(k)
			}
			ea, err := normEA(k, v)
			if err != nil {
				return nil, err
			}
			cur := map[string]any{}
			if r, ok := n.raw("extattrs"); ok {
				if m, err := decodeJSON([]byte(r)); err == nil {
					cur, _ = m.(map[string]any)
				}
			}
			for name, e := range ea {
				if k == "extattrs+" {
					cur[name] = e
				} else {
					delete(cur, name)
				}
			}
			r := ""
			if len(cur) > 0 {
				r = string(appendCanonical(nil, cur))
			}
			n.vals = setVal(n.vals, ty.field("extattrs").idx, r)
			continue
		}
		fd := ty.field(k)
		if fd == nil {
			return nil, unknownField(k)
		}
		switch fd.access {
		case readOnly, searchOnly:
			return nil, notWritable(k)
		case writeOnly:
			continue
		}
		if v == nil {
			if fd.access == createOnly {
				return nil, notWritable(k)
			}
			n.vals = setVal(n.vals, fd.idx, "")
			continue
		}
		v, err := t.resolveFuncs(n, fd, v)
		if err != nil {
			return nil, err
		}
		r, err := s.normalize(fd, v, form)
		if err != nil {
			return nil, err
		}
		if fd.access == createOnly {
			cur, _ := o.rawAt(fd.idx)
			if cur == "" && fd.def != "" && fd.kind == kNetView {
				cur = "0"
			}
			if r != cur && !(cur == "" && fd.kind == kDNSView && r == "0") {
				return nil, notWritable(k)
			}
			continue
		}
		n.vals = setVal(n.vals, fd.idx, r)
	}
	if ty.ident == idNetView || ty.ident == idDNSView {
		if n.str("name") == "" {
			return nil, missingField("name")
		}
	}
	placed, err := t.place(n, o)
	if err != nil {
		return nil, err
	}
	if placed.key != o.key && s.keys[placed.key] != nil {
		return nil, conflictErr("The record '%s' already exists.", placed.str(ty.nameField))
	}
	t.replace(o, placed)
	return placed, nil
}

// delete removes o and what cannot outlive it.
func (t *tx) delete(o *object, a *args) *apiError {
	s := t.s
	ty := o.t
	if !ty.delete {
		return protoErr("Operation delete not allowed for %s", ty.name)
	}
	switch ty.ident {
	case idNetView:
		id := viewID(o.key)
		if id == 0 {
			return conflictErr("The default network view cannot be deleted.")
		}
		for dv := range s.dnsViews {
			if s.dnsViewNetView(dv) == id {
				return conflictErr("The network view %s is associated with DNS view %s.", o.str("name"), s.dnsViewName(dv))
			}
		}
		for _, fam := range []int{4, 6} {
			if tr := s.netTrie(id, fam, false); tr != nil {
				t.removeAll(collect(tr, tr.root, nil))
			}
		}
		t.removeFixed(id, netip.Prefix{})
	case idDNSView:
		id := viewID(o.key)
		if id == 0 {
			return conflictErr("The default DNS view cannot be deleted.")
		}
		for _, rt := range s.ty.list {
			if rt.ident == idRecord || rt.ident == idZone {
				t.removeAll(s.byPrefix(rt, rt.keyPrefix+"$"+dnsViewKey(id)+"."))
			}
		}
	case idNetwork:
		tr := s.netTrie(o.view, ty.family, false)
		q := netPrefix(o)
		if ty.container {
			remove := true
			if a != nil {
				for _, f := range a.filters {
					if f.key == "remove_subnets" {
						remove, _ = truthy(f.value)
					}
				}
			}
			if remove {
				if top := tr.get(q); top != nil {
					var inner []*object
					for _, c := range top.child {
						inner = collect(tr, c, inner)
					}
					t.removeAll(inner)
				}
				t.removeFixed(o.view, q.prefix(ty.family))
			}
		} else {
			t.removeFixed(o.view, q.prefix(ty.family))
		}
	case idZone:
		for _, rt := range s.ty.list {
			if rt.ident != idRecord {
				continue
			}
			base := rt.keyPrefix + "$" + dnsViewKey(o.view) + "." + reverseName(zoneDNSName(o.str("fqdn")))
			var victims []*object
			for _, r := range s.byPrefix(rt, base) {
				if z := s.findZone(r.view, r.str(rt.nameField)); z == o {
					victims = append(victims, r)
				}
			}
			t.removeAll(victims)
		}
	}
	if s.keys[o.key] == o {
		t.remove(o)
	}
	return nil
}

// collect gathers the objects of x's subtree, in order.
func collect(tr *trie, x *tnode, out []*object) []*object {
	tr.walk(x, nil, func(n *tnode) (bool, bool) {
		if n.obj != nil {
			out = append(out, n.obj)
		}
		return true, true
	})
	return out
}

func (s *store) byPrefix(ty *typeDef, prefix string) []*object {
	var out []*object
	s.ordered[ty.index].AscendGreaterOrEqual(&object{key: prefix}, func(o *object) bool {
		if !strings.HasPrefix(o.key, prefix) {
			return false
		}
		out = append(out, o)
		return true
	})
	return out
}

func (t *tx) removeAll(objs []*object) {
	for _, o := range objs {
		if t.s.keys[o.key] == o {
			t.remove(o)
		}
	}
}

// removeFixed deletes the fixed addresses of view inside p (all of them when p is zero),
// found through the used-address tries rather than by scanning every fixed address.
func (t *tx) removeFixed(view uint32, p netip.Prefix) {
	ft := t.s.ty.byName["fixedaddress"]
	if t.s.counts[ft.index] == 0 {
		return
	}
	var victims []*object
	for _, fam := range []int{4, 6} {
		at := t.s.addrTrie(view, fam, false)
		if at == nil || (p.IsValid() && addrFam(p.Addr()) != fam) {
			continue
		}
		start := at.root
		if p.IsValid() {
			start = at.top(toPfx(p))
		}
		at.walk(start, nil, func(x *tnode) (bool, bool) {
			if int(x.n) == at.width {
				ip := x.a.addr(at.width).String()
				if o := t.s.keys[fixedKey(ft, ip, view)]; o != nil {
					victims = append(victims, o)
				}
			}
			return true, true
		})
	}
	t.removeAll(victims)
}
