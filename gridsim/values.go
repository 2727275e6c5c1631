package gridsim

import (
	"encoding/json"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// repr renders a request value for an error message: JSON, as the grid prints it.
func repr(v any) string {
	s := string(appendCanonical(nil, v))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// asString accepts a JSON string.
func asString(fd *fieldDef, v any) (string, *apiError) {
	s, ok := v.(string)
	if !ok {
		return "", invalidValue(fd.name, repr(v), "Must be string type")
	}
	return s, nil
}

// normalize checks a written value against its field's kind and returns its canonical stored
// form. form is true when the body was form-encoded, so every value arrives as a string.
func (s *store) normalize(fd *fieldDef, v any, form bool) (string, *apiError) {
	switch fd.kind {
	case kString:
		str, err := asString(fd, v)
		if err != nil {
			return "", err
		}
		return string(appendQuoted(nil, str)), nil
	case kComment:
		str, err := asString(fd, v)
		if err != nil {
			return "", err
		}
		if len([]rune(str)) > 256 {
			return "", invalidValue(fd.name, repr(v), "Maximum length is 256 characters")
		}
		if str != strings.TrimSpace(str) {
			return "", invalidValue(fd.name, repr(v), "Leading or trailing white space is not allowed")
		}
		return string(appendQuoted(nil, str)), nil
	case kFQDN:
		str, err := asString(fd, v)
		if err != nil {
			return "", err
		}
		n, ok := normName(str)
		if !ok {
			return "", invalidValue(fd.name, repr(v), "Invalid DNS name")
		}
		return string(appendQuoted(nil, n)), nil
	case kZoneName:
		str, err := asString(fd, v)
		if err != nil {
			return "", err
		}
		if strings.Contains(str, "/") {
			p, perr := netip.ParsePrefix(str)
			if perr != nil || p != p.Masked() || (p.Addr().Is4() && (p.Bits()%8 != 0 || p.Bits() == 0)) ||
				(!p.Addr().Is4() && (p.Bits()%4 != 0 || p.Bits() == 0)) {
				return "", invalidValue(fd.name, repr(v), "Invalid reverse zone network")
			}
			return string(appendQuoted(nil, p.String())), nil
		}
		n, ok := normName(str)
		if !ok {
			return "", invalidValue(fd.name, repr(v), "Invalid DNS name")
		}
		return string(appendQuoted(nil, n)), nil
	case kBool:
		switch x := v.(type) {
		case bool:
			if x {
				return "true", nil
			}
			return "false", nil
		case string:
			if form {
				switch strings.ToLower(x) {
				case "true", "1":
					return "true", nil
				case "false", "0":
					return "false", nil
				}
			}
		}
		return "", invalidValue(fd.name, repr(v), "Must be boolean type")
	case kUint:
		var str string
		switch x := v.(type) {
		case json.Number:
			str = x.String()
		case string:
			if form {
				str = x
			}
		}
		n, err := strconv.ParseUint(str, 10, 32)
		if err != nil {
			return "", invalidValue(fd.name, repr(v), "Must be unsigned integer type")
		}
		return strconv.FormatUint(n, 10), nil
	case kCIDR4, kCIDR6:
		str, err := asString(fd, v)
		if err != nil {
			return "", err
		}
		p, perr := netip.ParsePrefix(str)
		if perr != nil || p.Addr().Zone() != "" {
			return "", invalidValue(fd.name, repr(v), "Invalid network")
		}
		if (fd.kind == kCIDR4) != p.Addr().Is4() || p.Addr().Is4In6() {
			fam := "IPv4"
			if fd.kind == kCIDR6 {
				fam = "IPv6"
			}
			return "", invalidValue(fd.name, repr(v), "Must be an "+fam+" network")
		}
		if p != p.Masked() {
			return "", invalidValue(fd.name, repr(v), "Invalid network: host bits are set")
		}
		return string(appendQuoted(nil, p.String())), nil
	case kIPv4, kIPv6:
		str, err := asString(fd, v)
		if err != nil {
			return "", err
		}
		a, perr := netip.ParseAddr(str)
		if perr != nil || a.Zone() != "" || (fd.kind == kIPv4) != a.Is4() || a.Is4In6() {
			fam := "IPv4"
			if fd.kind == kIPv6 {
				fam = "IPv6"
			}
			return "", invalidValue(fd.name, repr(v), "Must be a valid "+fam+" address")
		}
		return string(appendQuoted(nil, a.String())), nil
	case kMAC:
		str, err := asString(fd, v)
		if err != nil {
			return "", err
		}
		if str == "" {
			return "", nil // unset
		}
		m, ok := normMAC(str)
		if !ok {
			return "", invalidValue(fd.name, repr(v), "Invalid MAC address")
		}
		return string(appendQuoted(nil, m)), nil
	case kNetView:
		str, err := asString(fd, v)
		if err != nil {
			return "", err
		}
		id, ok := s.netViewNames[str]
		if !ok {
			return "", notFoundErr("Network View %s not found", str)
		}
		return strconv.FormatUint(uint64(id), 10), nil
	case kDNSView:
		str, err := asString(fd, v)
		if err != nil {
			return "", err
		}
		id, ok := s.dnsViewNames[str]
		if !ok {
			return "", notFoundErr("View %s not found", str)
		}
		return strconv.FormatUint(uint64(id), 10), nil
	case kEA:
		ea, err := normEA(fd.name, v)
		if err != nil {
			return "", err
		}
		if len(ea) == 0 {
			return "", nil
		}
		return string(appendCanonical(nil, ea)), nil
	case kStrList:
		list, ok := v.([]any)
		if !ok {
			return "", invalidValue(fd.name, repr(v), "Must be list type")
		}
		for _, e := range list {
			if _, ok := e.(string); !ok {
				return "", invalidValue(fd.name, repr(v), "Must be a list of strings")
			}
		}
		return string(appendCanonical(nil, list)), nil
	case kHostAddr4, kHostAddr6:
		return s.normHostAddrs(fd, v)
	case kAny:
		return string(appendCanonical(nil, v)), nil
	}
	return "", notWritable(fd.name)
}

// normName lower-cases a DNS name and drops a trailing dot; it rejects empty labels, labels
// over 63 characters, names over 253 and characters outside letters, digits, '-', '_' and
// a leading '*'.
func normName(s string) (string, bool) {
	s = strings.TrimSuffix(strings.ToLower(s), ".")
	if s == "" || len(s) > 253 {
		return "", false
	}
	for i, l := range strings.Split(s, ".") {
		if l == "" || len(l) > 63 {
			return "", false
		}
		if l == "*" && i == 0 {
			continue
		}
		for j := 0; j < len(l); j++ {
			c := l[j]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return "", false
			}
		}
	}
	return s, true
}

func normMAC(s string) (string, bool) {
	hw, err := net.ParseMAC(s)
	if err != nil || len(hw) != 6 {
		return "", false
	}
	return hw.String(), true
}

// normEA checks {"Name": {"value": v}} (v a string, a number or a list of them) and returns it
// with only the values kept.
func normEA(field string, v any) (map[string]any, *apiError) {
	if v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, invalidValue(field, repr(v), "Must be object type")
	}
	out := make(map[string]any, len(m))
	for name, ev := range m {
		if name == "" {
			return nil, invalidValue(field, repr(v), "Empty extensible attribute name")
		}
		em, ok := ev.(map[string]any)
		if !ok {
			return nil, invalidValue(field, repr(v), "Extensible attribute values must be objects with a value")
		}
		val, ok := em["value"]
		if !ok {
			if field == "extattrs-" {
				out[name] = map[string]any{}
				continue
			}
			return nil, invalidValue(field, repr(v), "Extensible attribute "+name+" has no value")
		}
		switch x := val.(type) {
		case string, json.Number:
		case []any:
			for _, e := range x {
				switch e.(type) {
				case string, json.Number:
				default:
					return nil, invalidValue(field, repr(v), "Invalid value for extensible attribute "+name)
				}
			}
		default:
			return nil, invalidValue(field, repr(v), "Invalid value for extensible attribute "+name)
		}
		out[name] = map[string]any{"value": val}
	}
	return out, nil
}

func eaNamesOf(raw string) []string {
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(raw), &m) != nil {
		return nil
	}
	return sortedKeys(m)
}

// eaValues returns the values (as strings) of extensible attribute name in raw.
func eaValues(raw, name string) ([]string, bool) {
	var m map[string]struct {
		Value any `json:"value"`
	}
	d := json.NewDecoder(strings.NewReader(raw))
	d.UseNumber()
	if d.Decode(&m) != nil {
		return nil, false
	}
	e, ok := m[name]
	if !ok {
		return nil, false
	}
	switch x := e.Value.(type) {
	case string:
		return []string{x}, true
	case json.Number:
		return []string{x.String()}, true
	case []any:
		out := make([]string, 0, len(x))
		for _, v := range x {
			switch y := v.(type) {
			case string:
				out = append(out, y)
			case json.Number:
				out = append(out, y.String())
			}
		}
		return out, true
	}
	return nil, true
}

// hostAddr is one address of a host record.
type hostAddr struct {
	addr string
	opts map[string]any // the stored object (ipv4addr/ipv6addr, mac, configure_for_dhcp...)
}

func hostAddrs(raw string) []hostAddr {
	var list []map[string]any
	d := json.NewDecoder(strings.NewReader(raw))
	d.UseNumber()
	if d.Decode(&list) != nil {
		return nil
	}
	out := make([]hostAddr, 0, len(list))
	for _, m := range list {
		a, _ := m["ipv4addr"].(string)
		if a == "" {
			a, _ = m["ipv6addr"].(string)
		}
		out = append(out, hostAddr{addr: a, opts: m})
	}
	return out
}

// normHostAddrs checks a host's address list. Addresses given as func:nextavailableip were
// resolved before this point.
func (s *store) normHostAddrs(fd *fieldDef, v any) (string, *apiError) {
	list, ok := v.([]any)
	if !ok {
		return "", invalidValue(fd.name, repr(v), "Must be list type")
	}
	af, kindAddr := "ipv4addr", kIPv4
	if fd.kind == kHostAddr6 {
		af, kindAddr = "ipv6addr", kIPv6
	}
	out := make([]any, 0, len(list))
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return "", invalidValue(fd.name, repr(v), "Must be a list of objects")
		}
		c := make(map[string]any, len(m))
		for k, x := range m {
			switch k {
			case af:
				r, err := s.normalize(&fieldDef{name: af, kind: kindAddr}, x, false)
				if err != nil {
					return "", err
				}
				c[k] = unquote(r)
			case "mac":
				str, _ := x.(string)
				if str == "" {
					continue // clients send an empty MAC for "none"
				}
				mac, ok := normMAC(str)
				if !ok {
					return "", invalidValue("mac", repr(x), "Invalid MAC address")
				}
				c[k] = mac
			case "configure_for_dhcp", "use_for_ea_inheritance":
				b, ok := x.(bool)
				if !ok {
					return "", invalidValue(k, repr(x), "Must be boolean type")
				}
				c[k] = b
			case "_ref", "host":
				// echoed back by clients that read then write; ignored.
			default:
				c[k] = x
			}
		}
		if _, ok := c[af]; !ok {
			return "", missingField(af)
		}
		out = append(out, c)
	}
	return string(appendCanonical(nil, out)), nil
}
