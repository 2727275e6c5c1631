package bench

import (
	"fmt"
	"net/netip"
)

// Workload is what each run creates: Objects networks of length PrefixLen carved in order
// from Network, each with Comment. The founding workload is 1,024 /24 networks from
// 10.0.0.0/8 with the comment "test-network" (seed-series.md §3).
type Workload struct {
	Objects   int    `json:"objects"`
	Network   string `json:"network"`
	PrefixLen int    `json:"prefix_len"`
	Comment   string `json:"comment"`
}

// Defaults of the workload.
const (
	DefaultNetwork   = "10.0.0.0/8"
	DefaultPrefixLen = 24
	DefaultComment   = "test-network"
)

// FoundingWorkload returns the article's workload.
func FoundingWorkload() Workload {
	return Workload{Objects: ArticleObjects, Network: DefaultNetwork, PrefixLen: DefaultPrefixLen, Comment: DefaultComment}
}

// CIDRs returns the workload's networks in order: 10.0.0.0/24, 10.0.1.0/24, ...
func (w Workload) CIDRs() ([]string, error) {
	base, err := netip.ParsePrefix(w.Network)
	if err != nil || !base.Addr().Is4() || base.Masked() != base {
		return nil, fmt.Errorf("bench: workload network %q: want an IPv4 network such as 10.0.0.0/8", w.Network)
	}
	if w.PrefixLen < base.Bits() || w.PrefixLen > 32 {
		return nil, fmt.Errorf("bench: prefix length /%d does not fit in %s", w.PrefixLen, w.Network)
	}
	room := uint64(1) << (w.PrefixLen - base.Bits())
	if w.Objects < 1 || uint64(w.Objects) > room {
		return nil, fmt.Errorf("bench: %d /%d networks: %s holds 1 to %d", w.Objects, w.PrefixLen, w.Network, room)
	}
	a := base.Addr().As4()
	start := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	step := uint32(1) << (32 - w.PrefixLen)
	out := make([]string, w.Objects)
	for i := range out {
		v := start + uint32(i)*step
		out[i] = netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), w.PrefixLen).String()
	}
	return out, nil
}
