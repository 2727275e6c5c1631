package input

import (
	"encoding/binary"
	"io"
	"math"
	"math/bits"
	"net/netip"
	"strconv"
	"strings"
)

// GeneratorSource is the source name of generated objects and of generator spec errors.
const GeneratorSource = "generate"

// NewGenerator returns a reader of synthetic objects described by spec: one or more
// generator specs separated by ';', generated one after the other. The forms are in the
// package documentation; "network 10.0.0.0/8 /24 1024" is the founding workload. Objects are
// computed one at a time, so any count streams in constant memory. Generated objects have
// source "generate" and line = ordinal + 1. A spec that cannot be generated gives a fatal
// *RowError (category ErrSpec) whose line is the spec's number in spec (1 for the first) and
// whose field names the argument at fault. Options are checked, then ignored: every spec names
// its type.
func NewGenerator(spec string, opts ...Option) (Reader, error) {
	if _, err := buildOptions(opts); err != nil {
		return nil, err
	}
	parts, err := splitSpecs(spec)
	if err != nil {
		return nil, err
	}
	g := &generator{base: base{source: GeneratorSource}}
	for i, p := range parts {
		s, err := parseSpec(p, i+1)
		if err != nil {
			return nil, err
		}
		g.specs = append(g.specs, s)
	}
	return g, nil
}

type generator struct {
	base
	specs []*genSpec
	cur   int
	i     int64
}

func (g *generator) Next() (Object, error) {
	for g.cur < len(g.specs) {
		s := g.specs[g.cur]
		if g.i >= s.count {
			g.cur++
			g.i = 0
			continue
		}
		fields := make(map[string]any, len(s.extra)+4)
		s.make(g.i, fields)
		for k, v := range s.extra {
			fields[k] = deepCopy(v)
		}
		g.i++
		p := g.pos(int(min(g.next+1, math.MaxInt)))
		return Object{Type: s.t.Name, Fields: fields, Pos: p}, nil
	}
	return Object{}, io.EOF
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		c := make(map[string]any, len(x))
		for k, e := range x {
			c[k] = deepCopy(e)
		}
		return c
	case []any:
		c := make([]any, len(x))
		for i, e := range x {
			c[i] = deepCopy(e)
		}
		return c
	}
	return v
}

type genSpec struct {
	t     *Type
	count int64
	make  func(i int64, fields map[string]any)
	extra map[string]any
}

// specErr is a fatal spec error on spec line n.
func specErr(n int, field, format string, args ...any) *RowError {
	return fatalErr(GeneratorSource, n, field, ErrSpec, format, args...)
}

// splitSpecs splits at ';' outside double quotes.
func splitSpecs(s string) ([]string, error) {
	var out []string
	start, inQ := 0, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if inQ {
				i++
			}
		case '"':
			inQ = !inQ
		case ';':
			if !inQ {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	out = append(out, s[start:])
	if len(out) == 1 && strings.TrimSpace(out[0]) == "" {
		return nil, specErr(1, "", "empty generator spec; want for example %q", "network 10.0.0.0/8 /24 1024")
	}
	return out, nil
}

// tokenize splits a spec at white space; double quotes group (with '\' escapes inside).
func tokenize(s string, n int) ([]string, error) {
	var out []string
	var b strings.Builder
	inTok, inQ := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQ && c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case c == '"':
			inQ = !inQ
			inTok = true
		case !inQ && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			if inTok {
				out = append(out, b.String())
				b.Reset()
				inTok = false
			}
		default:
			b.WriteByte(c)
			inTok = true
		}
	}
	if inQ {
		return nil, specErr(n, "", "a double quote is not closed")
	}
	if inTok {
		out = append(out, b.String())
	}
	return out, nil
}

// genForms documents the forms for messages.
var genForms = map[string]string{
	"networkview":          "networkview NAME [COUNT]",
	"networkcontainer":     "networkcontainer CIDR /PREFIX COUNT",
	"ipv6networkcontainer": "ipv6networkcontainer CIDR /PREFIX COUNT",
	"network":              "network CIDR /PREFIX COUNT",
	"ipv6network":          "ipv6network CIDR /PREFIX COUNT",
	"fixedaddress":         "fixedaddress CIDR COUNT",
	"zone_auth":            "zone_auth FQDN [COUNT]",
	"record:a":             "record:a ZONE CIDR COUNT",
	"record:aaaa":          "record:aaaa ZONE CIDR COUNT",
	"record:host":          "record:host ZONE CIDR COUNT",
	"record:ptr":           "record:ptr ZONE CIDR COUNT",
	"record:cname":         "record:cname ZONE COUNT",
	"record:txt":           "record:txt ZONE COUNT",
	"record:mx":            "record:mx ZONE COUNT",
}

// defaultComment is the comment generated objects carry unless comment= says otherwise.
func defaultComment(t *Type) string {
	switch {
	case strings.Contains(t.Name, "network") && t.Name != "networkview":
		return "test-network" // the founding workload's payload
	case strings.HasPrefix(t.Name, "record:"):
		return "test-record"
	case t.Name == "zone_auth":
		return "test-zone"
	}
	return "test-" + t.Name
}

func parseSpec(spec string, n int) (*genSpec, error) {
	toks, err := tokenize(spec, n)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, specErr(n, "", "empty generator spec")
	}
	t := lookupType(toks[0])
	if t == nil {
		return nil, specErr(n, "type", "unknown object type %s%s; supported: %s", quoteShort(toks[0]), suggest(toks[0], TypeNames()), typeList())
	}
	var args []string
	var kvs []string
	for _, tok := range toks[1:] {
		if strings.IndexByte(tok, '=') > 0 {
			kvs = append(kvs, tok)
		} else {
			if len(kvs) > 0 {
				return nil, specErr(n, "", "%s comes after key=value fields; want %s", quoteShort(tok), genForms[t.Name])
			}
			args = append(args, tok)
		}
	}
	s := &genSpec{t: t, extra: map[string]any{}}
	if c := defaultComment(t); t.field("comment") != nil {
		s.extra["comment"] = c
	}
	generated, err := s.build(args, n)
	if err != nil {
		return nil, err
	}
	for _, kv := range kvs {
		if err := s.setField(kv, generated, n); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *genSpec) setField(kv string, generated []string, n int) error {
	name, val, _ := strings.Cut(kv, "=")
	t := s.t
	if ea, k, ok := parseEAColumn(name); ok {
		if ea == "" {
			return specErr(n, name, "an EA- field needs an attribute name (EA-Site=East)")
		}
		if val == "" {
			return specErr(n, name, "empty value")
		}
		v, r := parseEACell(k, val)
		if r != "" {
			return specErr(n, name, "%s", r)
		}
		eas, _ := s.extra["extattrs"].(map[string]any)
		if eas == nil {
			eas = map[string]any{}
			s.extra["extattrs"] = eas
		}
		eas[ea] = map[string]any{"value": v}
		return nil
	}
	f := t.field(name)
	if f == nil {
		return specErr(n, name, "unknown field of %s%s", t.Name, suggest(name, fieldNames(t.Fields)))
	}
	for _, g := range generated {
		if g == name {
			return specErr(n, name, "the generator sets %s itself", name)
		}
	}
	if val == "" {
		delete(s.extra, name) // comment= drops the default comment
		return nil
	}
	v, r := parseCell(f, val)
	if r != "" {
		return specErr(n, name, "%s", r)
	}
	nv, ve := checkValue(f, name, v)
	if ve != nil {
		return specErr(n, ve.field, "%s", ve.reason)
	}
	s.extra[name] = nv
	return nil
}

// build parses the positional arguments and sets count and make; it returns the fields the
// generator sets itself.
func (s *genSpec) build(args []string, n int) ([]string, error) {
	t := s.t
	form := genForms[t.Name]
	want := func(k int) error {
		if len(args) != k {
			return specErr(n, "", "%d arguments, want %s", len(args), form)
		}
		return nil
	}
	switch t.Name {
	case "network", "networkcontainer", "ipv6network", "ipv6networkcontainer":
		if err := want(3); err != nil {
			return nil, err
		}
		family := 4
		if strings.HasPrefix(t.Name, "ipv6") {
			family = 6
		}
		parent, err := specCIDR(args[0], family, n)
		if err != nil {
			return nil, err
		}
		plen, err := strconv.Atoi(strings.TrimPrefix(args[1], "/"))
		w := parent.Addr().BitLen()
		if err != nil || plen < 0 || plen > w {
			return nil, specErr(n, "prefix", "%s is not a prefix length (want /%d to /%d)", quoteShort(args[1]), parent.Bits(), w)
		}
		if plen < parent.Bits() {
			return nil, specErr(n, "prefix", "/%d is shorter than the parent %s", plen, parent)
		}
		avail := pow2(plen - parent.Bits())
		count, err := specCount(args[2], avail, n, func() string {
			return sprintf("%s has %s subnets /%d", parent, countText(avail), plen)
		})
		if err != nil {
			return nil, err
		}
		s.count = count
		shift := uint(w - plen)
		base := parent.Addr()
		s.make = func(i int64, f map[string]any) {
			f["network"] = netip.PrefixFrom(addrAdd(base, uint64(i), shift), plen).String()
		}
		return []string{"network"}, nil

	case "fixedaddress":
		if err := want(2); err != nil {
			return nil, err
		}
		hs, err := newHostSeq(args[0], 4, args[1], n)
		if err != nil {
			return nil, err
		}
		s.count = hs.count
		s.make = func(i int64, f map[string]any) {
			f["ipv4addr"] = hs.addr(i).String()
			var b [8]byte
			binary.BigEndian.PutUint64(b[:], uint64(i))
			f["mac"] = sprintf("02:00:%02x:%02x:%02x:%02x", b[4], b[5], b[6], b[7])
		}
		return []string{"ipv4addr", "mac"}, nil

	case "networkview", "zone_auth":
		if len(args) != 1 && len(args) != 2 {
			return nil, specErr(n, "", "%d arguments, want %s", len(args), form)
		}
		field := "name"
		if t.Name == "zone_auth" {
			field = "fqdn"
		}
		name := args[0]
		var r string
		if t.Name == "zone_auth" {
			name = strings.ToLower(strings.TrimSuffix(name, "."))
			r = checkDNSName(name, false)
		} else {
			r = checkString(&Field{Kind: KindName}, name)
		}
		if r != "" {
			return nil, specErr(n, field, "%s", r)
		}
		if len(args) == 1 {
			s.count = 1
			s.make = func(_ int64, f map[string]any) { f[field] = name }
			return []string{field}, nil
		}
		count, err := specCount(args[1], math.MaxInt64, n, nil)
		if err != nil {
			return nil, err
		}
		s.count = count
		if t.Name == "zone_auth" {
			if err := checkGenName("zone", count, name, n); err != nil {
				return nil, err
			}
			s.make = func(i int64, f map[string]any) { f[field] = genName("zone", i, name) }
		} else {
			s.make = func(i int64, f map[string]any) { f[field] = name + strconv.FormatInt(i+1, 10) }
		}
		return []string{field}, nil

	case "record:a", "record:aaaa", "record:host", "record:ptr":
		if err := want(3); err != nil {
			return nil, err
		}
		zone, err := specZone(args[0], n)
		if err != nil {
			return nil, err
		}
		family := 0
		switch t.Name {
		case "record:a":
			family = 4
		case "record:aaaa":
			family = 6
		}
		hs, err := newHostSeq(args[1], family, args[2], n)
		if err != nil {
			return nil, err
		}
		if err := checkGenName("host", hs.count, zone, n); err != nil {
			return nil, err
		}
		s.count = hs.count
		v6 := hs.v6
		switch t.Name {
		case "record:a":
			s.make = func(i int64, f map[string]any) {
				f["name"] = genName("host", i, zone)
				f["ipv4addr"] = hs.addr(i).String()
			}
			return []string{"name", "ipv4addr"}, nil
		case "record:aaaa":
			s.make = func(i int64, f map[string]any) {
				f["name"] = genName("host", i, zone)
				f["ipv6addr"] = hs.addr(i).String()
			}
			return []string{"name", "ipv6addr"}, nil
		case "record:host":
			s.make = func(i int64, f map[string]any) {
				f["name"] = genName("host", i, zone)
				if v6 {
					f["ipv6addrs"] = []any{map[string]any{"ipv6addr": hs.addr(i).String()}}
				} else {
					f["ipv4addrs"] = []any{map[string]any{"ipv4addr": hs.addr(i).String()}}
				}
			}
			return []string{"name", "ipv4addrs", "ipv6addrs"}, nil
		default: // record:ptr
			af := "ipv4addr"
			if v6 {
				af = "ipv6addr"
			}
			s.make = func(i int64, f map[string]any) {
				f["ptrdname"] = genName("host", i, zone)
				f[af] = hs.addr(i).String()
			}
			return []string{"ptrdname", af}, nil
		}

	default: // record:cname, record:txt, record:mx
		if err := want(2); err != nil {
			return nil, err
		}
		zone, err := specZone(args[0], n)
		if err != nil {
			return nil, err
		}
		count, err := specCount(args[1], math.MaxInt64, n, nil)
		if err != nil {
			return nil, err
		}
		s.count = count
		switch t.Name {
		case "record:cname":
			if err := checkGenName("alias", count, zone, n); err != nil {
				return nil, err
			}
			s.make = func(i int64, f map[string]any) {
				f["name"] = genName("alias", i, zone)
				f["canonical"] = genName("host", i, zone)
			}
			return []string{"name", "canonical"}, nil
		case "record:txt":
			if err := checkGenName("txt", count, zone, n); err != nil {
				return nil, err
			}
			s.make = func(i int64, f map[string]any) {
				f["name"] = genName("txt", i, zone)
				f["text"] = "test-record " + strconv.FormatInt(i+1, 10)
			}
			return []string{"name", "text"}, nil
		default:
			if err := checkGenName("mail", count, zone, n); err != nil {
				return nil, err
			}
			s.make = func(i int64, f map[string]any) {
				f["name"] = zone
				f["mail_exchanger"] = genName("mail", i, zone)
				f["preference"] = int64(10)
			}
			return []string{"name", "mail_exchanger", "preference"}, nil
		}
	}
}

func genName(prefix string, i int64, zone string) string {
	return prefix + strconv.FormatInt(i+1, 10) + "." + zone
}

func checkGenName(prefix string, count int64, zone string, n int) error {
	if r := checkDNSName(genName(prefix, count-1, zone), false); r != "" {
		return specErr(n, "count", "the generated names are too long: %s", r)
	}
	return nil
}

func specZone(s string, n int) (string, error) {
	z := strings.ToLower(strings.TrimSuffix(s, "."))
	if r := checkDNSName(z, false); r != "" {
		return "", specErr(n, "zone", "%s", r)
	}
	return z, nil
}

func specCIDR(s string, family, n int) (netip.Prefix, error) {
	p, r := checkCIDR(s, family)
	if r != "" {
		return p, specErr(n, "cidr", "%s", r)
	}
	return p, nil
}

// specCount parses a count between 1 and avail; what describes the capacity for messages.
func specCount(s string, avail uint64, n int, what func() string) (int64, error) {
	c, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, specErr(n, "count", "%s is not a count (want a whole number of objects)", quoteShort(s))
	}
	if c < 1 {
		return 0, specErr(n, "count", "%d objects: the count must be at least 1", c)
	}
	if uint64(c) > avail {
		return 0, specErr(n, "count", "%d objects do not fit: %s", c, what())
	}
	return c, nil
}

func countText(n uint64) string {
	if n == math.MaxUint64 {
		return "more than 2^63"
	}
	return strconv.FormatUint(n, 10)
}

// pow2 is 2^k, saturated at math.MaxUint64 for k >= 64.
func pow2(k int) uint64 {
	if k >= 64 {
		return math.MaxUint64
	}
	return 1 << uint(k)
}

// hostSeq enumerates usable host addresses of a network: for IPv4 without the network and
// broadcast addresses (except in /31 and /32), for IPv6 without the subnet-router anycast
// address ::0 (except in /128).
type hostSeq struct {
	base  netip.Addr
	first uint64
	count int64
	v6    bool
}

func newHostSeq(cidr string, family int, count string, n int) (*hostSeq, error) {
	p, err := specCIDR(cidr, family, n)
	if err != nil {
		return nil, err
	}
	h := p.Addr().BitLen() - p.Bits()
	avail := pow2(h)
	first := uint64(0)
	switch {
	case p.Addr().Is4() && h >= 2:
		avail -= 2
		first = 1
	case p.Addr().Is6() && h >= 1:
		if avail != math.MaxUint64 {
			avail--
		}
		first = 1
	}
	c, err := specCount(count, avail, n, func() string {
		return sprintf("%s has %s usable addresses", p, countText(avail))
	})
	if err != nil {
		return nil, err
	}
	return &hostSeq{base: p.Addr(), first: first, count: c, v6: p.Addr().Is6()}, nil
}

func (h *hostSeq) addr(i int64) netip.Addr { return addrAdd(h.base, h.first+uint64(i), 0) }

// addrAdd returns a + (i << shift), wrapping within the address family.
func addrAdd(a netip.Addr, i uint64, shift uint) netip.Addr {
	hi, lo := shl128(i, shift)
	if a.Is4() {
		b := a.As4()
		v := binary.BigEndian.Uint32(b[:]) + uint32(lo)
		binary.BigEndian.PutUint32(b[:], v)
		return netip.AddrFrom4(b)
	}
	b := a.As16()
	ah, al := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	al, carry := bits.Add64(al, lo, 0)
	ah, _ = bits.Add64(ah, hi, carry)
	binary.BigEndian.PutUint64(b[:8], ah)
	binary.BigEndian.PutUint64(b[8:], al)
	return netip.AddrFrom16(b)
}

// shl128 returns i << s as a 128-bit (hi, lo) pair.
func shl128(i uint64, s uint) (hi, lo uint64) {
	switch {
	case s == 0:
		return 0, i
	case s < 64:
		return i >> (64 - s), i << s
	case s < 128:
		return i << (s - 64), 0
	}
	return 0, 0
}
