package gridsim

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// TestTrieAgainstBruteForce checks the prefix trie (exact lookup, closest container, free
// block search, removal) against a plain list, over random insertions and deletions.
func TestTrieAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tr := newTrie(32)
	set := map[pfx]bool{}
	base := toPfx(netip.MustParsePrefix("10.0.0.0/8"))
	randPfx := func() pfx {
		n := 9 + rng.IntN(16) // /9 to /24
		a := u128{hi: base.a.hi | uint64(rng.Uint32()&0x00ffffff)<<32}
		return pfx{a: a.mask(n), n: n}
	}
	obj := &object{}
	for step := range 4000 {
		p := randPfx()
		if set[p] && rng.IntN(2) == 0 {
			x := tr.get(p)
			x.obj = nil
			tr.refresh(p)
			delete(set, p)
		} else if !set[p] {
			tr.insert(p).obj = obj
			tr.refresh(p)
			set[p] = true
		}
		if step%20 != 0 {
			continue
		}
		q := randPfx()
		// exact
		if got := tr.get(q); (got != nil && got.obj != nil) != set[q] {
			t.Fatalf("step %d: get %v", step, q)
		}
		// closest strict container
		var want *pfx
		for s := range set {
			if s.n < q.n && s.contains(q) && (want == nil || s.n > want.n) {
				w := s
				want = &w
			}
		}
		got := tr.closest(q)
		if (got == nil) != (want == nil) || got != nil && (pfx{got.a, int(got.n)}) != *want {
			t.Fatalf("step %d: closest(%v) = %v, want %v", step, q, got, want)
		}
		// first free /l block inside base at or after lo
		l := 12 + rng.IntN(8)
		lo := u128{hi: base.a.hi | uint64(rng.Uint32()&0x00ffffff)<<32}.mask(32)
		gotA, ok := tr.findFree(base, tr.top(base), l, lo)
		wantA, wantOK := bruteFree(set, base, l, lo)
		if ok != wantOK || ok && gotA != wantA {
			t.Fatalf("step %d: findFree(/%d from %v) = %v %v, want %v %v", step, l, lo.addr(32), gotA.addr(32), ok, wantA.addr(32), wantOK)
		}
	}
}

func bruteFree(set map[pfx]bool, in pfx, l int, lo u128) (u128, bool) {
	x := in.a
	for in.contains(pfx{x.mask(l), l}) {
		b := pfx{x, l}
		free := x.cmp(lo) >= 0
		if free {
			for s := range set {
				if s != in && (s.contains(b) || b.contains(s)) && in.contains(s) {
					free = false
					break
				}
			}
		}
		if free {
			return x, true
		}
		var ovf bool
		x, ovf = x.addBlock(l)
		if ovf {
			break
		}
	}
	return u128{}, false
}
