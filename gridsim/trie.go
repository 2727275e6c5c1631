package gridsim

import (
	"math/bits"
	"net/netip"
)

// u128 is an address as a 128-bit number, most significant bit first. IPv4 addresses sit in
// the top 32 bits, so that bit i of a prefix is the same bit for both families.
type u128 struct{ hi, lo uint64 }

func addrU128(a netip.Addr) u128 {
	if a.Is4() {
		b := a.As4()
		return u128{hi: uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32}
	}
	b := a.As16()
	var x u128
	for i := 0; i < 8; i++ {
		x.hi = x.hi<<8 | uint64(b[i])
		x.lo = x.lo<<8 | uint64(b[8+i])
	}
	return x
}

func (x u128) addr(width int) netip.Addr {
	if width == 32 {
		v := x.hi >> 32
		return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	}
	var b [16]byte
	for i := 0; i < 8; i++ {
		b[i] = byte(x.hi >> (56 - 8*i))
		b[8+i] = byte(x.lo >> (56 - 8*i))
	}
	return netip.AddrFrom16(b)
}

func (x u128) bit(i int) int {
	if i < 64 {
		return int(x.hi>>(63-i)) & 1
	}
	return int(x.lo>>(127-i)) & 1
}

// mask keeps the first n bits.
func (x u128) mask(n int) u128 {
	switch {
	case n <= 0:
		return u128{}
	case n < 64:
		return u128{hi: x.hi &^ (^uint64(0) >> n)}
	case n < 128:
		return u128{hi: x.hi, lo: x.lo &^ (^uint64(0) >> (n - 64))}
	}
	return x
}

// setBit returns x with bit i set to v.
func (x u128) setBit(i, v int) u128 {
	if i < 64 {
		m := uint64(1) << (63 - i)
		if v == 1 {
			x.hi |= m
		} else {
			x.hi &^= m
		}
		return x
	}
	m := uint64(1) << (127 - i)
	if v == 1 {
		x.lo |= m
	} else {
		x.lo &^= m
	}
	return x
}

// last is the last address of the block x/n.
func (x u128) last(n int) u128 {
	switch {
	case n <= 0:
		return u128{^uint64(0), ^uint64(0)}
	case n < 64:
		return u128{hi: x.hi | ^uint64(0)>>n, lo: ^uint64(0)}
	case n < 128:
		return u128{hi: x.hi, lo: x.lo | ^uint64(0)>>(n-64)}
	}
	return x
}

func (x u128) cmp(y u128) int {
	switch {
	case x.hi < y.hi:
		return -1
	case x.hi > y.hi:
		return 1
	case x.lo < y.lo:
		return -1
	case x.lo > y.lo:
		return 1
	}
	return 0
}

// add returns x + 2^(128-n) (the next block of size /n) and whether it overflowed.
func (x u128) addBlock(n int) (u128, bool) {
	if n <= 0 {
		return u128{}, true
	}
	if n <= 64 {
		inc := uint64(1) << (64 - n)
		hi, c := bits.Add64(x.hi, inc, 0)
		return u128{hi: hi, lo: x.lo}, c != 0
	}
	inc := uint64(1) << (128 - n)
	lo, c := bits.Add64(x.lo, inc, 0)
	hi, c2 := bits.Add64(x.hi, 0, c)
	return u128{hi: hi, lo: lo}, c2 != 0
}

// commonLen is the number of leading bits x and y share.
func commonLen(x, y u128) int {
	if d := x.hi ^ y.hi; d != 0 {
		return bits.LeadingZeros64(d)
	}
	if d := x.lo ^ y.lo; d != 0 {
		return 64 + bits.LeadingZeros64(d)
	}
	return 128
}

// pfx is a prefix: a masked address and a length.
type pfx struct {
	a u128
	n int
}

func (p pfx) contains(q pfx) bool { return q.n >= p.n && q.a.mask(p.n) == p.a }

func (p pfx) less(q pfx) bool {
	if c := p.a.cmp(q.a); c != 0 {
		return c < 0
	}
	return p.n < q.n
}

const noFree = 255

// tnode is a node of a path-compressed binary trie of prefixes. A node is occupied when it
// holds an object (network tries) or a use count (address tries). Unoccupied nodes exist only
// where two branches meet, and at the root.
//
// free is the length of the largest free aligned block inside the node's block that overlaps
// no occupied node below it (the node's own occupancy is ignored), or noFree. It makes "the
// first free /L block inside this block" a walk down one path of the trie instead of a scan.
type tnode struct {
	a     u128
	n     uint8
	free  uint8
	uses  uint32
	obj   *object
	child [2]*tnode
}

func (t *tnode) occupied() bool { return t.obj != nil || t.uses > 0 }

// trie is one address family's tree for one network view.
type trie struct {
	width int
	root  *tnode
	count int // occupied nodes
}

func newTrie(width int) *trie {
	t := &trie{width: width, root: &tnode{}}
	t.root.free = t.computeFree(t.root)
	return t
}

func (t *trie) computeFree(x *tnode) uint8 {
	d := int(x.n)
	if d >= t.width {
		return noFree
	}
	best := noFree
	for _, c := range x.child {
		f := noFree
		switch {
		case c == nil:
			f = d + 1
		default:
			if int(c.n) > d+1 {
				f = d + 2
			}
			if !c.occupied() && int(c.free) < f {
				f = int(c.free)
			}
		}
		if f < best {
			best = f
		}
	}
	return uint8(best)
}

// get returns the node for exactly p, or nil.
func (t *trie) get(p pfx) *tnode {
	x := t.root
	for x != nil {
		if int(x.n) == p.n {
			if x.a == p.a {
				return x
			}
			return nil
		}
		if int(x.n) > p.n || x.a != p.a.mask(int(x.n)) {
			return nil
		}
		x = x.child[p.a.bit(int(x.n))]
	}
	return nil
}

// path calls fn for each occupied node whose block contains p, outermost first (p itself
// included when occupied).
func (t *trie) path(p pfx, fn func(*tnode) bool) {
	x := t.root
	for x != nil && int(x.n) <= p.n && x.a == p.a.mask(int(x.n)) {
		if x.occupied() && !fn(x) {
			return
		}
		if int(x.n) == p.n || int(x.n) >= t.width {
			return
		}
		x = x.child[p.a.bit(int(x.n))]
	}
}

// closest returns the innermost occupied node that strictly contains p, or nil.
func (t *trie) closest(p pfx) *tnode {
	var best *tnode
	t.path(p, func(x *tnode) bool {
		if int(x.n) < p.n {
			best = x
		}
		return true
	})
	return best
}

// top returns the topmost node whose block lies inside p (p itself included), or nil.
func (t *trie) top(p pfx) *tnode {
	x := t.root
	for x != nil {
		if int(x.n) >= p.n {
			if x.a.mask(p.n) == p.a {
				return x
			}
			return nil
		}
		if x.a != p.a.mask(int(x.n)) {
			return nil
		}
		x = x.child[p.a.bit(int(x.n))]
	}
	return nil
}

// insert returns the node for p, creating it (unoccupied) if needed, and refreshes the free
// summaries on the path.
func (t *trie) insert(p pfx) *tnode {
	var stack [130]*tnode
	sp := 0
	x := t.root
	var res *tnode
	for {
		stack[sp] = x
		sp++
		if int(x.n) == p.n {
			res = x
			break
		}
		b := p.a.bit(int(x.n))
		c := x.child[b]
		if c == nil {
			res = &tnode{a: p.a, n: uint8(p.n)}
			res.free = t.computeFree(res)
			x.child[b] = res
			break
		}
		cl := commonLen(c.a, p.a)
		if cl > int(c.n) {
			cl = int(c.n)
		}
		if cl > p.n {
			cl = p.n
		}
		if cl == int(c.n) {
			x = c
			continue
		}
		if cl == p.n {
			// p sits between x and c.
			res = &tnode{a: p.a, n: uint8(p.n)}
			res.child[c.a.bit(p.n)] = c
			res.free = t.computeFree(res)
			x.child[b] = res
			break
		}
		// split: a branch node at cl with c and p below it.
		br := &tnode{a: p.a.mask(cl), n: uint8(cl)}
		res = &tnode{a: p.a, n: uint8(p.n)}
		res.free = t.computeFree(res)
		br.child[c.a.bit(cl)] = c
		br.child[p.a.bit(cl)] = res
		br.free = t.computeFree(br)
		x.child[b] = br
		break
	}
	for i := sp - 1; i >= 0; i-- {
		stack[i].free = t.computeFree(stack[i])
	}
	return res
}

// refresh recomputes the free summaries on the path to p after an occupancy change of the
// node for p, and removes nodes that no longer serve a purpose.
func (t *trie) refresh(p pfx) {
	var stack [130]*tnode
	sp := 0
	x := t.root
	for x != nil {
		stack[sp] = x
		sp++
		if int(x.n) >= p.n {
			break
		}
		x = x.child[p.a.bit(int(x.n))]
	}
	for i := sp - 1; i >= 0; i-- {
		y := stack[i]
		if i > 0 && !y.occupied() {
			parent := stack[i-1]
			slot := y.a.bit(int(parent.n))
			switch {
			case y.child[0] == nil && y.child[1] == nil:
				parent.child[slot] = nil
				continue
			case y.child[0] == nil:
				parent.child[slot] = y.child[1]
				continue
			case y.child[1] == nil:
				parent.child[slot] = y.child[0]
				continue
			}
		}
		y.free = t.computeFree(y)
	}
}

// walk visits the occupied nodes of x's subtree in order (address, then length), only
// those after `after` when it is given. fn returns cont=false to stop the walk (walk then
// returns false) and descend=false to skip the node's subtree.
func (t *trie) walk(x *tnode, after *pfx, fn func(x *tnode) (cont, descend bool)) bool {
	if x == nil {
		return true
	}
	self := pfx{x.a, int(x.n)}
	if after != nil {
		// skip the whole subtree when it ends before the position.
		if x.a.last(int(x.n)).cmp(after.a) < 0 {
			return true
		}
	}
	descend := true
	if x.occupied() && (after == nil || after.less(self)) {
		var cont bool
		cont, descend = fn(x)
		if !cont {
			return false
		}
	}
	if !descend {
		return true
	}
	for _, c := range x.child {
		if !t.walk(c, after, fn) {
			return false
		}
	}
	return true
}

// findFree returns the first aligned block of length l inside block p (whose topmost node is
// c, as found by top) that starts at or after lo and overlaps no occupied node strictly
// inside p. Blocks before lo are skipped.
func (t *trie) findFree(p pfx, c *tnode, l int, lo u128) (u128, bool) {
	if l <= p.n || l > t.width {
		return u128{}, false
	}
	return t.search(p.a, p.n, c, l, lo, true)
}

func (t *trie) search(a u128, d int, c *tnode, l int, lo u128, isRoot bool) (u128, bool) {
	if a.last(d).cmp(lo) < 0 {
		return u128{}, false
	}
	if c == nil {
		// the whole block is free: the first aligned /l block at or after lo.
		start := a
		if lo.cmp(a) > 0 {
			start = lo.mask(l)
			if start.cmp(lo) < 0 {
				var ovf bool
				start, ovf = start.addBlock(l)
				if ovf {
					return u128{}, false
				}
			}
		}
		if start.mask(d) != a {
			return u128{}, false
		}
		return start, true
	}
	if d >= l {
		return u128{}, false
	}
	if int(c.n) == d {
		if c.occupied() && !isRoot {
			return u128{}, false
		}
		if int(c.free) > l {
			return u128{}, false
		}
		for b := 0; b < 2; b++ {
			if r, ok := t.search(a.setBit(d, b), d+1, c.child[b], l, lo, false); ok {
				return r, true
			}
		}
		return u128{}, false
	}
	// c lies deeper: one half holds it, the other half is empty.
	cb := c.a.bit(d)
	for b := 0; b < 2; b++ {
		var sub *tnode
		if b == cb {
			sub = c
		}
		if r, ok := t.search(a.setBit(d, b), d+1, sub, l, lo, false); ok {
			return r, true
		}
	}
	return u128{}, false
}
