// Package badinput is the catalogue of malformed inputs: each case is an input (a file's
// name and content, or a generator spec) and the exact file:line messages the readers and the
// validator give for it. Package input tests its readers against it, and cmd/turbowapi runs
// every case through "turbowapi load" to check that the command reports the same messages,
// exits with status 2 and sends nothing to the grid.
package badinput

import (
	"strings"

	"github.com/turbowapi/turbowapi/input"
)

// Case is one malformed input.
type Case struct {
	Name   string
	Source string // the file's name; its extension picks the format
	In     string // the file's content, or the generator spec when Spec is set
	Type   string // default object type (--type), if any
	Spec   bool   // In is a generator spec (--generate)
	// Want are the messages, in order, of the readers and the validator (with
	// duplicate detection on).
	Want []string
	// Cat is the category (input's sentinel error) of the first error.
	Cat error
}

// Cases returns the catalogue (a new slice on every call).
func Cases() []Case {
	const netHdr = "_type,network,comment\n"
	return []Case{
		// CSV structure
		{Name: "csv too many columns", Source: "n.csv", In: netHdr + "network,10.0.0.0/24,a\nnetwork,10.0.1.0/24,b,extra\n",
			Want: []string{"n.csv:3: 4 fields, the header has 3"}, Cat: input.ErrSyntax},
		{Name: "csv too few columns", Source: "n.csv", In: netHdr + "network,10.0.0.0/24\n",
			Want: []string{"n.csv:2: 2 fields, the header has 3"}, Cat: input.ErrSyntax},
		{Name: "csv bare quote", Source: "n.csv", In: netHdr + "network,10.0.0.0/24,say \"hi\"\nnetwork,10.0.1.0/24,ok\n",
			Want: []string{`n.csv:2: bad quoting: a '"' inside an unquoted field (quote the field and double the '"')`}, Cat: input.ErrSyntax},
		{Name: "csv unclosed quote", Source: "n.csv", In: netHdr + "network,10.0.0.0/24,ok\nnetwork,10.0.1.0/24,\"open\nnetwork,10.0.2.0/24,x\n",
			Want: []string{`n.csv:3: bad quoting: a quoted field is not closed, or has a stray '"' (the record runs to line 4)`}, Cat: input.ErrSyntax},
		{Name: "csv bad utf-8 cell", Source: "n.csv", In: netHdr + "network,10.0.0.0/24,caf\xe9\n",
			Want: []string{"n.csv:2: comment: invalid UTF-8"}, Cat: input.ErrSyntax},
		{Name: "csv bad utf-8 header", Source: "n.csv", In: "_type,netw\xffork\nnetwork,10.0.0.0/24\n",
			Want: []string{"n.csv:1: column 2: header: invalid UTF-8"}, Cat: input.ErrSyntax},
		{Name: "csv empty input", Source: "n.csv", In: "",
			Want: []string{"n.csv:1: empty input: the first line must be a header naming WAPI fields"}, Cat: input.ErrSyntax},
		{Name: "csv empty header", Source: "n.csv", In: ",,\nnetwork,10.0.0.0/24,x\n",
			Want: []string{"n.csv:1: empty header: the first line must name WAPI fields"}, Cat: input.ErrSyntax},
		{Name: "csv empty column name", Source: "n.csv", In: "_type,,comment\n",
			Want: []string{"n.csv:1: column 2: header: empty column name"}, Cat: input.ErrSyntax},
		{Name: "csv repeated column", Source: "n.csv", In: "_type,network,network\n",
			Want: []string{"n.csv:1: network: header: column 3 repeats column 2"}, Cat: input.ErrSyntax},
		{Name: "csv unknown column for --type", Source: "n.csv", Type: "network", In: "network,coment\n10.0.0.0/24,x\n",
			Want: []string{`n.csv:1: coment: header: unknown field of network (did you mean "comment"?)`}, Cat: input.ErrUnknownField},
		{Name: "csv column of no type", Source: "n.csv", In: "_type,netwrok\n",
			Want: []string{`n.csv:1: netwrok: header: no supported type has this field (did you mean "network"?)`}, Cat: input.ErrUnknownField},
		{Name: "csv no type at all", Source: "n.csv", In: "network,comment\n10.0.0.0/24,x\n",
			Want: []string{"n.csv:1: header: no _type column and no default type (--type)"}, Cat: input.ErrUnknownType},
		{Name: "csv unknown type", Source: "n.csv", In: netHdr + "netwrk,10.0.0.0/24,x\n",
			Want: []string{`n.csv:2: _type: unknown object type "netwrk" (did you mean "network"?); supported: networkview, networkcontainer, ipv6networkcontainer, network, ipv6network, fixedaddress, zone_auth, record:a, record:aaaa, record:ptr, record:cname, record:host, record:txt, record:mx`}, Cat: input.ErrUnknownType},
		{Name: "csv empty type cell", Source: "n.csv", In: netHdr + ",10.0.0.0/24,x\n",
			Want: []string{"n.csv:2: _type: no object type: give it a _type or a default type (--type)"}, Cat: input.ErrUnknownType},
		{Name: "csv field of another type", Source: "mixed.csv", In: "_type,name,ipv4addr,canonical\nrecord:a,a.example.com,10.0.0.1,\nrecord:a,b.example.com,10.0.0.2,c.example.com\n",
			Want: []string{"mixed.csv:3: canonical: unknown field of record:a"}, Cat: input.ErrUnknownField},
		{Name: "csv record too large", Source: "n.csv", In: netHdr + "network,10.0.0.0/24,\"" + strings.Repeat("x", 1<<20+10) + "\"\n",
			Want: []string{"n.csv:2: record larger than 1048576 bytes"}, Cat: input.ErrSyntax},
		// CSV values
		{Name: "csv ttl not an integer", Source: "a.csv", In: "_type,name,ipv4addr,ttl\nrecord:a,a.example.com,10.0.0.1,3600s\n",
			Want: []string{`a.csv:2: ttl: want an integer, got "3600s"`}, Cat: input.ErrValue},
		{Name: "csv ttl out of range", Source: "a.csv", In: "_type,name,ipv4addr,ttl\nrecord:a,a.example.com,10.0.0.1,-1\n",
			Want: []string{"a.csv:2: ttl: -1 is out of range (0 to 4294967295)"}, Cat: input.ErrValue},
		{Name: "csv bad boolean", Source: "a.csv", In: "_type,name,ipv4addr,disable\nrecord:a,a.example.com,10.0.0.1,yes\n",
			Want: []string{`a.csv:2: disable: want true or false, got "yes"`}, Cat: input.ErrValue},
		{Name: "csv EA int column", Source: "n.csv", In: "_type,network,EA-Floor:int\nnetwork,10.0.0.0/24,third\n",
			Want: []string{`n.csv:2: EA-Floor:int: want an integer, got "third"`}, Cat: input.ErrValue},
		{Name: "csv host address entry", Source: "h.csv", In: "_type,name,ipv4addrs\nrecord:host,h.example.com,10.0.0.1|mack=00:11:22:33:44:55\n",
			Want: []string{`h.csv:2: ipv4addrs: entry 1: unknown field "mack" of a host address (did you mean "mac"?)`}, Cat: input.ErrValue},
		{Name: "csv duplicates", Source: "n.csv", In: netHdr + "network,10.0.0.0/24,a\nnetwork,10.0.1.0/24,b\nnetwork,10.0.0.0/24,c\n",
			Want: []string{"n.csv:4: duplicate of the network on line 2 (network=10.0.0.0/24 network_view=default)"}, Cat: input.ErrDuplicate},
		{Name: "csv duplicate record names differ in case", Source: "a.csv", In: "_type,name,ipv4addr\nrecord:a,WWW.Example.com.,10.0.0.1\nrecord:a,www.example.com,10.0.0.1\n",
			Want: []string{"a.csv:3: duplicate of the record:a on line 2 (name=www.example.com ipv4addr=10.0.0.1 view=default)"}, Cat: input.ErrDuplicate},
		{Name: "csv every bad row reported", Source: "n.csv", In: netHdr + "network,10.0.0.0/24,ok\nnetwork,10.0.0.1/24,bad\nnetwork,10.0.2.0/24,ok\nnetwork,10.0.300.0/24,bad\nnetwork,,missing\n",
			Want: []string{
				`n.csv:3: network: "10.0.0.1/24" has host bits set: the network is 10.0.0.0/24`,
				`n.csv:5: network: "10.0.300.0/24" is not a CIDR network such as 10.0.0.0/24`,
				"n.csv:6: network: required field of network is missing",
			}, Cat: input.ErrValue},
		// addresses, networks, names (CSV and JSON)
		{Name: "cidr without prefix", Source: "n.csv", In: netHdr + "network,10.0.0.0,x\n",
			Want: []string{`n.csv:2: network: "10.0.0.0" has no prefix length: want CIDR network such as 10.0.0.0/24`}, Cat: input.ErrValue},
		{Name: "ipv6 network in a network column", Source: "n.csv", In: netHdr + "network,2001:db8::/64,x\n",
			Want: []string{`n.csv:2: network: "2001:db8::/64" is an IPv6 network, want IPv4`}, Cat: input.ErrValue},
		{Name: "ipv6 network host bits", Source: "n.jsonl", In: `{"_type":"ipv6network","network":"2001:db8::1/64"}` + "\n",
			Want: []string{`n.jsonl:1: network: "2001:db8::1/64" has host bits set: the network is 2001:db8::/64`}, Cat: input.ErrValue},
		{Name: "bad ipv4 address", Source: "a.csv", In: "_type,name,ipv4addr\nrecord:a,a.example.com,10.0.0.256\n",
			Want: []string{`a.csv:2: ipv4addr: "10.0.0.256" is not an IPv4 address`}, Cat: input.ErrValue},
		{Name: "ipv6 address for record:a", Source: "a.csv", In: "_type,name,ipv4addr\nrecord:a,a.example.com,2001:db8::1\n",
			Want: []string{`a.csv:2: ipv4addr: "2001:db8::1" is an IPv6 address, want IPv4`}, Cat: input.ErrValue},
		{Name: "bad ipv6 address", Source: "a.jsonl", In: `{"_type":"record:aaaa","name":"a.example.com","ipv6addr":"2001:db8::g"}` + "\n",
			Want: []string{`a.jsonl:1: ipv6addr: "2001:db8::g" is not an IPv6 address`}, Cat: input.ErrValue},
		{Name: "next-available function", Source: "a.jsonl", In: `{"_type":"record:a","name":"a.example.com","ipv4addr":"func:nextavailableip:10.0.0.0/24"}` + "\n",
			Want: []string{`a.jsonl:1: ipv4addr: "func:nextavailableip:10.0.0.0/24": next-available allocation is not supported: the loader must know each object's address to find it again after a lost reply`}, Cat: input.ErrValue},
		{Name: "bad dns name", Source: "c.csv", In: "_type,name,canonical\nrecord:cname,www..example.com,a.example.com\n",
			Want: []string{`c.csv:2: name: "www..example.com" has an empty label`}, Cat: input.ErrValue},
		{Name: "dns name with a bad character", Source: "c.csv", In: "_type,name,canonical\nrecord:cname,www.example.com,a b.example.com\n",
			Want: []string{`c.csv:2: canonical: "a b.example.com" contains ' ', not allowed in a DNS name`}, Cat: input.ErrValue},
		{Name: "bad mac", Source: "f.csv", In: "_type,ipv4addr,mac\nfixedaddress,10.0.0.5,00:11:22:33:44\n",
			Want: []string{`f.csv:2: mac: "00:11:22:33:44" is not a MAC address (want six bytes such as 00:1a:2b:3c:4d:5e)`}, Cat: input.ErrValue},
		{Name: "bad enumeration", Source: "z.csv", In: "_type,fqdn,zone_format\nzone_auth,example.com,FORWRD\n",
			Want: []string{`z.csv:2: zone_format: "FORWRD" is not one of FORWARD, IPV4, IPV6 (did you mean "FORWARD"?)`}, Cat: input.ErrValue},
		{Name: "reverse zone without zone_format", Source: "z.csv", In: "_type,fqdn\nzone_auth,10.0.0.0/24\n",
			Want: []string{"z.csv:2: zone_format: the reverse zone 10.0.0.0/24 needs zone_format IPV4"}, Cat: input.ErrValue},
		{Name: "host without addresses", Source: "h.jsonl", In: `{"_type":"record:host","name":"h.example.com","ipv4addrs":[]}` + "\n",
			Want: []string{"h.jsonl:1: ipv4addrs: record:host needs one of ipv4addrs, ipv6addrs"}, Cat: input.ErrMissingField},
		{Name: "comment too long", Source: "n.jsonl", In: `{"_type":"network","network":"10.0.0.0/24","comment":"` + strings.Repeat("é", 257) + `"}` + "\n",
			Want: []string{"n.jsonl:1: comment: comment is 257 characters long, at most 256 are allowed"}, Cat: input.ErrValue},
		// JSON arrays
		{Name: "json truncated element", Source: "n.json", In: "[\n  {\"_type\": \"network\", \"network\": \"10.0.0.0/24\"},\n  {\"_type\": \"network\",\n   \"network\": \"10.0",
			Want: []string{"n.json:3: truncated JSON: the input ends inside the object that starts here"}, Cat: input.ErrSyntax},
		{Name: "json array not closed", Source: "n.json", In: "[\n  {\"_type\": \"network\", \"network\": \"10.0.0.0/24\"}\n\n",
			Want: []string{"n.json:3: truncated JSON: the array is not closed with ']'"}, Cat: input.ErrSyntax},
		{Name: "json syntax error line", Source: "n.json", In: "[\n {\"_type\": \"network\",\n  \"network\" \"10.0.0.0/24\"}\n]\n",
			Want: []string{"n.json:3: invalid JSON: invalid character '\"' after object key"}, Cat: input.ErrSyntax},
		{Name: "json element not an object", Source: "n.json", In: "[\n \"10.0.0.0/24\",\n {\"_type\": \"network\", \"network\": \"10.0.1.0/24\"},\n null\n]\n",
			Want: []string{"n.json:2: want a JSON object, got a JSON string", "n.json:4: want a JSON object, got null"}, Cat: input.ErrSyntax},
		{Name: "json top level not an array", Source: "n.json", In: "\n\n42\n",
			Want: []string{"n.json:3: want a JSON array of objects, got a number"}, Cat: input.ErrSyntax},
		{Name: "json data after the array", Source: "n.json", In: "[]\n[]\n",
			Want: []string{"n.json:2: unexpected data after the JSON array: ["}, Cat: input.ErrSyntax},
		{Name: "json empty", Source: "n.json", In: " \n",
			Want: []string{"n.json:2: empty input: want a JSON array of objects"}, Cat: input.ErrSyntax},
		{Name: "json type not text", Source: "n.json", In: "[{\"_type\": 4, \"network\": \"10.0.0.0/24\"}]",
			Want: []string{"n.json:1: _type: want the object type as text, got number 4"}, Cat: input.ErrSyntax},
		{Name: "json ttl as text", Source: "a.json", In: "[{\"_type\": \"record:a\", \"name\": \"a.example.com\", \"ipv4addr\": \"10.0.0.1\", \"ttl\": \"300\"}]",
			Want: []string{`a.json:1: ttl: want an integer, got text "300"`}, Cat: input.ErrValue},
		{Name: "json host addresses as text", Source: "h.json", In: "[{\"_type\": \"record:host\", \"name\": \"h.example.com\", \"ipv4addrs\": \"10.0.0.1\"}]",
			Want: []string{`h.json:1: ipv4addrs: want a list of objects such as {"ipv4addr": ...}, got text "10.0.0.1"`}, Cat: input.ErrValue},
		{Name: "json nested field", Source: "h.json", In: "[{\"_type\": \"record:host\", \"name\": \"h.example.com\", \"ipv4addrs\": [{\"ipv4addr\": \"10.0.0.1\"}, {\"ipv4addr\": \"10.0.0.2\", \"configure_for_dhcp\": \"yes\"}]}]",
			Want: []string{`h.json:1: ipv4addrs[1].configure_for_dhcp: want true or false, got text "yes"`}, Cat: input.ErrValue},
		{Name: "json extattrs shape", Source: "n.json", In: "[{\"_type\": \"network\", \"network\": \"10.0.0.0/24\", \"extattrs\": {\"Site\": \"East\"}}]",
			Want: []string{`n.json:1: extattrs.Site: want {"value": ...}, got text "East"`}, Cat: input.ErrValue},
		{Name: "json unknown field", Source: "n.json", In: "[\n{\"_type\": \"network\", \"network\": \"10.0.0.0/24\", \"coment\": \"x\"}\n]",
			Want: []string{`n.json:2: coment: unknown field of network (did you mean "comment"?)`}, Cat: input.ErrUnknownField},
		{Name: "json null value", Source: "n.json", In: "[{\"_type\": \"network\", \"network\": \"10.0.0.0/24\", \"comment\": null}]",
			Want: []string{"n.json:1: comment: null is not a value (leave the field out)"}, Cat: input.ErrValue},
		{Name: "json bad utf-8", Source: "n.json", In: "[{\"_type\": \"network\", \"network\": \"10.0.0.0/24\", \"comment\": \"caf\xe9\"}]",
			Want: []string{"n.json:1: invalid UTF-8"}, Cat: input.ErrSyntax},
		// JSON lines
		{Name: "jsonl bad line then good", Source: "n.jsonl", In: "{\"_type\":\"network\",\"network\":\"10.0.0.0/24\"}\n{\"_type\":\"network\",\"network\":}\n{\"_type\":\"network\",\"network\":\"10.0.1.0/24\"}\n",
			Want: []string{"n.jsonl:2: invalid JSON: invalid character '}' looking for beginning of value"}, Cat: input.ErrSyntax},
		{Name: "jsonl truncated last line", Source: "n.jsonl", In: "{\"_type\":\"network\",\"network\":\"10.0.0.0/24\"}\n\n{\"_type\":\"network\",\"netw",
			Want: []string{"n.jsonl:3: truncated JSON: the line ends inside the object"}, Cat: input.ErrSyntax},
		{Name: "jsonl array line", Source: "n.jsonl", In: "[{\"_type\":\"network\",\"network\":\"10.0.0.0/24\"}]\n",
			Want: []string{"n.jsonl:1: want a JSON object, got a JSON array"}, Cat: input.ErrSyntax},
		{Name: "jsonl line too long", Source: "n.jsonl", In: "{\"comment\":\"" + strings.Repeat("x", 1<<20) + "\"}\n{\"_type\":\"network\",\"network\":\"10.0.0.0/24\"}\n",
			Want: []string{"n.jsonl:1: line longer than 1048576 bytes"}, Cat: input.ErrSyntax},
		// generator specs
		{Name: "gen count zero", Spec: true, In: "network 10.0.0.0/8 /24 0",
			Want: []string{"generate:1: count: 0 objects: the count must be at least 1"}, Cat: input.ErrSpec},
		{Name: "gen count too large", Spec: true, In: "network 10.0.0.0/16 /24 257",
			Want: []string{"generate:1: count: 257 objects do not fit: 10.0.0.0/16 has 256 subnets /24"}, Cat: input.ErrSpec},
		{Name: "gen prefix shorter than parent", Spec: true, In: "network 10.0.0.0/16 /8 1",
			Want: []string{"generate:1: prefix: /8 is shorter than the parent 10.0.0.0/16"}, Cat: input.ErrSpec},
		{Name: "gen bad cidr", Spec: true, In: "network 10.0.0/8 /24 4",
			Want: []string{`generate:1: cidr: "10.0.0/8" is not a CIDR network such as 10.0.0.0/24`}, Cat: input.ErrSpec},
		{Name: "gen parent host bits", Spec: true, In: "networkcontainer 10.1.2.3/8 /16 4",
			Want: []string{`generate:1: cidr: "10.1.2.3/8" has host bits set: the network is 10.0.0.0/8`}, Cat: input.ErrSpec},
		{Name: "gen ipv6 parent for network", Spec: true, In: "network 2001:db8::/32 /64 4",
			Want: []string{`generate:1: cidr: "2001:db8::/32" is an IPv6 network, want IPv4`}, Cat: input.ErrSpec},
		{Name: "gen too many records", Spec: true, In: "zone_auth example.com; record:a example.com 10.0.0.0/24 255",
			Want: []string{"generate:2: count: 255 objects do not fit: 10.0.0.0/24 has 254 usable addresses"}, Cat: input.ErrSpec},
		{Name: "gen unknown type", Spec: true, In: "record:aa example.com 10.0.0.0/24 5",
			Want: []string{`generate:1: type: unknown object type "record:aa" (did you mean "record:a"?); supported: networkview, networkcontainer, ipv6networkcontainer, network, ipv6network, fixedaddress, zone_auth, record:a, record:aaaa, record:ptr, record:cname, record:host, record:txt, record:mx`}, Cat: input.ErrSpec},
		{Name: "gen unknown field", Spec: true, In: "network 10.0.0.0/8 /24 4 vew=x",
			Want: []string{`generate:1: vew: unknown field of network`}, Cat: input.ErrSpec},
		{Name: "gen generated field set", Spec: true, In: "record:a example.com 10.0.0.0/24 4 ipv4addr=10.0.0.1",
			Want: []string{"generate:1: ipv4addr: the generator sets ipv4addr itself"}, Cat: input.ErrSpec},
		{Name: "gen arguments missing", Spec: true, In: "network 10.0.0.0/8 1024",
			Want: []string{"generate:1: 2 arguments, want network CIDR /PREFIX COUNT"}, Cat: input.ErrSpec},
		{Name: "gen count not a number", Spec: true, In: "record:cname example.com many",
			Want: []string{`generate:1: count: "many" is not a count (want a whole number of objects)`}, Cat: input.ErrSpec},
		{Name: "gen bad zone", Spec: true, In: "zone_auth -example.com 3",
			Want: []string{`generate:1: fqdn: "-example.com" has a label starting or ending with '-'`}, Cat: input.ErrSpec},
		{Name: "gen unclosed quote", Spec: true, In: `network 10.0.0.0/8 /24 4 comment="lab`,
			Want: []string{"generate:1: a double quote is not closed"}, Cat: input.ErrSpec},
		{Name: "gen bad field value", Spec: true, In: "record:a example.com 10.0.0.0/24 4 ttl=long",
			Want: []string{`generate:1: ttl: want an integer, got "long"`}, Cat: input.ErrSpec},
		{Name: "gen empty", Spec: true, In: "  ",
			Want: []string{`generate:1: empty generator spec; want for example "network 10.0.0.0/8 /24 1024"`}, Cat: input.ErrSpec},
	}
}
