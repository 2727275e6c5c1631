package gridsim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// filter is one compiled search condition. Repeating the same key ORs its values.
type filter struct {
	key  string
	fd   *fieldDef // nil for an extensible attribute
	ea   string
	neg  bool
	ci   bool
	re   bool
	le   bool
	ge   bool
	vals []string
	rx   []*regexp.Regexp
}

// compileFilters checks filters against the type: unknown fields, fields that are not
// searchable, modifiers the field does not allow, unknown extensible attributes, bad regular
// expressions.
func (s *store) compileFilters(t *typeDef, list []kv) ([]*filter, *apiError) {
	var out []*filter
	byKey := map[string]*filter{}
	for _, p := range list {
		if f := byKey[p.key]; f != nil {
			if err := f.addValue(p.value); err != nil {
				return nil, err
			}
			continue
		}
		name, mods := filterMods(p.key)
		f := &filter{key: p.key}
		if strings.HasPrefix(name, "*") {
			f.ea = name[1:]
			if _, ok := s.eaNames[f.ea]; !ok {
				return nil, protoErr("Unknown extensible attribute: %s", f.ea)
			}
		} else {
			f.fd = t.field(name)
			if f.fd == nil || name == "" {
				return nil, unknownField(name)
			}
			if f.fd.search == "" {
				return nil, notSearchable(name)
			}
		}
		allowed := "!:~<>"
		if f.fd != nil {
			allowed = f.fd.search + "!"
		}
		for _, m := range mods {
			if !strings.ContainsRune(allowed, m) {
				return nil, protoErr("Search modifier '%c' is not allowed for field: %s", m, name)
			}
			switch m {
			case '!':
				f.neg = true
			case ':':
				f.ci = true
			case '~':
				f.re = true
			case '<':
				f.le = true
			case '>':
				f.ge = true
			}
		}
		if f.re && (f.le || f.ge) || f.le && f.ge {
			return nil, protoErr("Search modifiers '%s' cannot be combined for field: %s", mods, name)
		}
		if err := f.addValue(p.value); err != nil {
			return nil, err
		}
		byKey[p.key] = f
		out = append(out, f)
	}
	return out, nil
}

func (f *filter) addValue(v string) *apiError {
	if f.re {
		expr := v
		if f.ci {
			expr = "(?i)" + expr
		}
		rx, err := regexp.Compile(expr)
		if err != nil {
			return protoErr("Invalid regular expression for %s: %s", f.key, v)
		}
		f.rx = append(f.rx, rx)
		return nil
	}
	if f.fd != nil {
		switch f.fd.kind {
		case kFQDN:
			v = strings.TrimSuffix(strings.ToLower(v), ".")
		case kZoneName:
			if p, err := netip.ParsePrefix(v); err == nil {
				v = p.Masked().String()
			} else {
				v = strings.TrimSuffix(strings.ToLower(v), ".")
			}
		case kCIDR4, kCIDR6:
			if p, err := netip.ParsePrefix(v); err == nil {
				v = p.String()
			}
		case kIPv4, kIPv6:
			if a, err := netip.ParseAddr(v); err == nil {
				v = a.String()
			}
		case kBool:
			v = strings.ToLower(v)
		case kMAC:
			if m, ok := normMAC(v); ok {
				v = m
			}
		}
	}
	f.vals = append(f.vals, v)
	return nil
}

// match reports whether o satisfies f.
func (s *store) match(o *object, f *filter) bool {
	var got []string
	switch {
	case f.fd == nil:
		if r, ok := o.raw("extattrs"); ok {
			got, _ = eaValues(r, f.ea)
		}
	case f.fd.access == searchOnly && o.t.ident == idNetwork:
		// ipv4addr on a network: the network holds the address.
		p := netPrefix(o).prefix(o.t.family)
		hit := false
		for _, v := range f.vals {
			if a, err := netip.ParseAddr(v); err == nil && p.Contains(a) {
				hit = true
			}
		}
		return hit != f.neg
	case f.fd.access == searchOnly:
		// host ipv4addr, ipv6addr, mac: any of the host's addresses.
		for _, lf := range []string{"ipv4addrs", "ipv6addrs"} {
			if r, ok := o.raw(lf); ok {
				for _, a := range hostAddrs(r) {
					if f.fd.name == "mac" {
						if m, _ := a.opts["mac"].(string); m != "" {
							got = append(got, m)
						}
						continue
					}
					got = append(got, a.addr)
				}
			}
		}
	default:
		if r, ok := s.value(o, f.fd); ok {
			got = []string{unquote(r)}
		}
	}
	hit := false
	for _, g := range got {
		if f.matchOne(g) {
			hit = true
			break
		}
	}
	return hit != f.neg
}

func (f *filter) matchOne(g string) bool {
	if f.re {
		for _, rx := range f.rx {
			if rx.MatchString(g) {
				return true
			}
		}
		return false
	}
	for _, v := range f.vals {
		switch {
		case f.le || f.ge:
			c := f.compare(g, v)
			if f.le && c <= 0 || f.ge && c >= 0 {
				return true
			}
		case f.ci:
			if strings.EqualFold(g, v) {
				return true
			}
		default:
			if g == v {
				return true
			}
		}
	}
	return false
}

// compare orders addresses as addresses, numbers as numbers and the rest as text.
func (f *filter) compare(g, v string) int {
	if a, err := netip.ParseAddr(g); err == nil {
		if b, err := netip.ParseAddr(v); err == nil {
			return a.Compare(b)
		}
	}
	if a, err := strconv.ParseFloat(g, 64); err == nil {
		if b, err := strconv.ParseFloat(v, 64); err == nil {
			switch {
			case a < b:
				return -1
			case a > b:
				return 1
			}
			return 0
		}
	}
	return strings.Compare(g, v)
}

// exact returns the single exact value of an unmodified filter on field name.
func exact(fs []*filter, name string) (string, bool) {
	for _, f := range fs {
		if f.fd != nil && f.fd.name == name && !f.neg && !f.ci && !f.re && !f.le && !f.ge && len(f.vals) == 1 {
			return f.vals[0], true
		}
	}
	return "", false
}

// plan is how a search walks the indexes: which views and which part of each index. The
// filters are always checked on every candidate, so a plan only has to be a superset.
type plan struct {
	t       *typeDef
	views   []uint32 // network types: views to walk, ascending
	netGet  *pfx     // exactly this network
	under   *pfx     // children of this container
	addr    *pfx     // networks holding this address
	empty   bool
	ranges  []string // ordered types: key prefixes, ascending
	filters []*filter
}

func (s *store) plan(t *typeDef, fs []*filter) *plan {
	pl := &plan{t: t, filters: fs}
	switch t.ident {
	case idNetwork:
		if v, ok := exact(fs, "network_view"); ok {
			id, ok := s.netViewNames[v]
			if !ok {
				pl.empty = true
				return pl
			}
			pl.views = []uint32{id}
		} else {
			for id := range s.netViews {
				pl.views = append(pl.views, id)
			}
			slices.Sort(pl.views)
		}
		if v, ok := exact(fs, "network"); ok {
			p, err := netip.ParsePrefix(v)
			if err != nil {
				pl.empty = true
				return pl
			}
			q := toPfx(p.Masked())
			pl.netGet = &q
		} else if v, ok := exact(fs, "network_container"); ok && v != "/" {
			p, err := netip.ParsePrefix(v)
			if err != nil {
				pl.empty = true
				return pl
			}
			q := toPfx(p.Masked())
			pl.under = &q
		} else if v, ok := exact(fs, "ipv4addr"); ok {
			a, err := netip.ParseAddr(v)
			if err != nil {
				pl.empty = true
				return pl
			}
			q := addrPfx(a)
			pl.addr = &q
		}
	case idRecord, idZone:
		var views []string
		if v, ok := exact(fs, "view"); ok {
			id, ok := s.dnsViewNames[v]
			if !ok {
				pl.empty = true
				return pl
			}
			views = []string{dnsViewKey(id)}
		} else {
			for id := range s.dnsViews {
				views = append(views, dnsViewKey(id))
			}
		}
		base := t.keyPrefix + "$"
		suffix := "."
		if name, ok := exact(fs, t.nameField); ok {
			if t.ident == idZone {
				suffix = "." + reverseName(zoneDNSName(name))
			} else {
				suffix = "." + reverseName(name) + ","
			}
		} else if z, ok := exact(fs, "zone"); ok && t.ident == idRecord {
			suffix = "." + reverseName(zoneDNSName(z))
		}
		for _, v := range views {
			pl.ranges = append(pl.ranges, base+v+suffix)
		}
		slices.Sort(pl.ranges)
	case idFixed:
		if ip, ok := exact(fs, "ipv4addr"); ok {
			for id := range s.netViews {
				pl.ranges = append(pl.ranges, fixedKey(t, ip, id))
			}
			slices.Sort(pl.ranges)
			break
		}
		pl.ranges = []string{t.keyPrefix + "$"}
	default:
		pl.ranges = []string{t.keyPrefix + "$"}
	}
	return pl
}

// position is where a page ended.
type position struct {
	set  bool
	view uint32
	p    pfx
	key  string
}

func (s *store) posOf(o *object) position {
	if o.t.ident == idNetwork {
		return position{set: true, view: o.view, p: netPrefix(o)}
	}
	return position{set: true, key: o.key}
}

// scan calls fn for each object of the plan's type that matches its filters, in index order,
// starting after pos. fn returns false to stop.
func (s *store) scan(pl *plan, pos position, fn func(o *object) bool) {
	if pl.empty {
		return
	}
	ok := func(o *object) bool {
		if o.t != pl.t {
			return true
		}
		for _, f := range pl.filters {
			if !s.match(o, f) {
				return true
			}
		}
		return fn(o)
	}
	if pl.t.ident == idNetwork {
		for _, v := range pl.views {
			if pos.set && v < pos.view {
				continue
			}
			tr := s.netTrie(v, pl.t.family, false)
			if tr == nil {
				continue
			}
			var after *pfx
			if pos.set && v == pos.view {
				after = &pos.p
			}
			switch {
			case pl.netGet != nil:
				if x := tr.get(*pl.netGet); x != nil && x.obj != nil && (after == nil || after.less(*pl.netGet)) {
					if !ok(x.obj) {
						return
					}
				}
			case pl.under != nil:
				c := tr.get(*pl.under)
				if c == nil || c.obj == nil {
					continue
				}
				stopped := false
				for _, ch := range c.child {
					if !tr.walk(ch, after, func(x *tnode) (bool, bool) {
						if !ok(x.obj) {
							stopped = true
							return false, false
						}
						return true, false
					}) {
						break
					}
				}
				if stopped {
					return
				}
			case pl.addr != nil:
				var hits []*object
				tr.path(*pl.addr, func(x *tnode) bool {
					if x.obj != nil && (after == nil || after.less(pfx{x.a, int(x.n)})) {
						hits = append(hits, x.obj)
					}
					return true
				})
				for _, o := range hits {
					if !ok(o) {
						return
					}
				}
			default:
				if !tr.walk(tr.root, after, func(x *tnode) (bool, bool) {
					return ok(x.obj), true
				}) {
					return
				}
			}
		}
		return
	}
	idx := s.ordered[pl.t.index]
	for _, r := range pl.ranges {
		start := r
		if pos.set && pos.key >= r {
			if !strings.HasPrefix(pos.key, r) {
				continue // the whole range lies before the position
			}
			start = pos.key
		}
		stopped := false
		idx.AscendGreaterOrEqual(&object{key: start}, func(o *object) bool {
			if !strings.HasPrefix(o.key, r) {
				return false
			}
			if pos.set && o.key <= pos.key {
				return true
			}
			if !ok(o) {
				stopped = true
				return false
			}
			return true
		})
		if stopped {
			return
		}
	}
}

// Page ids carry the search (type and arguments) and the position of the last object
// returned, signed so that they cannot be forged: no state is kept between pages, and a page
// stays valid while objects come and go.

type pageState struct {
	T string     `json:"t"`
	A [][]string `json:"a"`
	S bool       `json:"s"` // position set
	V uint32     `json:"v"`
	H uint64     `json:"h"`
	L uint64     `json:"l"`
	N int        `json:"n"`
	K string     `json:"k"`
}

func encodePageID(key []byte, t *typeDef, canon []kv, pos position) string {
	st := pageState{T: t.name, S: pos.set, V: pos.view, H: pos.p.a.hi, L: pos.p.a.lo, N: pos.p.n, K: pos.key}
	for _, p := range canon {
		st.A = append(st.A, []string{p.key, p.value})
	}
	payload, _ := json.Marshal(st)
	m := hmac.New(sha256.New, key)
	m.Write(payload)
	sum := m.Sum(nil)[:12]
	return base64.RawURLEncoding.EncodeToString(append(sum, payload...))
}

func decodePageID(key []byte, id string) (*pageState, []kv, position, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil || len(raw) < 13 {
		return nil, nil, position{}, false
	}
	m := hmac.New(sha256.New, key)
	m.Write(raw[12:])
	if !hmac.Equal(m.Sum(nil)[:12], raw[:12]) {
		return nil, nil, position{}, false
	}
	var st pageState
	if json.Unmarshal(raw[12:], &st) != nil {
		return nil, nil, position{}, false
	}
	var canon []kv
	for _, p := range st.A {
		if len(p) != 2 {
			return nil, nil, position{}, false
		}
		canon = append(canon, kv{p[0], p[1]})
	}
	pos := position{set: st.S, view: st.V, p: pfx{a: u128{st.H, st.L}, n: st.N}, key: st.K}
	return &st, canon, pos, true
}
