package gridsim

import (
	"encoding/json"
	"math/bits"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Next-available allocation: the function calls next_available_ip and
// next_available_network, and the same allocations inside a create, either inline
// ("func:nextavailableip:10.0.0.0/24,default") or in the long form
// ({"_object_function": ..., "_object": ..., "_object_parameters": ..., ...}). Allocation
// inside a create runs under the write lock, so concurrent creates never receive the same
// address or network. A plain function call only reads: like a grid, it reserves nothing.

const (
	funcIP  = "func:nextavailableip:"
	funcNet = "func:nextavailablenetwork:"
)

// resolveFuncs replaces allocation requests in a create or update value by their result.
func (t *tx) resolveFuncs(o *object, fd *fieldDef, v any) (any, *apiError) {
	switch fd.kind {
	case kIPv4, kIPv6:
		return t.resolveOne(o, fd.name, fd.kind == kIPv6, false, v)
	case kCIDR4, kCIDR6:
		return t.resolveOne(o, fd.name, fd.kind == kCIDR6, true, v)
	case kHostAddr4, kHostAddr6:
		list, ok := v.([]any)
		if !ok {
			return v, nil
		}
		af := "ipv4addr"
		if fd.kind == kHostAddr6 {
			af = "ipv6addr"
		}
		out := make([]any, len(list))
		for i, e := range list {
			m, ok := e.(map[string]any)
			if !ok {
				out[i] = e
				continue
			}
			c := make(map[string]any, len(m))
			for k, x := range m {
				c[k] = x
			}
			if x, ok := c[af]; ok {
				r, err := t.resolveOne(o, af, fd.kind == kHostAddr6, false, x)
				if err != nil {
					return nil, err
				}
				c[af] = r
			}
			out[i] = c
		}
		return out, nil
	}
	return v, nil
}

func (t *tx) resolveOne(o *object, field string, v6, network bool, v any) (any, *apiError) {
	switch x := v.(type) {
	case string:
		if network && strings.HasPrefix(x, funcNet) {
			return t.inlineNetwork(o, field, v6, x, x[len(funcNet):])
		}
		if !network && strings.HasPrefix(x, funcIP) {
			return t.inlineIP(o, field, v6, x[len(funcIP):])
		}
		return v, nil
	case map[string]any:
		if _, ok := x["_object_function"]; ok {
			return t.longForm(o, field, x)
		}
	}
	return v, nil
}

// defaultNetView is the network view an allocation for o happens in.
func (t *tx) defaultNetView(o *object) uint32 {
	switch o.t.ident {
	case idNetwork, idFixed:
		return o.view
	case idRecord:
		if r, ok := o.raw("network_view"); ok {
			n, _ := strconv.ParseUint(r, 10, 32)
			return uint32(n)
		}
		return t.s.dnsViewNetView(o.view)
	}
	return 0
}

// lookupNet finds the network or container named by arg: a CIDR or a ref.
func (t *tx) lookupNet(arg string, view uint32, v6 bool) *object {
	if strings.Contains(arg, "/") && !strings.HasPrefix(arg, "network") && !strings.HasPrefix(arg, "ipv6network") {
		p, err := netip.ParsePrefix(arg)
		if err != nil || p != p.Masked() || p.Addr().Is4() == v6 {
			return nil
		}
		tr := t.s.netTrie(view, famOf(v6), false)
		if tr == nil {
			return nil
		}
		if x := tr.get(toPfx(p)); x != nil {
			return x.obj
		}
		return nil
	}
	_, key, ok := parseRef(arg)
	if !ok {
		return nil
	}
	o := t.s.keys[key]
	if o == nil || o.t.ident != idNetwork || (o.t.family == 6) != v6 {
		return nil
	}
	return o
}

func famOf(v6 bool) int {
	if v6 {
		return 6
	}
	return 4
}

func noMatch(arg, field string) *apiError {
	return protoErr("%s does not match any unique networks/ranges (%s)", arg, field)
}

// inlineIP resolves func:nextavailableip:<network cidr or ref>[,<network view>] and the range
// form <first>-<last>[,<network view>].
func (t *tx) inlineIP(o *object, field string, v6 bool, arg string) (any, *apiError) {
	spec, viewName, _ := strings.Cut(arg, ",")
	view := t.defaultNetView(o)
	if viewName != "" {
		id, ok := t.s.netViewNames[viewName]
		if !ok {
			return nil, notFoundErr("Network View %s not found", viewName)
		}
		view = id
	}
	if first, last, ok := strings.Cut(spec, "-"); ok && !strings.Contains(spec, "/") {
		a, err1 := netip.ParseAddr(first)
		b, err2 := netip.ParseAddr(last)
		if err1 != nil || err2 != nil || a.Is4() == v6 || b.Is4() == v6 || b.Less(a) {
			return nil, noMatch(arg, field)
		}
		n := t.s.networkOf(view, a)
		if n == nil {
			return nil, noMatch(arg, field)
		}
		ips, err := t.nextIPs(n, 1, nil, a, b)
		if err != nil {
			return nil, err
		}
		return ips[0], nil
	}
	n := t.lookupNet(spec, view, v6)
	if n == nil || n.t.container {
		return nil, noMatch(arg, field)
	}
	ips, err := t.nextIPs(n, 1, nil, netip.Addr{}, netip.Addr{})
	if err != nil {
		return nil, err
	}
	return ips[0], nil
}

// inlineNetwork resolves func:nextavailablenetwork:<container cidr or ref>[,<view>],<cidr>.
func (t *tx) inlineNetwork(o *object, field string, v6 bool, whole, arg string) (any, *apiError) {
	parts := strings.Split(arg, ",")
	if len(parts) < 2 || len(parts) > 3 {
		return nil, noMatch(arg, field)
	}
	view := o.view
	if len(parts) == 3 && parts[1] != "" {
		id, ok := t.s.netViewNames[parts[1]]
		if !ok {
			return nil, notFoundErr("Network View %s not found", parts[1])
		}
		view = id
		// the new network lives in that view too.
		o.view = id
		o.vals = setVal(o.vals, o.t.field("network_view").idx, strconv.FormatUint(uint64(id), 10))
	}
	cidr, err := strconv.Atoi(parts[len(parts)-1])
	if err != nil {
		return nil, invalidValue(field, string(appendQuoted(nil, whole)), "Invalid prefix length")
	}
	c := t.lookupNet(parts[0], view, v6)
	if c == nil {
		return nil, noMatch(arg, field)
	}
	nets, aerr := t.nextNetworks(c, cidr, 1, nil)
	if aerr != nil {
		return nil, aerr
	}
	return nets[0], nil
}

// longForm resolves {"_object_function": f, "_object": type, "_object_parameters": filters,
// "_parameters": params, "_result_field": field}.
func (t *tx) longForm(o *object, field string, m map[string]any) (any, *apiError) {
	fn, _ := m["_object_function"].(string)
	typ, _ := m["_object"].(string)
	rf, _ := m["_result_field"].(string)
	ot := t.s.ty.byName[typ]
	if ot == nil {
		return nil, protoErr("Unknown object type (%s)", typ)
	}
	op, _ := m["_object_parameters"].(map[string]any)
	list, err := jsonArgs(op)
	if err != nil {
		return nil, err
	}
	fs, err := t.s.compileFilters(ot, list)
	if err != nil {
		return nil, err
	}
	var hits []*object
	t.s.scan(t.s.plan(ot, fs), position{}, func(x *object) bool {
		hits = append(hits, x)
		return len(hits) < 2
	})
	if len(hits) != 1 {
		return nil, noMatch(string(appendCanonical(nil, op)), field)
	}
	params, _ := m["_parameters"].(map[string]any)
	res, err := t.call(hits[0], fn, params)
	if err != nil {
		return nil, err
	}
	if rf == "" {
		for k := range res {
			rf = k
		}
	}
	list2, _ := res[rf].([]any)
	if len(list2) == 0 {
		return nil, protoErr("Unknown result field: %s", rf)
	}
	return list2[0], nil
}

// call runs function fn on object o.
func (t *tx) call(o *object, fn string, params map[string]any) (map[string]any, *apiError) {
	if !slices.Contains(o.t.functions, fn) {
		return nil, protoErr("Function %s is not valid for this object", fn)
	}
	num := 1
	for _, k := range sortedKeys(params) {
		switch k {
		case "num":
			n, ok := params[k].(json.Number)
			v, err := strconv.Atoi(string(n))
			if !ok || err != nil || v < 1 || v > 1000 {
				return nil, invalidValue("num", repr(params[k]), "Must be an integer from 1 to 1000")
			}
			num = v
		case "cidr", "exclude":
		default:
			if o.t.ident != idSingleton {
				return nil, protoErr("Unknown function parameter: %s", k)
			}
		}
	}
	var excl []string
	if x, ok := params["exclude"]; ok {
		list, ok := x.([]any)
		if !ok {
			return nil, invalidValue("exclude", repr(x), "Must be list type")
		}
		for _, e := range list {
			s, ok := e.(string)
			if !ok {
				return nil, invalidValue("exclude", repr(x), "Must be a list of strings")
			}
			excl = append(excl, s)
		}
	}
	switch fn {
	case "next_available_ip":
		ips, err := t.nextIPs(o, num, excl, netip.Addr{}, netip.Addr{})
		if err != nil {
			return nil, err
		}
		return map[string]any{"ips": anyList(ips)}, nil
	case "next_available_network":
		c, ok := params["cidr"]
		if !ok {
			return nil, protoErr("required function parameter missing: cidr")
		}
		n, ok := c.(json.Number)
		cidr, err := strconv.Atoi(string(n))
		if !ok || err != nil {
			return nil, invalidValue("cidr", repr(c), "Must be integer type")
		}
		nets, aerr := t.nextNetworks(o, cidr, num, excl)
		if aerr != nil {
			return nil, aerr
		}
		return map[string]any{"networks": anyList(nets)}, nil
	}
	return map[string]any{}, nil // grid service functions: accepted, nothing to do
}

// nextIPs returns num free addresses of network n (skipping the network and broadcast
// addresses of IPv4 networks up to /30, the excluded addresses and those already taken in
// this transaction), optionally within [first, last].
func (t *tx) nextIPs(n *object, num int, exclude []string, first, last netip.Addr) ([]string, *apiError) {
	p := netPrefix(n)
	fam := n.t.family
	w := famWidth(fam)
	np := p.prefix(fam)
	lo, hi := p.a, p.a.last(p.n).mask(w)
	if fam == 4 && p.n <= 30 {
		lo, _ = lo.addBlock(w)
		hi = subBlock(hi, w)
	}
	if first.IsValid() {
		if f := addrU128(first); f.cmp(lo) > 0 {
			lo = f
		}
		if l := addrU128(last); l.cmp(hi) < 0 {
			hi = l
		}
	}
	ex := map[string]bool{}
	for _, e := range exclude {
		if a, err := netip.ParseAddr(e); err == nil {
			ex[a.String()] = true
		}
	}
	at := t.s.addrTrie(n.view, fam, false)
	var top *tnode
	if at != nil {
		top = at.top(p)
	}
	var out []string
	for len(out) < num {
		if lo.cmp(hi) > 0 {
			break
		}
		var x u128
		if at == nil {
			x = lo
		} else {
			var ok bool
			x, ok = at.search(p.a, p.n, top, w, lo, true)
			if !ok {
				break
			}
		}
		if x.cmp(hi) > 0 {
			break
		}
		s := x.addr(w).String()
		next, ovf := x.addBlock(w)
		if !ex[s] && !t.taken[s] && np.Contains(x.addr(w)) {
			out = append(out, s)
		}
		if ovf {
			break
		}
		lo = next
	}
	if len(out) < num {
		return nil, conflictErr("Cannot find %d available IP address(es) in this network", num)
	}
	t.take(out)
	return out, nil
}

// subBlock returns x - 2^(128-n) (the previous /n block).
func subBlock(x u128, n int) u128 {
	if n <= 64 {
		return u128{hi: x.hi - 1<<(64-n), lo: x.lo}
	}
	lo, b := bits.Sub64(x.lo, 1<<(128-n), 0)
	return u128{hi: x.hi - b, lo: lo}
}

// nextNetworks returns num free /cidr blocks inside c that overlap no network or container
// below it and no excluded network.
func (t *tx) nextNetworks(c *object, cidr, num int, exclude []string) ([]string, *apiError) {
	fam := c.t.family
	w := famWidth(fam)
	p := netPrefix(c)
	if cidr <= p.n || cidr > w {
		return nil, invalidValue("cidr", strconv.Itoa(cidr), "Must be longer than the prefix of "+p.prefix(fam).String()+" and at most "+strconv.Itoa(w))
	}
	var ex []pfx
	for _, e := range exclude {
		if q, err := netip.ParsePrefix(e); err == nil {
			ex = append(ex, toPfx(q.Masked()))
		} else if a, err := netip.ParseAddr(e); err == nil {
			ex = append(ex, addrPfx(a))
		}
	}
	tr := t.s.netTrie(c.view, fam, true)
	top := tr.get(p)
	lo := p.a
	var out []string
	for len(out) < num {
		x, ok := tr.findFree(p, top, cidr, lo)
		if !ok {
			break
		}
		b := pfx{x, cidr}
		clash := false
		for _, e := range ex {
			if e.contains(b) || b.contains(e) {
				clash = true
			}
		}
		s := b.prefix(fam).String()
		if !clash && !t.taken[s] {
			out = append(out, s)
		}
		next, ovf := x.addBlock(cidr)
		if ovf || !p.contains(pfx{next.mask(cidr), cidr}) {
			break
		}
		lo = next
	}
	if len(out) < num {
		return nil, conflictErr("Cannot find %d available network(s) of size /%d in %s", num, cidr, p.prefix(fam))
	}
	t.take(out)
	return out, nil
}

// take records allocated addresses or networks as handed out by this transaction.
func (t *tx) take(vals []string) {
	if t.taken == nil {
		t.taken = map[string]bool{}
	}
	for _, s := range vals {
		t.taken[s] = true
	}
}
