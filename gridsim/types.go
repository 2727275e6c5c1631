package gridsim

import "slices"

// Object types are data: one typeDef per WAPI object type, listing its fields (with their
// kind, access and allowed search modifiers), the required and basic fields, the identity
// rule (internal key, uniqueness, the parent it needs and the ref's name part) and the
// allowed operations. Adding a type is adding an entry to typeTable; the request path and the
// store work from these definitions only.

// kind is how a field's value is checked, normalised and stored.
type kind uint8

const (
	kString  kind = iota // any string
	kComment             // at most 256 characters, no leading or trailing white space
	kFQDN                // DNS name: lower-cased, no trailing dot
	kBool
	kUint     // non-negative integer
	kCIDR4    // IPv4 network in CIDR notation, no host bits
	kCIDR6    // IPv6 network in CIDR notation, no host bits
	kZoneName // zone fqdn: a DNS name, or a CIDR for a reverse zone
	kIPv4
	kIPv6
	kMAC
	kNetView   // name of a network view (stored as the view's id)
	kDNSView   // name of a DNS view (stored as the view's id)
	kEA        // extensible attributes {"Name": {"value": v}}
	kStrList   // list of strings
	kHostAddr4 // record:host ipv4addrs: list of {"ipv4addr": ..., "mac": ..., ...}
	kHostAddr6 // record:host ipv6addrs
	kAny       // any JSON value, stored as given (fields accepted but not modelled)
	kDerived   // computed by the grid, read-only
)

// access says when a field may be written and whether it can be read.
type access uint8

const (
	rw         access = iota // read, create, update
	createOnly               // read, create; an update may repeat the current value only
	readOnly                 // read only (derived)
	writeOnly                // create only, never returned ("Field is not readable")
	searchOnly               // a search filter only, not a field of the object
)

// fieldDef is one field of a type.
type fieldDef struct {
	name   string
	kind   kind
	access access
	// search holds the modifiers the field may be searched with: '=' exact, ':' case
	// insensitive, '~' regular expression, '<' and '>' ordering, '!' negation. Empty: not
	// searchable.
	search string
	// def is the JSON returned when the field is asked for but unset; empty means the field is
	// left out.
	def string
	idx int // position in typeDef.fields
}

// identity is how a type's objects are keyed, kept unique and named in refs, and what must
// exist before one is created (the view fields name existing views); place (write.go)
// applies it.
type identity uint8

const (
	idSingleton identity = iota // one object: key "<prefix>$0"
	idNetView                   // network view: "<prefix>$<id>", unique name
	idDNSView                   // DNS view: "<prefix>$.<name>" ("._default"), unique name
	idNetwork                   // network, container: "<prefix>$<cidr>/<netview id>"; prefix trie
	idZone                      // zone: "<prefix>$<view key>.<reversed fqdn>"
	idRecord                    // DNS record: "<prefix>$<view key>.<reversed name>,<rdata...>"; needs a zone holding the name
	idFixed                     // fixed address: "<prefix>$<ip>.<netview id>.."; needs a network holding the address
)

type typeDef struct {
	name      string // WAPI type, e.g. "record:a"
	keyPrefix string // internal key prefix, e.g. "dns.bind_a"
	fields    []fieldDef
	required  []string // fields required on create
	basic     []string // fields returned by default, besides _ref
	ident     identity
	// nameField is the field holding the object's name (idRecord, idZone, views); rdata are
	// the fields that, with the name, make a record unique (idRecord).
	nameField string
	rdata     []string
	// namePart lists the fields joined with "/" after the ref's ':'.
	namePart []string
	// addrFields hold addresses counted as used for next_available_ip.
	addrFields []string
	// family is 4 or 6 for network types and typed records.
	family int
	// container is true for network containers (they may hold networks).
	container bool
	// exclusive records (CNAME) may not share a name with any other record, nor others with it.
	exclusive bool
	create    bool
	update    bool
	delete    bool
	functions []string

	byName map[string]*fieldDef
	index  int
}

func (t *typeDef) field(name string) *fieldDef { return t.byName[name] }

// Common field groups.
var (
	fComment  = fieldDef{name: "comment", kind: kComment, search: "=:~"}
	fExtattrs = fieldDef{name: "extattrs", kind: kEA, def: "{}"}
	fDisable  = fieldDef{name: "disable", kind: kBool, def: "false"}
	fTTL      = fieldDef{name: "ttl", kind: kUint}
	fUseTTL   = fieldDef{name: "use_ttl", kind: kBool, def: "false"}
	fView     = fieldDef{name: "view", kind: kDNSView, access: createOnly, search: "="}
	fZone     = fieldDef{name: "zone", kind: kDerived, access: readOnly, search: "="}
	fCreator  = fieldDef{name: "creator", kind: kString, search: "=", def: `"STATIC"`}
	fDDNS     = fieldDef{name: "ddns_principal", kind: kString, search: "=:~"}
	fReclaim  = fieldDef{name: "reclaimable", kind: kDerived, access: readOnly, search: "=", def: "false"}
	fNetView  = fieldDef{name: "network_view", kind: kNetView, access: createOnly, search: "=", def: `"default"`}
	fDNSName  = fieldDef{name: "name", kind: kFQDN, search: "=:~"}
	fNetCont  = fieldDef{name: "network_container", kind: kDerived, access: readOnly, search: "="}
	fUnmanage = fieldDef{name: "unmanaged", kind: kBool, search: "=", def: "false"}
	fMembers  = fieldDef{name: "members", kind: kAny, def: "[]"}
	fOptions  = fieldDef{name: "options", kind: kAny, def: "[]"}
	fUseOpts  = fieldDef{name: "use_options", kind: kBool, def: "false"}
	fRIR      = fieldDef{name: "rir", kind: kString, search: "="}
	fRIROrg   = fieldDef{name: "rir_organization", kind: kString, search: "="}
	fDiscEng  = fieldDef{name: "discovery_engine_type", kind: kString, search: "=", def: `"NONE"`}
	fTemplate = fieldDef{name: "template", kind: kString, access: writeOnly}
	fAutoRZ   = fieldDef{name: "auto_create_reversezone", kind: kBool, access: writeOnly}
	fCloud    = fieldDef{name: "cloud_info", kind: kAny}
	fMgmPriv  = fieldDef{name: "mgm_private", kind: kBool, def: "false"}
	fAliases  = fieldDef{name: "aliases", kind: kStrList, def: "[]"}
)

func networkFields(family int, container bool) []fieldDef {
	cidr := kCIDR4
	if family == 6 {
		cidr = kCIDR6
	}
	fs := []fieldDef{
		{name: "network", kind: cidr, access: createOnly, search: "=~"},
		fNetView, fComment, fExtattrs, fNetCont, fUnmanage, fMembers, fOptions, fUseOpts,
		fRIR, fRIROrg, fDiscEng, fTemplate, fCloud, fMgmPriv,
	}
	if !container {
		fs = append(fs, fAutoRZ, fDisable)
		if family == 4 {
			fs = append(fs, fieldDef{name: "ipv4addr", kind: kIPv4, access: searchOnly, search: "="})
		}
	}
	if container {
		fs = append(fs, fieldDef{name: "remove_subnets", kind: kBool, access: writeOnly})
	}
	return fs
}

func recordFields(extra ...fieldDef) []fieldDef {
	fs := []fieldDef{fDNSName, fView, fZone, fComment, fExtattrs, fDisable, fTTL, fUseTTL,
		fCreator, fDDNS, fReclaim, fCloud,
		{name: "forbid_reclamation", kind: kBool, def: "false"},
		{name: "ddns_protected", kind: kBool, def: "false"}}
	return append(fs, extra...)
}

var typeTable = []*typeDef{
	{
		name: "grid", keyPrefix: "one.cluster", ident: idSingleton,
		fields: []fieldDef{{name: "name", kind: kString, search: "=", def: `"Infoblox"`}},
		update: true, namePart: []string{"name"},
		functions: []string{"restartservices", "requestrestartservicestatus"},
	},
	{
		name: "networkview", keyPrefix: "dns.network_view", ident: idNetView, nameField: "name",
		fields: []fieldDef{
			{name: "name", kind: kString, search: "=:~"},
			{name: "is_default", kind: kDerived, access: readOnly, search: "=", def: "false"},
			fComment, fExtattrs, fCloud, fMgmPriv,
			{name: "associated_dns_views", kind: kDerived, access: readOnly, def: "[]"},
		},
		required: []string{"name"}, basic: []string{"comment", "is_default", "name"},
		namePart: []string{"name", "is_default"}, create: true, update: true, delete: true,
	},
	{
		name: "view", keyPrefix: "dns.view", ident: idDNSView, nameField: "name",
		fields: []fieldDef{
			{name: "name", kind: kString, access: createOnly, search: "=:~"},
			{name: "is_default", kind: kDerived, access: readOnly, search: "=", def: "false"},
			fNetView, fComment, fExtattrs, fDisable, fCloud, fMgmPriv,
		},
		required: []string{"name"}, basic: []string{"comment", "is_default", "name"},
		namePart: []string{"name", "is_default"}, create: true, update: true, delete: true,
	},
	{
		name: "networkcontainer", keyPrefix: "dns.network_container", ident: idNetwork,
		family: 4, container: true,
		fields:   networkFields(4, true),
		required: []string{"network"}, basic: []string{"comment", "network", "network_view"},
		namePart: []string{"network", "network_view"}, create: true, update: true, delete: true,
		functions: []string{"next_available_network"},
	},
	{
		name: "network", keyPrefix: "dns.network", ident: idNetwork, family: 4,
		fields:   networkFields(4, false),
		required: []string{"network"}, basic: []string{"comment", "network", "network_view"},
		namePart: []string{"network", "network_view"}, create: true, update: true, delete: true,
		functions: []string{"next_available_ip", "next_available_network"},
	},
	{
		name: "ipv6networkcontainer", keyPrefix: "dns.network_container", ident: idNetwork,
		family: 6, container: true,
		fields:   networkFields(6, true),
		required: []string{"network"}, basic: []string{"comment", "network", "network_view"},
		namePart: []string{"network", "network_view"}, create: true, update: true, delete: true,
		functions: []string{"next_available_network"},
	},
	{
		name: "ipv6network", keyPrefix: "dns.network", ident: idNetwork, family: 6,
		fields:   networkFields(6, false),
		required: []string{"network"}, basic: []string{"comment", "network", "network_view"},
		namePart: []string{"network", "network_view"}, create: true, update: true, delete: true,
		functions: []string{"next_available_ip", "next_available_network"},
	},
	{
		name: "zone_auth", keyPrefix: "dns.zone", ident: idZone, nameField: "fqdn",
		fields: []fieldDef{
			{name: "fqdn", kind: kZoneName, access: createOnly, search: "=:~"},
			fView, fComment, fExtattrs, fDisable, fCloud, fMgmPriv,
			{name: "zone_format", kind: kString, access: createOnly, search: "=", def: `"FORWARD"`},
			{name: "parent", kind: kDerived, access: readOnly, search: "="},
			{name: "prefix", kind: kString},
			{name: "ns_group", kind: kString},
			{name: "grid_primary", kind: kAny, def: "[]"},
			{name: "grid_secondaries", kind: kAny, def: "[]"},
			{name: "external_primaries", kind: kAny, def: "[]"},
			{name: "external_secondaries", kind: kAny, def: "[]"},
			{name: "soa_default_ttl", kind: kUint},
			{name: "restart_if_needed", kind: kBool, access: writeOnly},
		},
		required: []string{"fqdn"}, basic: []string{"fqdn", "view"},
		namePart: []string{"fqdn", "view"}, create: true, update: true, delete: true,
	},
	{
		name: "record:a", keyPrefix: "dns.bind_a", ident: idRecord, family: 4,
		nameField: "name", rdata: []string{"ipv4addr"}, addrFields: []string{"ipv4addr"},
		fields:   recordFields(fieldDef{name: "ipv4addr", kind: kIPv4, search: "=<>"}),
		required: []string{"name", "ipv4addr"}, basic: []string{"ipv4addr", "name", "view"},
		namePart: []string{"name", "view"}, create: true, update: true, delete: true,
	},
	{
		name: "record:aaaa", keyPrefix: "dns.bind_aaaa", ident: idRecord, family: 6,
		nameField: "name", rdata: []string{"ipv6addr"}, addrFields: []string{"ipv6addr"},
		fields:   recordFields(fieldDef{name: "ipv6addr", kind: kIPv6, search: "=<>"}),
		required: []string{"name", "ipv6addr"}, basic: []string{"ipv6addr", "name", "view"},
		namePart: []string{"name", "view"}, create: true, update: true, delete: true,
	},
	{
		name: "record:ptr", keyPrefix: "dns.bind_ptr", ident: idRecord,
		nameField: "name", rdata: []string{"ptrdname"},
		fields: recordFields(
			fieldDef{name: "ptrdname", kind: kFQDN, search: "=:~"},
			fieldDef{name: "ipv4addr", kind: kIPv4, search: "=<>"},
			fieldDef{name: "ipv6addr", kind: kIPv6, search: "=<>"},
		),
		required: []string{"ptrdname"}, basic: []string{"ptrdname", "view"},
		namePart: []string{"name", "view"}, create: true, update: true, delete: true,
	},
	{
		name: "record:cname", keyPrefix: "dns.bind_cname", ident: idRecord,
		nameField: "name", exclusive: true,
		fields:   recordFields(fieldDef{name: "canonical", kind: kFQDN, search: "=:~"}),
		required: []string{"canonical", "name"}, basic: []string{"canonical", "name", "view"},
		namePart: []string{"name", "view"}, create: true, update: true, delete: true,
	},
	{
		name: "record:host", keyPrefix: "dns.host", ident: idRecord,
		nameField: "name", addrFields: []string{"ipv4addrs", "ipv6addrs"},
		fields: recordFields(
			fieldDef{name: "ipv4addrs", kind: kHostAddr4, def: "[]"},
			fieldDef{name: "ipv6addrs", kind: kHostAddr6, def: "[]"},
			fieldDef{name: "ipv4addr", kind: kIPv4, access: searchOnly, search: "="},
			fieldDef{name: "ipv6addr", kind: kIPv6, access: searchOnly, search: "="},
			fieldDef{name: "mac", kind: kMAC, access: searchOnly, search: "="},
			fieldDef{name: "configure_for_dns", kind: kBool, def: "true"},
			fieldDef{name: "network_view", kind: kNetView, access: createOnly, search: "=", def: `"default"`},
			fAliases,
			fieldDef{name: "device_description", kind: kString, search: "=:~"},
			fieldDef{name: "device_location", kind: kString, search: "=:~"},
			fieldDef{name: "device_type", kind: kString, search: "=:~"},
			fieldDef{name: "device_vendor", kind: kString, search: "=:~"},
			fieldDef{name: "restart_if_needed", kind: kBool, access: writeOnly},
		),
		required: []string{"name"}, basic: []string{"ipv4addrs", "ipv6addrs", "name", "view"},
		namePart: []string{"name", "view"}, create: true, update: true, delete: true,
	},
	{
		name: "record:txt", keyPrefix: "dns.bind_txt", ident: idRecord,
		nameField: "name", rdata: []string{"text"},
		fields:   recordFields(fieldDef{name: "text", kind: kString, search: "=:~"}),
		required: []string{"name", "text"}, basic: []string{"name", "text", "view"},
		namePart: []string{"name", "view"}, create: true, update: true, delete: true,
	},
	{
		name: "record:mx", keyPrefix: "dns.bind_mx", ident: idRecord,
		nameField: "name", rdata: []string{"mail_exchanger", "preference"},
		fields: recordFields(
			fieldDef{name: "mail_exchanger", kind: kFQDN, search: "=:~"},
			fieldDef{name: "preference", kind: kUint, search: "=<>"},
		),
		required: []string{"mail_exchanger", "name", "preference"},
		basic:    []string{"mail_exchanger", "name", "preference", "view"},
		namePart: []string{"name", "view"}, create: true, update: true, delete: true,
	},
	{
		name: "fixedaddress", keyPrefix: "dns.fixed_address", ident: idFixed,
		family: 4, addrFields: []string{"ipv4addr"},
		fields: []fieldDef{
			{name: "ipv4addr", kind: kIPv4, search: "=<>"},
			{name: "mac", kind: kMAC, search: "=", def: `"00:00:00:00:00:00"`},
			fNetView, fComment, fExtattrs, fDisable, fCloud, fOptions, fUseOpts,
			{name: "name", kind: kString, search: "=:~"},
			{name: "network", kind: kCIDR4, search: "="},
			{name: "match_client", kind: kString, def: `"MAC_ADDRESS"`},
			{name: "client_identifier_prepend_zero", kind: kBool},
			{name: "dhcp_client_identifier", kind: kString},
			{name: "agent_circuit_id", kind: kString},
			{name: "agent_remote_id", kind: kString},
		},
		required: []string{"ipv4addr"}, basic: []string{"ipv4addr", "network_view"},
		namePart: []string{"ipv4addr", "network_view"}, create: true, update: true, delete: true,
	},
}

// types indexes typeTable by name; built once by newTypes (no package state is mutated).
type types struct {
	byName map[string]*typeDef
	list   []*typeDef
	names  []string
}

func newTypes() *types {
	ts := &types{byName: make(map[string]*typeDef, len(typeTable))}
	for i, t := range typeTable {
		c := *t
		c.index = i
		c.byName = make(map[string]*fieldDef, len(c.fields))
		c.fields = slices.Clone(c.fields)
		for j := range c.fields {
			c.fields[j].idx = j
			c.byName[c.fields[j].name] = &c.fields[j]
		}
		ts.byName[c.name] = &c
		ts.list = append(ts.list, &c)
		ts.names = append(ts.names, c.name)
	}
	slices.Sort(ts.names)
	return ts
}
