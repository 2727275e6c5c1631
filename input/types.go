package input

import (
	"slices"
	"strconv"
	"strings"
)

// Kind is how a field's value is written in an input, checked and encoded in CSV.
type Kind uint8

// Field kinds. The CSV encoding of each is in the package documentation.
const (
	KindString     Kind = iota + 1 // any text
	KindComment                    // text of at most 256 characters, no leading or trailing white space
	KindName                       // non-empty text without leading or trailing white space (view names)
	KindInt                        // integer between Field.Min and Field.Max
	KindBool                       // true or false
	KindEnum                       // one of Field.Enum
	KindIPv4                       // IPv4 address
	KindIPv6                       // IPv6 address
	KindCIDR4                      // IPv4 network in CIDR notation, no host bits
	KindCIDR6                      // IPv6 network in CIDR notation, no host bits
	KindFQDN                       // DNS name
	KindRecordName                 // DNS name whose first label may be "*"
	KindZone                       // zone name: a DNS name, or a CIDR for a reverse zone
	KindMAC                        // MAC address, six colon-separated bytes
	KindFQDNList                   // list of DNS names
	KindHostAddrs4                 // record:host ipv4addrs: list of {"ipv4addr": ..., "mac": ..., ...}
	KindHostAddrs6                 // record:host ipv6addrs: list of {"ipv6addr": ..., "duid": ..., ...}
	KindExtAttrs                   // extensible attributes {"Name": {"value": v}}
	KindJSON                       // any JSON value, passed to the grid as given
)

var kindNames = [...]string{
	KindString: "text", KindComment: "comment", KindName: "name", KindInt: "integer",
	KindBool: "boolean", KindEnum: "enumeration", KindIPv4: "IPv4 address",
	KindIPv6: "IPv6 address", KindCIDR4: "IPv4 network (CIDR)", KindCIDR6: "IPv6 network (CIDR)",
	KindFQDN: "DNS name", KindRecordName: "DNS name", KindZone: "zone name or CIDR",
	KindMAC: "MAC address", KindFQDNList: "list of DNS names",
	KindHostAddrs4: "list of IPv4 host addresses", KindHostAddrs6: "list of IPv6 host addresses",
	KindExtAttrs: "extensible attributes", KindJSON: "JSON value",
}

// String names the kind as messages do ("integer", "IPv4 address", ...).
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Field is one writable field of an object type.
type Field struct {
	Name string
	Kind Kind
	// Min and Max bound a KindInt value.
	Min, Max int64
	// Enum lists the values a KindEnum field accepts.
	Enum []string
}

// KeyPart is one component of an object's identity: the value of the first of Fields that is
// present, or Default when none is (an empty Default makes the part required).
type KeyPart struct {
	Fields  []string
	Default string
}

// PhaseBy says how an object's rank is refined inside its type's base rank.
type PhaseBy uint8

// Phase refinements.
const (
	ByNone      PhaseBy = iota // every object of the type has the base rank
	ByPrefixLen                // base + prefix length of the CIDR in PhaseField (shortest first)
	ByLabels                   // base + number of DNS labels in PhaseField (parents first)
)

// Base ranks of the ordering phases: an object may be sent only after every object of a lower
// rank has its outcome. Objects of equal rank do not depend on each other.
const (
	RankNetworkView  = 100 // network views
	RankContainer    = 200 // network containers: 200 + prefix length (0–128)
	RankNetwork      = 400 // networks
	RankFixedAddress = 500 // fixed addresses (inside networks)
	RankZone         = 600 // authoritative zones: 600 + number of labels (1–127)
	RankRecord       = 800 // DNS records (inside zones)
)

// Type describes one object type the loader supports: its writable fields, the groups of
// required fields, the identity key used to find an existing object by search, and its
// ordering phase. The table is data: every check, conversion and key is driven by it.
type Type struct {
	Name   string
	Fields []Field
	// Required lists groups of fields: each group needs at least one of its fields present.
	Required [][]string
	// Key is the identity: searching the type with these fields (and their defaults) finds
	// the one existing object the input object would duplicate.
	Key []KeyPart
	// Rank is the base rank of the type's phase; PhaseBy and PhaseField refine it.
	Rank       int
	PhaseBy    PhaseBy
	PhaseField string

	byName map[string]int
	idx    int // position in typeTable
}

// Field returns the writable field name of the type.
func (t *Type) Field(name string) (Field, bool) {
	i, ok := t.byName[name]
	if !ok {
		return Field{}, false
	}
	return t.Fields[i], true
}

func (t *Type) field(name string) *Field {
	if i, ok := t.byName[name]; ok {
		return &t.Fields[i]
	}
	return nil
}

// Field groups shared by several types.
var (
	fComment  = Field{Name: "comment", Kind: KindComment}
	fExtattrs = Field{Name: "extattrs", Kind: KindExtAttrs}
	fDisable  = Field{Name: "disable", Kind: KindBool}
	fNetView  = Field{Name: "network_view", Kind: KindName}
	fView     = Field{Name: "view", Kind: KindName}
	fTTL      = Field{Name: "ttl", Kind: KindInt, Min: 0, Max: 1<<32 - 1}
	fUseTTL   = Field{Name: "use_ttl", Kind: KindBool}
	fOptions  = Field{Name: "options", Kind: KindJSON}
	fUseOpts  = Field{Name: "use_options", Kind: KindBool}
)

func networkFields(cidr Kind, container bool) []Field {
	fs := []Field{
		{Name: "network", Kind: cidr}, fNetView, fComment, fExtattrs,
		{Name: "unmanaged", Kind: KindBool}, {Name: "members", Kind: KindJSON}, fOptions, fUseOpts,
		{Name: "rir_organization", Kind: KindString}, {Name: "template", Kind: KindString},
	}
	if !container {
		fs = append(fs, fDisable, Field{Name: "auto_create_reversezone", Kind: KindBool})
	}
	return fs
}

func recordFields(extra ...Field) []Field {
	fs := []Field{{Name: "name", Kind: KindRecordName}, fView, fComment, fExtattrs, fDisable, fTTL, fUseTTL}
	return append(fs, extra...)
}

var (
	keyNetwork = []KeyPart{{Fields: []string{"network"}}, {Fields: []string{"network_view"}, Default: "default"}}
	keyView    = KeyPart{Fields: []string{"view"}, Default: "default"}
	keyName    = KeyPart{Fields: []string{"name"}}
)

// typeTable is the loader's type table, in phase order. It is never modified after
// newTypeTable builds it.
var typeTable = newTypeTable()

func newTypeTable() []*Type {
	ts := []*Type{
		{
			Name:     "networkview",
			Fields:   []Field{{Name: "name", Kind: KindName}, fComment, fExtattrs},
			Required: [][]string{{"name"}},
			Key:      []KeyPart{keyName},
			Rank:     RankNetworkView,
		},
		{
			Name: "networkcontainer", Fields: networkFields(KindCIDR4, true),
			Required: [][]string{{"network"}}, Key: keyNetwork,
			Rank: RankContainer, PhaseBy: ByPrefixLen, PhaseField: "network",
		},
		{
			Name: "ipv6networkcontainer", Fields: networkFields(KindCIDR6, true),
			Required: [][]string{{"network"}}, Key: keyNetwork,
			Rank: RankContainer, PhaseBy: ByPrefixLen, PhaseField: "network",
		},
		{
			Name: "network", Fields: networkFields(KindCIDR4, false),
			Required: [][]string{{"network"}}, Key: keyNetwork, Rank: RankNetwork,
		},
		{
			Name: "ipv6network", Fields: networkFields(KindCIDR6, false),
			Required: [][]string{{"network"}}, Key: keyNetwork, Rank: RankNetwork,
		},
		{
			Name: "fixedaddress",
			Fields: []Field{
				{Name: "ipv4addr", Kind: KindIPv4}, {Name: "mac", Kind: KindMAC}, fNetView,
				{Name: "name", Kind: KindString}, fComment, fExtattrs, fDisable,
				{Name: "match_client", Kind: KindEnum, Enum: []string{"MAC_ADDRESS", "CLIENT_ID", "RESERVED", "CIRCUIT_ID", "REMOTE_ID"}},
				{Name: "dhcp_client_identifier", Kind: KindString}, fOptions, fUseOpts,
			},
			Required: [][]string{{"ipv4addr"}},
			Key:      []KeyPart{{Fields: []string{"ipv4addr"}}, {Fields: []string{"network_view"}, Default: "default"}},
			Rank:     RankFixedAddress,
		},
		{
			Name: "zone_auth",
			Fields: []Field{
				{Name: "fqdn", Kind: KindZone}, fView, fComment, fExtattrs, fDisable,
				{Name: "zone_format", Kind: KindEnum, Enum: []string{"FORWARD", "IPV4", "IPV6"}},
				{Name: "prefix", Kind: KindString}, {Name: "ns_group", Kind: KindString},
				{Name: "grid_primary", Kind: KindJSON}, {Name: "grid_secondaries", Kind: KindJSON},
				{Name: "soa_default_ttl", Kind: KindInt, Min: 0, Max: 1<<32 - 1},
			},
			Required: [][]string{{"fqdn"}},
			Key:      []KeyPart{{Fields: []string{"fqdn"}}, keyView},
			Rank:     RankZone, PhaseBy: ByLabels, PhaseField: "fqdn",
		},
		{
			Name: "record:a", Fields: recordFields(Field{Name: "ipv4addr", Kind: KindIPv4}),
			Required: [][]string{{"name"}, {"ipv4addr"}},
			Key:      []KeyPart{keyName, {Fields: []string{"ipv4addr"}}, keyView},
			Rank:     RankRecord,
		},
		{
			Name: "record:aaaa", Fields: recordFields(Field{Name: "ipv6addr", Kind: KindIPv6}),
			Required: [][]string{{"name"}, {"ipv6addr"}},
			Key:      []KeyPart{keyName, {Fields: []string{"ipv6addr"}}, keyView},
			Rank:     RankRecord,
		},
		{
			Name: "record:ptr",
			Fields: recordFields(Field{Name: "ptrdname", Kind: KindFQDN},
				Field{Name: "ipv4addr", Kind: KindIPv4}, Field{Name: "ipv6addr", Kind: KindIPv6}),
			Required: [][]string{{"ptrdname"}, {"ipv4addr", "ipv6addr", "name"}},
			Key:      []KeyPart{{Fields: []string{"ptrdname"}}, {Fields: []string{"ipv4addr", "ipv6addr", "name"}}, keyView},
			Rank:     RankRecord,
		},
		{
			Name: "record:cname", Fields: recordFields(Field{Name: "canonical", Kind: KindFQDN}),
			Required: [][]string{{"name"}, {"canonical"}},
			Key:      []KeyPart{keyName, keyView},
			Rank:     RankRecord,
		},
		{
			Name: "record:host",
			Fields: recordFields(
				Field{Name: "ipv4addrs", Kind: KindHostAddrs4}, Field{Name: "ipv6addrs", Kind: KindHostAddrs6},
				Field{Name: "aliases", Kind: KindFQDNList}, Field{Name: "configure_for_dns", Kind: KindBool},
				fNetView,
				Field{Name: "device_description", Kind: KindString}, Field{Name: "device_location", Kind: KindString},
				Field{Name: "device_type", Kind: KindString}, Field{Name: "device_vendor", Kind: KindString},
			),
			Required: [][]string{{"name"}, {"ipv4addrs", "ipv6addrs"}},
			Key:      []KeyPart{keyName, keyView},
			Rank:     RankRecord,
		},
		{
			Name: "record:txt", Fields: recordFields(Field{Name: "text", Kind: KindString}),
			Required: [][]string{{"name"}, {"text"}},
			Key:      []KeyPart{keyName, {Fields: []string{"text"}}, keyView},
			Rank:     RankRecord,
		},
		{
			Name: "record:mx",
			Fields: recordFields(Field{Name: "mail_exchanger", Kind: KindFQDN},
				Field{Name: "preference", Kind: KindInt, Min: 0, Max: 65535}),
			Required: [][]string{{"name"}, {"mail_exchanger"}, {"preference"}},
			Key:      []KeyPart{keyName, {Fields: []string{"mail_exchanger"}}, {Fields: []string{"preference"}}, keyView},
			Rank:     RankRecord,
		},
	}
	for i, t := range ts {
		t.idx = i
		t.byName = make(map[string]int, len(t.Fields))
		for i, f := range t.Fields {
			t.byName[f.Name] = i
		}
	}
	return ts
}

// typeIndex maps a type name to its entry in typeTable.
var typeIndex = func() map[string]*Type {
	m := make(map[string]*Type, len(typeTable))
	for _, t := range typeTable {
		m[t.Name] = t
	}
	return m
}()

func lookupType(name string) *Type { return typeIndex[name] }

// LookupType returns a copy of the table entry of the object type name.
func LookupType(name string) (Type, bool) {
	t := lookupType(name)
	if t == nil {
		return Type{}, false
	}
	return t.clone(), true
}

// Types returns a copy of the type table, in phase order.
func Types() []Type {
	out := make([]Type, len(typeTable))
	for i, t := range typeTable {
		out[i] = t.clone()
	}
	return out
}

// TypeNames returns the names of the supported types, in phase order.
func TypeNames() []string {
	out := make([]string, len(typeTable))
	for i, t := range typeTable {
		out[i] = t.Name
	}
	return out
}

func (t *Type) clone() Type {
	c := *t
	c.Fields = slices.Clone(t.Fields)
	for i := range c.Fields {
		c.Fields[i].Enum = slices.Clone(c.Fields[i].Enum)
	}
	c.Required = make([][]string, len(t.Required))
	for i, g := range t.Required {
		c.Required[i] = slices.Clone(g)
	}
	c.Key = make([]KeyPart, len(t.Key))
	for i, k := range t.Key {
		c.Key[i] = KeyPart{Fields: slices.Clone(k.Fields), Default: k.Default}
	}
	return c
}

// allFieldNames lists every field name of every type, once, in table order (for suggestions
// and CSV column checks). Its capacity is its length, so appending to it copies: readers on
// several goroutines append to it.
var allFieldNames = func() []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range typeTable {
		for _, f := range t.Fields {
			if !seen[f.Name] {
				seen[f.Name] = true
				out = append(out, f.Name)
			}
		}
	}
	return slices.Clip(out)
}()

func fieldNames(fs []Field) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	return out
}

// typeList renders the supported type names for messages.
func typeList() string { return strings.Join(TypeNames(), ", ") }
