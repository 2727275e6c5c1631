package gridsim

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/google/btree"
)

// store holds every object and its indexes. It is not safe for concurrent use by itself: the
// Server serialises writers with a mutex and lets readers share it.
//
// Indexes:
//   - keys: internal key → object (refs, exact duplicates), O(1);
//   - per type, a B-tree ordered by internal key for non-network types (range scans by view,
//     name and zone; paging positions), O(log n);
//   - per network view and address family, a prefix trie of networks and containers
//     (uniqueness, closest container, adoption, next available network, address-ordered
//     paging), O(address width);
//   - per network view and family, a trie of used addresses with use counts
//     (next available IP).
type store struct {
	ty      *types
	keys    map[string]*object
	ordered []*btree.BTreeG[*object]
	nets    map[netKey]*trie
	addrs   map[netKey]*trie
	counts  []int

	netViews     map[uint32]*object
	netViewNames map[string]uint32
	dnsViews     map[uint32]*object
	dnsViewNames map[string]uint32
	nextNetView  uint32
	nextDNSView  uint32
	eaNames      map[string]int
}

type netKey struct {
	view uint32
	fam  uint8
}

func keyLess(a, b *object) bool { return a.key < b.key }

func newStore(ty *types) *store {
	s := &store{
		ty:           ty,
		keys:         make(map[string]*object),
		ordered:      make([]*btree.BTreeG[*object], len(ty.list)),
		nets:         make(map[netKey]*trie),
		addrs:        make(map[netKey]*trie),
		counts:       make([]int, len(ty.list)),
		netViews:     make(map[uint32]*object),
		netViewNames: make(map[string]uint32),
		dnsViews:     make(map[uint32]*object),
		dnsViewNames: make(map[string]uint32),
		nextNetView:  1,
		nextDNSView:  1,
		eaNames:      make(map[string]int),
	}
	for i, t := range ty.list {
		if t.ident != idNetwork {
			s.ordered[i] = btree.NewG[*object](32, keyLess)
		}
	}
	for _, o := range s.defaults() {
		s.index(o)
	}
	return s
}

// defaults are the objects every grid has: the grid, the default network view and the
// default DNS view.
func (s *store) defaults() []*object {
	grid := s.ty.byName["grid"]
	nv := s.ty.byName["networkview"]
	dv := s.ty.byName["view"]
	return []*object{
		{t: grid, key: grid.keyPrefix + "$0"},
		{t: nv, key: nv.keyPrefix + "$0", vals: []fv{{f: uint16(nv.field("name").idx), v: `"default"`}}},
		{t: dv, key: dv.keyPrefix + "$._default", vals: []fv{
			{f: uint16(dv.field("name").idx), v: `"default"`},
			{f: uint16(dv.field("network_view").idx), v: "0"},
		}},
	}
}

func dnsViewKey(id uint32) string {
	if id == 0 {
		return "._default"
	}
	return "." + strconv.FormatUint(uint64(id), 10)
}

func (s *store) netViewName(id uint32) string {
	if o := s.netViews[id]; o != nil {
		return o.str("name")
	}
	return ""
}

func (s *store) dnsViewName(id uint32) string {
	if o := s.dnsViews[id]; o != nil {
		return o.str("name")
	}
	return ""
}

// dnsViewNetView is the network view a DNS view is bound to.
func (s *store) dnsViewNetView(id uint32) uint32 {
	if o := s.dnsViews[id]; o != nil {
		if r, ok := o.raw("network_view"); ok {
			n, _ := strconv.ParseUint(r, 10, 32)
			return uint32(n)
		}
	}
	return 0
}

func famWidth(fam int) int {
	if fam == 6 {
		return 128
	}
	return 32
}

// netTrie returns the networks' trie of a view and family (made when create and missing).
func (s *store) netTrie(view uint32, fam int, create bool) *trie {
	return trieOf(s.nets, view, fam, create)
}

// addrTrie returns the used addresses' trie of a view and family (made when create and
// missing).
func (s *store) addrTrie(view uint32, fam int, create bool) *trie {
	return trieOf(s.addrs, view, fam, create)
}

func trieOf(m map[netKey]*trie, view uint32, fam int, create bool) *trie {
	k := netKey{view, uint8(fam)}
	t := m[k]
	if t == nil && create {
		t = newTrie(famWidth(fam))
		m[k] = t
	}
	return t
}

// netPrefix is the prefix of a network-type object.
func netPrefix(o *object) pfx {
	p, _ := netip.ParsePrefix(o.str("network"))
	return toPfx(p)
}

func toPfx(p netip.Prefix) pfx {
	return pfx{a: addrU128(p.Addr()), n: p.Bits()}
}

func addrPfx(a netip.Addr) pfx {
	if a.Is4() {
		return pfx{a: addrU128(a), n: 32}
	}
	return pfx{a: addrU128(a), n: 128}
}

func (p pfx) prefix(fam int) netip.Prefix {
	return netip.PrefixFrom(p.a.addr(famWidth(fam)), p.n)
}

// usedAddrs returns the addresses an object marks as used, with their network view and
// family.
func (s *store) usedAddrs(o *object, fn func(view uint32, a netip.Addr)) {
	if len(o.t.addrFields) == 0 {
		return
	}
	view := o.view
	if o.t.ident == idRecord {
		view = s.dnsViewNetView(o.view)
		if o.t.name == "record:host" {
			if r, ok := o.raw("network_view"); ok {
				n, _ := strconv.ParseUint(r, 10, 32)
				view = uint32(n)
			}
		}
	}
	for _, f := range o.t.addrFields {
		r, ok := o.raw(f)
		if !ok {
			continue
		}
		fd := o.t.field(f)
		if fd.kind == kHostAddr4 || fd.kind == kHostAddr6 {
			for _, a := range hostAddrs(r) {
				if ip, err := netip.ParseAddr(a.addr); err == nil {
					fn(view, ip)
				}
			}
			continue
		}
		if ip, err := netip.ParseAddr(unquote(r)); err == nil {
			fn(view, ip)
		}
	}
}

func addrFam(a netip.Addr) int {
	if a.Is4() {
		return 4
	}
	return 6
}

// index adds o to every index.
func (s *store) index(o *object) {
	s.keys[o.key] = o
	t := o.t
	s.counts[t.index]++
	if t.ident == idNetwork {
		tr := s.netTrie(o.view, t.family, true)
		n := tr.insert(netPrefix(o))
		n.obj = o
		tr.count++
		tr.refresh(pfx{n.a, int(n.n)})
	} else {
		s.ordered[t.index].ReplaceOrInsert(o)
	}
	s.usedAddrs(o, func(view uint32, a netip.Addr) {
		at := s.addrTrie(view, addrFam(a), true)
		p := addrPfx(a)
		n := at.insert(p)
		if n.uses == 0 {
			at.count++
		}
		n.uses++
		at.refresh(p)
	})
	switch t.ident {
	case idNetView:
		id := viewID(o.key)
		s.netViews[id] = o
		s.netViewNames[o.str("name")] = id
		if id >= s.nextNetView {
			s.nextNetView = id + 1
		}
	case idDNSView:
		id := viewID(o.key)
		s.dnsViews[id] = o
		s.dnsViewNames[o.str("name")] = id
		if id >= s.nextDNSView {
			s.nextDNSView = id + 1
		}
	}
	if r, ok := o.raw("extattrs"); ok {
		for _, n := range eaNamesOf(r) {
			s.eaNames[n]++
		}
	}
}

// unindex removes o from every index.
func (s *store) unindex(o *object) {
	delete(s.keys, o.key)
	t := o.t
	s.counts[t.index]--
	if t.ident == idNetwork {
		tr := s.netTrie(o.view, t.family, false)
		p := netPrefix(o)
		if n := tr.get(p); n != nil && n.obj == o {
			n.obj = nil
			tr.count--
			tr.refresh(p)
		}
	} else {
		s.ordered[t.index].Delete(o)
	}
	s.usedAddrs(o, func(view uint32, a netip.Addr) {
		at := s.addrTrie(view, addrFam(a), false)
		if at == nil {
			return
		}
		p := addrPfx(a)
		if n := at.get(p); n != nil && n.uses > 0 {
			n.uses--
			if n.uses == 0 {
				at.count--
			}
			at.refresh(p)
		}
	})
	switch t.ident {
	case idNetView:
		id := viewID(o.key)
		if s.netViews[id] == o {
			delete(s.netViews, id)
			delete(s.netViewNames, o.str("name"))
		}
	case idDNSView:
		id := viewID(o.key)
		if s.dnsViews[id] == o {
			delete(s.dnsViews, id)
			delete(s.dnsViewNames, o.str("name"))
		}
	}
	if r, ok := o.raw("extattrs"); ok {
		for _, n := range eaNamesOf(r) {
			if s.eaNames[n]--; s.eaNames[n] <= 0 {
				delete(s.eaNames, n)
			}
		}
	}
}

// viewID reads the id at the end of a view key ("dns.network_view$12", "dns.view$._default",
// "dns.view$.3").
func viewID(key string) uint32 {
	i := strings.LastIndexAny(key, "$.")
	n, err := strconv.ParseUint(key[i+1:], 10, 32)
	if err != nil {
		return 0
	}
	return uint32(n)
}

// findZone returns the innermost authoritative zone holding name in DNS view view.
func (s *store) findZone(view uint32, name string) *object {
	zt := s.ty.byName["zone_auth"]
	prefix := zt.keyPrefix + "$" + dnsViewKey(view) + "."
	n := name
	for {
		if o := s.keys[prefix+reverseName(n)]; o != nil {
			return o
		}
		i := strings.IndexByte(n, '.')
		if i < 0 {
			return nil
		}
		n = n[i+1:]
	}
}

// reverseName turns "www.example.com" into "com.example.www".
func reverseName(n string) string {
	if n == "" {
		return ""
	}
	var b strings.Builder
	b.Grow(len(n))
	end := len(n)
	for i := len(n) - 1; i >= 0; i-- {
		if n[i] == '.' {
			b.WriteString(n[i+1 : end])
			b.WriteByte('.')
			end = i
		}
	}
	b.WriteString(n[:end])
	return b.String()
}

// zoneDNSName is the DNS name of a zone: its fqdn, or the in-addr.arpa / ip6.arpa name of a
// reverse zone given as a CIDR.
func zoneDNSName(fqdn string) string {
	p, err := netip.ParsePrefix(fqdn)
	if err != nil {
		return fqdn
	}
	a := p.Addr()
	var labels []string
	if a.Is4() {
		b := a.As4()
		for i := p.Bits()/8 - 1; i >= 0; i-- {
			labels = append(labels, strconv.Itoa(int(b[i])))
		}
		return strings.Join(append(labels, "in-addr", "arpa"), ".")
	}
	b := a.As16()
	const hexd = "0123456789abcdef"
	for i := p.Bits()/4 - 1; i >= 0; i-- {
		nib := b[i/2]
		if i%2 == 0 {
			nib >>= 4
		}
		labels = append(labels, string(hexd[nib&0xf]))
	}
	return strings.Join(append(labels, "ip6", "arpa"), ".")
}

// ptrName is the reverse-lookup name of an address.
func ptrName(a netip.Addr) string {
	if a.Is4() {
		return zoneDNSName(netip.PrefixFrom(a, 32).String())
	}
	return zoneDNSName(netip.PrefixFrom(a, 128).String())
}
