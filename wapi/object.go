package wapi

import (
	"encoding/json"
	"strings"
)

// Object is a WAPI object as the grid returns it: field names to JSON values (string,
// float64, bool, nil, []any, map[string]any). It is also a convenient body for Create and
// Update. Use the typed helpers ([Network], [RecordA], ...) when you prefer structs; nothing
// forces them.
type Object map[string]any

// Ref returns the object's reference (its "_ref" field), or "".
func (o Object) Ref() string {
	s, _ := o["_ref"].(string)
	return s
}

// StringField returns the string field name, or "" if it is absent or not a string.
func (o Object) StringField(name string) string {
	s, _ := o[name].(string)
	return s
}

// Type returns the object type encoded in the reference ("network" for "network/ZG5...").
func (o Object) Type() string { return RefType(o.Ref()) }

// Decode converts the object into v (a pointer to a typed helper or any struct with JSON
// tags).
func (o Object) Decode(v any) error {
	b, err := json.Marshal(o)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// RefType returns the object type of a reference: the part before the first '/'.
func RefType(ref string) string {
	if i := strings.IndexByte(ref, '/'); i >= 0 {
		return ref[:i]
	}
	return ""
}

// Typed is implemented by the typed helpers: it names the WAPI object type.
type Typed interface {
	ObjectType() string
}

// Object types of the typed helpers.
const (
	TypeNetwork          = "network"
	TypeNetworkContainer = "networkcontainer"
	TypeNetworkView      = "networkview"
	TypeZoneAuth         = "zone_auth"
	TypeRecordA          = "record:a"
	TypeRecordAAAA       = "record:aaaa"
	TypeRecordPTR        = "record:ptr"
	TypeRecordCNAME      = "record:cname"
	TypeRecordHost       = "record:host"
)

// ExtAttrs are extensible attributes: {"Site": {"value": "East"}}.
type ExtAttrs map[string]ExtAttr

// ExtAttr is the value of one extensible attribute (a list for multi-value attributes).
type ExtAttr struct {
	Value any `json:"value"`
}

// EAs builds ExtAttrs from name → value pairs.
func EAs(m map[string]any) ExtAttrs {
	ea := make(ExtAttrs, len(m))
	for k, v := range m {
		ea[k] = ExtAttr{Value: v}
	}
	return ea
}

// Network is an IPv4 network (object type "network").
type Network struct {
	Ref         string   `json:"_ref,omitempty"`
	Network     string   `json:"network,omitempty"` // CIDR, e.g. "10.0.0.0/24"
	NetworkView string   `json:"network_view,omitempty"`
	Comment     string   `json:"comment,omitempty"`
	ExtAttrs    ExtAttrs `json:"extattrs,omitempty"`
}

// ObjectType returns "network".
func (Network) ObjectType() string { return TypeNetwork }

// NetworkContainer is an IPv4 network container (object type "networkcontainer").
type NetworkContainer struct {
	Ref         string   `json:"_ref,omitempty"`
	Network     string   `json:"network,omitempty"`
	NetworkView string   `json:"network_view,omitempty"`
	Comment     string   `json:"comment,omitempty"`
	ExtAttrs    ExtAttrs `json:"extattrs,omitempty"`
}

// ObjectType returns "networkcontainer".
func (NetworkContainer) ObjectType() string { return TypeNetworkContainer }

// NetworkView is a network view (object type "networkview").
type NetworkView struct {
	Ref       string   `json:"_ref,omitempty"`
	Name      string   `json:"name,omitempty"`
	Comment   string   `json:"comment,omitempty"`
	IsDefault bool     `json:"is_default,omitempty"` // read-only
	ExtAttrs  ExtAttrs `json:"extattrs,omitempty"`
}

// ObjectType returns "networkview".
func (NetworkView) ObjectType() string { return TypeNetworkView }

// ZoneAuth is an authoritative DNS zone (object type "zone_auth").
type ZoneAuth struct {
	Ref        string   `json:"_ref,omitempty"`
	FQDN       string   `json:"fqdn,omitempty"`
	View       string   `json:"view,omitempty"`
	ZoneFormat string   `json:"zone_format,omitempty"` // FORWARD, IPV4, IPV6
	Comment    string   `json:"comment,omitempty"`
	ExtAttrs   ExtAttrs `json:"extattrs,omitempty"`
}

// ObjectType returns "zone_auth".
func (ZoneAuth) ObjectType() string { return TypeZoneAuth }

// RecordA is a DNS A record (object type "record:a").
type RecordA struct {
	Ref      string   `json:"_ref,omitempty"`
	Name     string   `json:"name,omitempty"`
	IPv4Addr string   `json:"ipv4addr,omitempty"`
	View     string   `json:"view,omitempty"`
	TTL      *uint32  `json:"ttl,omitempty"`
	UseTTL   *bool    `json:"use_ttl,omitempty"`
	Comment  string   `json:"comment,omitempty"`
	ExtAttrs ExtAttrs `json:"extattrs,omitempty"`
}

// ObjectType returns "record:a".
func (RecordA) ObjectType() string { return TypeRecordA }

// RecordAAAA is a DNS AAAA record (object type "record:aaaa").
type RecordAAAA struct {
	Ref      string   `json:"_ref,omitempty"`
	Name     string   `json:"name,omitempty"`
	IPv6Addr string   `json:"ipv6addr,omitempty"`
	View     string   `json:"view,omitempty"`
	TTL      *uint32  `json:"ttl,omitempty"`
	UseTTL   *bool    `json:"use_ttl,omitempty"`
	Comment  string   `json:"comment,omitempty"`
	ExtAttrs ExtAttrs `json:"extattrs,omitempty"`
}

// ObjectType returns "record:aaaa".
func (RecordAAAA) ObjectType() string { return TypeRecordAAAA }

// RecordPTR is a DNS PTR record (object type "record:ptr").
type RecordPTR struct {
	Ref      string   `json:"_ref,omitempty"`
	PtrDName string   `json:"ptrdname,omitempty"`
	IPv4Addr string   `json:"ipv4addr,omitempty"`
	IPv6Addr string   `json:"ipv6addr,omitempty"`
	Name     string   `json:"name,omitempty"`
	View     string   `json:"view,omitempty"`
	TTL      *uint32  `json:"ttl,omitempty"`
	UseTTL   *bool    `json:"use_ttl,omitempty"`
	Comment  string   `json:"comment,omitempty"`
	ExtAttrs ExtAttrs `json:"extattrs,omitempty"`
}

// ObjectType returns "record:ptr".
func (RecordPTR) ObjectType() string { return TypeRecordPTR }

// RecordCNAME is a DNS CNAME record (object type "record:cname").
type RecordCNAME struct {
	Ref       string   `json:"_ref,omitempty"`
	Name      string   `json:"name,omitempty"`
	Canonical string   `json:"canonical,omitempty"`
	View      string   `json:"view,omitempty"`
	TTL       *uint32  `json:"ttl,omitempty"`
	UseTTL    *bool    `json:"use_ttl,omitempty"`
	Comment   string   `json:"comment,omitempty"`
	ExtAttrs  ExtAttrs `json:"extattrs,omitempty"`
}

// ObjectType returns "record:cname".
func (RecordCNAME) ObjectType() string { return TypeRecordCNAME }

// RecordHost is a host record (object type "record:host").
type RecordHost struct {
	Ref             string     `json:"_ref,omitempty"`
	Name            string     `json:"name,omitempty"`
	View            string     `json:"view,omitempty"`
	IPv4Addrs       []HostIPv4 `json:"ipv4addrs,omitempty"`
	IPv6Addrs       []HostIPv6 `json:"ipv6addrs,omitempty"`
	ConfigureForDNS *bool      `json:"configure_for_dns,omitempty"`
	TTL             *uint32    `json:"ttl,omitempty"`
	UseTTL          *bool      `json:"use_ttl,omitempty"`
	Comment         string     `json:"comment,omitempty"`
	ExtAttrs        ExtAttrs   `json:"extattrs,omitempty"`
}

// ObjectType returns "record:host".
func (RecordHost) ObjectType() string { return TypeRecordHost }

// HostIPv4 is one IPv4 address of a host record.
type HostIPv4 struct {
	Ref              string `json:"_ref,omitempty"`
	IPv4Addr         string `json:"ipv4addr"`
	MAC              string `json:"mac,omitempty"`
	ConfigureForDHCP *bool  `json:"configure_for_dhcp,omitempty"`
}

// HostIPv6 is one IPv6 address of a host record.
type HostIPv6 struct {
	Ref              string `json:"_ref,omitempty"`
	IPv6Addr         string `json:"ipv6addr"`
	DUID             string `json:"duid,omitempty"`
	ConfigureForDHCP *bool  `json:"configure_for_dhcp,omitempty"`
}
