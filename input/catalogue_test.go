package input_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/turbowapi/turbowapi/input"
)

// collect reads r to its end, validates the objects read without error, and returns every
// error message (at most 20), checking that each error is a *RowError with a source and a
// line.
func collect(t *testing.T, r input.Reader) []string {
	t.Helper()
	v, err := input.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for i := 0; i < 10000; i++ {
		o, err := r.Next()
		if err == io.EOF {
			return msgs
		}
		if err == nil {
			err = v.Check(&o)
		}
		if err == nil {
			continue
		}
		var re *input.RowError
		if !errors.As(err, &re) {
			t.Fatalf("error %v (%T) is not a *RowError", err, err)
		}
		if re.Source == "" || re.Line < 1 {
			t.Errorf("error %q has no source or line", err)
		}
		if !re.Fatal && re.Ordinal != o.Pos.Ordinal {
			t.Errorf("error %q: ordinal %d, object ordinal %d", err, re.Ordinal, o.Pos.Ordinal)
		}
		if len(msgs) < 20 {
			msgs = append(msgs, err.Error())
		}
		if re.Fatal {
			if _, err := r.Next(); err != io.EOF {
				t.Errorf("after a fatal error Next returned %v, want io.EOF", err)
			}
			return msgs
		}
	}
	t.Fatal("reader did not end")
	return nil
}

// TestMalformedCatalogue is the catalogue of malformed inputs: each must be answered with
// the exact file:line messages listed, and good rows around bad ones must not be reported.
func TestMalformedCatalogue(t *testing.T) {
	t.Parallel()
	type tc struct {
		name   string
		source string // file name; its extension picks the format
		in     string
		typ    string // --type
		spec   bool   // in is a generator spec
		want   []string
		cat    error // category of the first error
	}
	const netHdr = "_type,network,comment\n"
	cases := []tc{
		// CSV structure
		{name: "csv too many columns", source: "n.csv", in: netHdr + "network,10.0.0.0/24,a\nnetwork,10.0.1.0/24,b,extra\n",
			want: []string{"n.csv:3: 4 fields, the header has 3"}, cat: input.ErrSyntax},
		{name: "csv too few columns", source: "n.csv", in: netHdr + "network,10.0.0.0/24\n",
			want: []string{"n.csv:2: 2 fields, the header has 3"}, cat: input.ErrSyntax},
		{name: "csv bare quote", source: "n.csv", in: netHdr + "network,10.0.0.0/24,say \"hi\"\nnetwork,10.0.1.0/24,ok\n",
			want: []string{`n.csv:2: bad quoting: a '"' inside an unquoted field (quote the field and double the '"')`}, cat: input.ErrSyntax},
		{name: "csv unclosed quote", source: "n.csv", in: netHdr + "network,10.0.0.0/24,ok\nnetwork,10.0.1.0/24,\"open\nnetwork,10.0.2.0/24,x\n",
			want: []string{`n.csv:3: bad quoting: a quoted field is not closed, or has a stray '"' (the record runs to line 4)`}, cat: input.ErrSyntax},
		{name: "csv bad utf-8 cell", source: "n.csv", in: netHdr + "network,10.0.0.0/24,caf\xe9\n",
			want: []string{"n.csv:2: comment: invalid UTF-8"}, cat: input.ErrSyntax},
		{name: "csv bad utf-8 header", source: "n.csv", in: "_type,netw\xffork\nnetwork,10.0.0.0/24\n",
			want: []string{"n.csv:1: column 2: header: invalid UTF-8"}, cat: input.ErrSyntax},
		{name: "csv empty input", source: "n.csv", in: "",
			want: []string{"n.csv:1: empty input: the first line must be a header naming WAPI fields"}, cat: input.ErrSyntax},
		{name: "csv empty header", source: "n.csv", in: ",,\nnetwork,10.0.0.0/24,x\n",
			want: []string{"n.csv:1: empty header: the first line must name WAPI fields"}, cat: input.ErrSyntax},
		{name: "csv empty column name", source: "n.csv", in: "_type,,comment\n",
			want: []string{"n.csv:1: column 2: header: empty column name"}, cat: input.ErrSyntax},
		{name: "csv repeated column", source: "n.csv", in: "_type,network,network\n",
			want: []string{"n.csv:1: network: header: column 3 repeats column 2"}, cat: input.ErrSyntax},
		{name: "csv unknown column for --type", source: "n.csv", typ: "network", in: "network,coment\n10.0.0.0/24,x\n",
			want: []string{`n.csv:1: coment: header: unknown field of network (did you mean "comment"?)`}, cat: input.ErrUnknownField},
		{name: "csv column of no type", source: "n.csv", in: "_type,netwrok\n",
			want: []string{`n.csv:1: netwrok: header: no supported type has this field (did you mean "network"?)`}, cat: input.ErrUnknownField},
		{name: "csv no type at all", source: "n.csv", in: "network,comment\n10.0.0.0/24,x\n",
			want: []string{"n.csv:1: header: no _type column and no default type (--type)"}, cat: input.ErrUnknownType},
		{name: "csv unknown type", source: "n.csv", in: netHdr + "netwrk,10.0.0.0/24,x\n",
			want: []string{`n.csv:2: _type: unknown object type "netwrk" (did you mean "network"?); supported: networkview, networkcontainer, ipv6networkcontainer, network, ipv6network, fixedaddress, zone_auth, record:a, record:aaaa, record:ptr, record:cname, record:host, record:txt, record:mx`}, cat: input.ErrUnknownType},
		{name: "csv empty type cell", source: "n.csv", in: netHdr + ",10.0.0.0/24,x\n",
			want: []string{"n.csv:2: _type: no object type: give it a _type or a default type (--type)"}, cat: input.ErrUnknownType},
		{name: "csv field of another type", source: "mixed.csv", in: "_type,name,ipv4addr,canonical\nrecord:a,a.example.com,10.0.0.1,\nrecord:a,b.example.com,10.0.0.2,c.example.com\n",
			want: []string{"mixed.csv:3: canonical: unknown field of record:a"}, cat: input.ErrUnknownField},
		{name: "csv record too large", source: "n.csv", in: netHdr + "network,10.0.0.0/24,\"" + strings.Repeat("x", 1<<20+10) + "\"\n",
			want: []string{"n.csv:2: record larger than 1048576 bytes"}, cat: input.ErrSyntax},
		// CSV values
		{name: "csv ttl not an integer", source: "a.csv", in: "_type,name,ipv4addr,ttl\nrecord:a,a.example.com,10.0.0.1,3600s\n",
			want: []string{`a.csv:2: ttl: want an integer, got "3600s"`}, cat: input.ErrValue},
		{name: "csv ttl out of range", source: "a.csv", in: "_type,name,ipv4addr,ttl\nrecord:a,a.example.com,10.0.0.1,-1\n",
			want: []string{"a.csv:2: ttl: -1 is out of range (0 to 4294967295)"}, cat: input.ErrValue},
		{name: "csv bad boolean", source: "a.csv", in: "_type,name,ipv4addr,disable\nrecord:a,a.example.com,10.0.0.1,yes\n",
			want: []string{`a.csv:2: disable: want true or false, got "yes"`}, cat: input.ErrValue},
		{name: "csv EA int column", source: "n.csv", in: "_type,network,EA-Floor:int\nnetwork,10.0.0.0/24,third\n",
			want: []string{`n.csv:2: EA-Floor:int: want an integer, got "third"`}, cat: input.ErrValue},
		{name: "csv host address entry", source: "h.csv", in: "_type,name,ipv4addrs\nrecord:host,h.example.com,10.0.0.1|mack=00:11:22:33:44:55\n",
			want: []string{`h.csv:2: ipv4addrs: entry 1: unknown field "mack" of a host address (did you mean "mac"?)`}, cat: input.ErrValue},
		{name: "csv duplicates", source: "n.csv", in: netHdr + "network,10.0.0.0/24,a\nnetwork,10.0.1.0/24,b\nnetwork,10.0.0.0/24,c\n",
			want: []string{"n.csv:4: duplicate of the network on line 2 (network=10.0.0.0/24 network_view=default)"}, cat: input.ErrDuplicate},
		{name: "csv duplicate record names differ in case", source: "a.csv", in: "_type,name,ipv4addr\nrecord:a,WWW.Example.com.,10.0.0.1\nrecord:a,www.example.com,10.0.0.1\n",
			want: []string{"a.csv:3: duplicate of the record:a on line 2 (name=www.example.com ipv4addr=10.0.0.1 view=default)"}, cat: input.ErrDuplicate},
		{name: "csv every bad row reported", source: "n.csv", in: netHdr + "network,10.0.0.0/24,ok\nnetwork,10.0.0.1/24,bad\nnetwork,10.0.2.0/24,ok\nnetwork,10.0.300.0/24,bad\nnetwork,,missing\n",
			want: []string{
				`n.csv:3: network: "10.0.0.1/24" has host bits set: the network is 10.0.0.0/24`,
				`n.csv:5: network: "10.0.300.0/24" is not a CIDR network such as 10.0.0.0/24`,
				"n.csv:6: network: required field of network is missing",
			}, cat: input.ErrValue},
		// addresses, networks, names (CSV and JSON)
		{name: "cidr without prefix", source: "n.csv", in: netHdr + "network,10.0.0.0,x\n",
			want: []string{`n.csv:2: network: "10.0.0.0" has no prefix length: want CIDR network such as 10.0.0.0/24`}, cat: input.ErrValue},
		{name: "ipv6 network in a network column", source: "n.csv", in: netHdr + "network,2001:db8::/64,x\n",
			want: []string{`n.csv:2: network: "2001:db8::/64" is an IPv6 network, want IPv4`}, cat: input.ErrValue},
		{name: "ipv6 network host bits", source: "n.jsonl", in: `{"_type":"ipv6network","network":"2001:db8::1/64"}` + "\n",
			want: []string{`n.jsonl:1: network: "2001:db8::1/64" has host bits set: the network is 2001:db8::/64`}, cat: input.ErrValue},
		{name: "bad ipv4 address", source: "a.csv", in: "_type,name,ipv4addr\nrecord:a,a.example.com,10.0.0.256\n",
			want: []string{`a.csv:2: ipv4addr: "10.0.0.256" is not an IPv4 address`}, cat: input.ErrValue},
		{name: "ipv6 address for record:a", source: "a.csv", in: "_type,name,ipv4addr\nrecord:a,a.example.com,2001:db8::1\n",
			want: []string{`a.csv:2: ipv4addr: "2001:db8::1" is an IPv6 address, want IPv4`}, cat: input.ErrValue},
		{name: "bad ipv6 address", source: "a.jsonl", in: `{"_type":"record:aaaa","name":"a.example.com","ipv6addr":"2001:db8::g"}` + "\n",
			want: []string{`a.jsonl:1: ipv6addr: "2001:db8::g" is not an IPv6 address`}, cat: input.ErrValue},
		{name: "next-available function", source: "a.jsonl", in: `{"_type":"record:a","name":"a.example.com","ipv4addr":"func:nextavailableip:10.0.0.0/24"}` + "\n",
			want: []string{`a.jsonl:1: ipv4addr: "func:nextavailableip:10.0.0.0/24": next-available allocation is not supported: the loader must know each object's address to find it again after a lost reply`}, cat: input.ErrValue},
		{name: "bad dns name", source: "c.csv", in: "_type,name,canonical\nrecord:cname,www..example.com,a.example.com\n",
			want: []string{`c.csv:2: name: "www..example.com" has an empty label`}, cat: input.ErrValue},
		{name: "dns name with a bad character", source: "c.csv", in: "_type,name,canonical\nrecord:cname,www.example.com,a b.example.com\n",
			want: []string{`c.csv:2: canonical: "a b.example.com" contains ' ', not allowed in a DNS name`}, cat: input.ErrValue},
		{name: "bad mac", source: "f.csv", in: "_type,ipv4addr,mac\nfixedaddress,10.0.0.5,00:11:22:33:44\n",
			want: []string{`f.csv:2: mac: "00:11:22:33:44" is not a MAC address (want six bytes such as 00:1a:2b:3c:4d:5e)`}, cat: input.ErrValue},
		{name: "bad enumeration", source: "z.csv", in: "_type,fqdn,zone_format\nzone_auth,example.com,FORWRD\n",
			want: []string{`z.csv:2: zone_format: "FORWRD" is not one of FORWARD, IPV4, IPV6 (did you mean "FORWARD"?)`}, cat: input.ErrValue},
		{name: "reverse zone without zone_format", source: "z.csv", in: "_type,fqdn\nzone_auth,10.0.0.0/24\n",
			want: []string{"z.csv:2: zone_format: the reverse zone 10.0.0.0/24 needs zone_format IPV4"}, cat: input.ErrValue},
		{name: "host without addresses", source: "h.jsonl", in: `{"_type":"record:host","name":"h.example.com","ipv4addrs":[]}` + "\n",
			want: []string{"h.jsonl:1: ipv4addrs: record:host needs one of ipv4addrs, ipv6addrs"}, cat: input.ErrMissingField},
		{name: "comment too long", source: "n.jsonl", in: `{"_type":"network","network":"10.0.0.0/24","comment":"` + strings.Repeat("é", 257) + `"}` + "\n",
			want: []string{"n.jsonl:1: comment: comment is 257 characters long, at most 256 are allowed"}, cat: input.ErrValue},
		// JSON arrays
		{name: "json truncated element", source: "n.json", in: "[\n  {\"_type\": \"network\", \"network\": \"10.0.0.0/24\"},\n  {\"_type\": \"network\",\n   \"network\": \"10.0",
			want: []string{"n.json:3: truncated JSON: the input ends inside the object that starts here"}, cat: input.ErrSyntax},
		{name: "json array not closed", source: "n.json", in: "[\n  {\"_type\": \"network\", \"network\": \"10.0.0.0/24\"}\n\n",
			want: []string{"n.json:3: truncated JSON: the array is not closed with ']'"}, cat: input.ErrSyntax},
		{name: "json syntax error line", source: "n.json", in: "[\n {\"_type\": \"network\",\n  \"network\" \"10.0.0.0/24\"}\n]\n",
			want: []string{"n.json:3: invalid JSON: invalid character '\"' after object key"}, cat: input.ErrSyntax},
		{name: "json element not an object", source: "n.json", in: "[\n \"10.0.0.0/24\",\n {\"_type\": \"network\", \"network\": \"10.0.1.0/24\"},\n null\n]\n",
			want: []string{"n.json:2: want a JSON object, got a JSON string", "n.json:4: want a JSON object, got null"}, cat: input.ErrSyntax},
		{name: "json top level not an array", source: "n.json", in: "\n\n42\n",
			want: []string{"n.json:3: want a JSON array of objects, got a number"}, cat: input.ErrSyntax},
		{name: "json data after the array", source: "n.json", in: "[]\n[]\n",
			want: []string{"n.json:2: unexpected data after the JSON array: ["}, cat: input.ErrSyntax},
		{name: "json empty", source: "n.json", in: " \n",
			want: []string{"n.json:2: empty input: want a JSON array of objects"}, cat: input.ErrSyntax},
		{name: "json type not text", source: "n.json", in: "[{\"_type\": 4, \"network\": \"10.0.0.0/24\"}]",
			want: []string{"n.json:1: _type: want the object type as text, got number 4"}, cat: input.ErrSyntax},
		{name: "json ttl as text", source: "a.json", in: "[{\"_type\": \"record:a\", \"name\": \"a.example.com\", \"ipv4addr\": \"10.0.0.1\", \"ttl\": \"300\"}]",
			want: []string{`a.json:1: ttl: want an integer, got text "300"`}, cat: input.ErrValue},
		{name: "json host addresses as text", source: "h.json", in: "[{\"_type\": \"record:host\", \"name\": \"h.example.com\", \"ipv4addrs\": \"10.0.0.1\"}]",
			want: []string{`h.json:1: ipv4addrs: want a list of objects such as {"ipv4addr": ...}, got text "10.0.0.1"`}, cat: input.ErrValue},
		{name: "json nested field", source: "h.json", in: "[{\"_type\": \"record:host\", \"name\": \"h.example.com\", \"ipv4addrs\": [{\"ipv4addr\": \"10.0.0.1\"}, {\"ipv4addr\": \"10.0.0.2\", \"configure_for_dhcp\": \"yes\"}]}]",
			want: []string{`h.json:1: ipv4addrs[1].configure_for_dhcp: want true or false, got text "yes"`}, cat: input.ErrValue},
		{name: "json extattrs shape", source: "n.json", in: "[{\"_type\": \"network\", \"network\": \"10.0.0.0/24\", \"extattrs\": {\"Site\": \"East\"}}]",
			want: []string{`n.json:1: extattrs.Site: want {"value": ...}, got text "East"`}, cat: input.ErrValue},
		{name: "json unknown field", source: "n.json", in: "[\n{\"_type\": \"network\", \"network\": \"10.0.0.0/24\", \"coment\": \"x\"}\n]",
			want: []string{`n.json:2: coment: unknown field of network (did you mean "comment"?)`}, cat: input.ErrUnknownField},
		{name: "json null value", source: "n.json", in: "[{\"_type\": \"network\", \"network\": \"10.0.0.0/24\", \"comment\": null}]",
			want: []string{"n.json:1: comment: null is not a value (leave the field out)"}, cat: input.ErrValue},
		{name: "json bad utf-8", source: "n.json", in: "[{\"_type\": \"network\", \"network\": \"10.0.0.0/24\", \"comment\": \"caf\xe9\"}]",
			want: []string{"n.json:1: invalid UTF-8"}, cat: input.ErrSyntax},
		// JSON lines
		{name: "jsonl bad line then good", source: "n.jsonl", in: "{\"_type\":\"network\",\"network\":\"10.0.0.0/24\"}\n{\"_type\":\"network\",\"network\":}\n{\"_type\":\"network\",\"network\":\"10.0.1.0/24\"}\n",
			want: []string{"n.jsonl:2: invalid JSON: invalid character '}' looking for beginning of value"}, cat: input.ErrSyntax},
		{name: "jsonl truncated last line", source: "n.jsonl", in: "{\"_type\":\"network\",\"network\":\"10.0.0.0/24\"}\n\n{\"_type\":\"network\",\"netw",
			want: []string{"n.jsonl:3: truncated JSON: the line ends inside the object"}, cat: input.ErrSyntax},
		{name: "jsonl array line", source: "n.jsonl", in: "[{\"_type\":\"network\",\"network\":\"10.0.0.0/24\"}]\n",
			want: []string{"n.jsonl:1: want a JSON object, got a JSON array"}, cat: input.ErrSyntax},
		{name: "jsonl line too long", source: "n.jsonl", in: "{\"comment\":\"" + strings.Repeat("x", 1<<20) + "\"}\n{\"_type\":\"network\",\"network\":\"10.0.0.0/24\"}\n",
			want: []string{"n.jsonl:1: line longer than 1048576 bytes"}, cat: input.ErrSyntax},
		// generator specs
		{name: "gen count zero", spec: true, in: "network 10.0.0.0/8 /24 0",
			want: []string{"generate:1: count: 0 objects: the count must be at least 1"}, cat: input.ErrSpec},
		{name: "gen count too large", spec: true, in: "network 10.0.0.0/16 /24 257",
			want: []string{"generate:1: count: 257 objects do not fit: 10.0.0.0/16 has 256 subnets /24"}, cat: input.ErrSpec},
		{name: "gen prefix shorter than parent", spec: true, in: "network 10.0.0.0/16 /8 1",
			want: []string{"generate:1: prefix: /8 is shorter than the parent 10.0.0.0/16"}, cat: input.ErrSpec},
		{name: "gen bad cidr", spec: true, in: "network 10.0.0/8 /24 4",
			want: []string{`generate:1: cidr: "10.0.0/8" is not a CIDR network such as 10.0.0.0/24`}, cat: input.ErrSpec},
		{name: "gen parent host bits", spec: true, in: "networkcontainer 10.1.2.3/8 /16 4",
			want: []string{`generate:1: cidr: "10.1.2.3/8" has host bits set: the network is 10.0.0.0/8`}, cat: input.ErrSpec},
		{name: "gen ipv6 parent for network", spec: true, in: "network 2001:db8::/32 /64 4",
			want: []string{`generate:1: cidr: "2001:db8::/32" is an IPv6 network, want IPv4`}, cat: input.ErrSpec},
		{name: "gen too many records", spec: true, in: "zone_auth example.com; record:a example.com 10.0.0.0/24 255",
			want: []string{"generate:2: count: 255 objects do not fit: 10.0.0.0/24 has 254 usable addresses"}, cat: input.ErrSpec},
		{name: "gen unknown type", spec: true, in: "record:aa example.com 10.0.0.0/24 5",
			want: []string{`generate:1: type: unknown object type "record:aa" (did you mean "record:a"?); supported: networkview, networkcontainer, ipv6networkcontainer, network, ipv6network, fixedaddress, zone_auth, record:a, record:aaaa, record:ptr, record:cname, record:host, record:txt, record:mx`}, cat: input.ErrSpec},
		{name: "gen unknown field", spec: true, in: "network 10.0.0.0/8 /24 4 vew=x",
			want: []string{`generate:1: vew: unknown field of network`}, cat: input.ErrSpec},
		{name: "gen generated field set", spec: true, in: "record:a example.com 10.0.0.0/24 4 ipv4addr=10.0.0.1",
			want: []string{"generate:1: ipv4addr: the generator sets ipv4addr itself"}, cat: input.ErrSpec},
		{name: "gen arguments missing", spec: true, in: "network 10.0.0.0/8 1024",
			want: []string{"generate:1: 2 arguments, want network CIDR /PREFIX COUNT"}, cat: input.ErrSpec},
		{name: "gen count not a number", spec: true, in: "record:cname example.com many",
			want: []string{`generate:1: count: "many" is not a count (want a whole number of objects)`}, cat: input.ErrSpec},
		{name: "gen bad zone", spec: true, in: "zone_auth -example.com 3",
			want: []string{`generate:1: fqdn: "-example.com" has a label starting or ending with '-'`}, cat: input.ErrSpec},
		{name: "gen unclosed quote", spec: true, in: `network 10.0.0.0/8 /24 4 comment="lab`,
			want: []string{"generate:1: a double quote is not closed"}, cat: input.ErrSpec},
		{name: "gen bad field value", spec: true, in: "record:a example.com 10.0.0.0/24 4 ttl=long",
			want: []string{`generate:1: ttl: want an integer, got "long"`}, cat: input.ErrSpec},
		{name: "gen empty", spec: true, in: "  ",
			want: []string{`generate:1: empty generator spec; want for example "network 10.0.0.0/8 /24 1024"`}, cat: input.ErrSpec},
	}
	if len(cases) < 30 {
		t.Fatalf("catalogue has %d cases, want at least 30", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			var first error
			if c.spec {
				g, err := input.NewGenerator(c.in)
				if err == nil {
					t.Fatalf("spec %q accepted", c.in)
				}
				var re *input.RowError
				if !errors.As(err, &re) || re.Line < 1 || re.Source != input.GeneratorSource {
					t.Fatalf("spec error %v (%T) lacks a source or line", err, err)
				}
				_ = g
				got, first = []string{err.Error()}, err
			} else {
				var opts []input.Option
				if c.typ != "" {
					opts = append(opts, input.WithType(c.typ))
				}
				r, err := input.NewReader(strings.NewReader(c.in), c.source, input.FormatOf(c.source), opts...)
				if err != nil {
					t.Fatal(err)
				}
				got = collect(t, r)
				first = firstErr(t, c.in, c.source, c.typ)
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("messages:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			if !errors.Is(first, c.cat) {
				t.Errorf("first error %v is not in category %v", first, c.cat)
			}
		})
	}
}

// firstErr reads the input again and returns its first error (from the reader or the
// validator).
func firstErr(t *testing.T, in, source, typ string) error {
	var opts []input.Option
	if typ != "" {
		opts = append(opts, input.WithType(typ))
	}
	r, err := input.NewReader(strings.NewReader(in), source, input.FormatOf(source), opts...)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := input.NewValidator()
	for {
		o, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err == nil {
			err = v.Check(&o)
		}
		if err != nil {
			return err
		}
	}
}
