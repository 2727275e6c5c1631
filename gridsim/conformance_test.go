package gridsim_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/turbowapi/turbowapi/gridsim"
	"github.com/turbowapi/turbowapi/internal/simtest"
)

// The conformance suite: black-box tests over HTTPS through internal/simtest, one group per
// numbered behaviour of the simulator's specification, asserting exact status codes and WAPI
// error bodies.

const (
	proto    = "Client.Ibap.Proto"
	conflict = "Client.Ibap.Data.Conflict"
	notFound = "Client.Ibap.Data.NotFound"
)

// 1. URLs and versions.
func TestVersions(t *testing.T) {
	t.Parallel()
	c := start(t)
	for _, tc := range []struct {
		version string
		ok      bool
	}{
		{"v1.0", true}, {"v1.4", true}, {"v2.11", true}, {"v2.12.3", true}, {"v2.13.6", true},
		{"v2.14", false}, {"v3.0", false}, {"v0.9", false}, {"vx", false}, {"2.11", false}, {"v2", false},
	} {
		r := c.do("GET", "/wapi/"+tc.version+"/grid", "")
		if tc.ok {
			if r.status != 200 || !strings.Contains(r.body, `"grid/b25lLmNsdXN0ZXIkMA:Infoblox"`) {
				t.Errorf("%s: %d %s", tc.version, r.status, r.body)
			}
			continue
		}
		want := strings.TrimPrefix(tc.version, "v")
		checkError(t, r, 400, proto, "Version "+want+" not supported", tc.version)
	}
	var schema struct {
		Requested string   `json:"requested_version"`
		Versions  []string `json:"supported_versions"`
		Objects   []string `json:"supported_objects"`
	}
	r := c.do("GET", "/wapi/v2.12/?_schema", "")
	if err := json.Unmarshal([]byte(r.body), &schema); err != nil || r.status != 200 {
		t.Fatalf("schema: %d %s", r.status, r.body)
	}
	if schema.Requested != "2.12" || !contains(schema.Versions, "2.13.6") || !contains(schema.Versions, "1.0") {
		t.Errorf("schema versions: %+v", schema)
	}
	for _, typ := range []string{"grid", "networkview", "networkcontainer", "network", "ipv6networkcontainer",
		"ipv6network", "zone_auth", "record:a", "record:aaaa", "record:ptr", "record:cname", "record:host",
		"record:txt", "record:mx", "fixedaddress"} {
		if !contains(schema.Objects, typ) {
			t.Errorf("schema lacks %s", typ)
		}
	}
	obj := c.must(200, "GET", "network?_schema", "").(map[string]any)
	if obj["type"] != "network" || len(obj["fields"].([]any)) < 5 {
		t.Errorf("network schema: %v", obj)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// 2. Authentication and sessions.
func TestAuthentication(t *testing.T) {
	t.Parallel()
	clk := simtest.NewClock(time.Unix(1_700_000_000, 0))
	c := start(t, gridsim.WithClock(clk.Now))

	anon := *c
	anon.user = ""
	r := anon.do("GET", "grid", "")
	if r.status != 401 || !strings.Contains(r.body, "401 Authorization Required") ||
		r.header.Get("Content-Type") != "text/html; charset=iso-8859-1" {
		t.Fatalf("no credentials: %d %q %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	bad := *c
	bad.pass = "wrong"
	if r := bad.do("GET", "grid", ""); r.status != 401 || !strings.HasPrefix(r.body, "<!DOCTYPE HTML") {
		t.Fatalf("bad password: %d %s", r.status, r.body)
	}

	r = c.do("GET", "grid", "")
	sc := r.header.Get("Set-Cookie")
	if r.status != 200 || !strings.HasPrefix(sc, `ibapauth="ip=127.0.0.1,client=API,group=admin-group,ctime=1700000000,timeout=600,mtime=1700000000,su=1,auth=LOCAL,user=admin,`) ||
		!strings.HasSuffix(sc, `"; httponly; Path=/`) {
		t.Fatalf("login cookie: %d %q", r.status, sc)
	}
	cookie := strings.TrimSuffix(sc, "; httponly; Path=/")
	withCookie := func(ck string) resp {
		a := *c
		a.user = ""
		return a.do("GET", "grid", "", "Cookie: "+ck)
	}
	if r := withCookie(cookie); r.status != 200 || r.header.Get("Set-Cookie") != "" {
		t.Fatalf("cookie: %d %s", r.status, r.body)
	}
	st := c.g.Server.Stats()
	if st.AuthBasic != 1 || st.AuthCookie != 1 || st.Logins != 1 || st.AuthFailed != 2 {
		t.Fatalf("stats: %+v", st)
	}
	for name, ck := range map[string]string{
		"tampered user": strings.Replace(cookie, "user=admin", "user=bob", 1),
		"tampered time": strings.Replace(cookie, "ctime=1700000000", "ctime=1700000001", 1),
		"no signature":  cookie[:strings.LastIndex(cookie, ",")] + `"`,
		"junk":          `ibapauth="junk"`,
	} {
		if r := withCookie(ck); r.status != 401 || !strings.Contains(r.body, "Authorization Required") {
			t.Errorf("%s: %d", name, r.status)
		}
	}
	// idle timeout
	clk.Advance(599 * time.Second)
	if r := withCookie(cookie); r.status != 200 {
		t.Fatalf("cookie within timeout: %d", r.status)
	}
	clk.Advance(601 * time.Second)
	if r := withCookie(cookie); r.status != 401 {
		t.Fatalf("cookie after timeout: %d", r.status)
	}
	// ExpireSessions
	cookie = strings.TrimSuffix(c.do("GET", "grid", "").header.Get("Set-Cookie"), "; httponly; Path=/")
	c.g.Server.ExpireSessions()
	if r := withCookie(cookie); r.status != 401 {
		t.Fatalf("cookie after ExpireSessions: %d", r.status)
	}
	// logout
	cookie = strings.TrimSuffix(c.do("GET", "grid", "").header.Get("Set-Cookie"), "; httponly; Path=/")
	a := *c
	a.user = ""
	if r := a.do("POST", "logout", "", "Cookie: "+cookie); r.status != 200 {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	if r := withCookie(cookie); r.status != 401 {
		t.Fatalf("cookie after logout: %d", r.status)
	}
	// Basic and a valid cookie together: one login only.
	before := c.g.Server.Stats().Logins
	cookie = strings.TrimSuffix(c.do("GET", "grid", "").header.Get("Set-Cookie"), "; httponly; Path=/")
	for range 3 {
		c.must(200, "GET", "grid", "", "Cookie: "+cookie)
	}
	if got := c.g.Server.Stats().Logins - before; got != 1 {
		t.Fatalf("Basic with a valid cookie opened %d sessions, want 1", got)
	}
}

func TestSessionTimeoutOption(t *testing.T) {
	t.Parallel()
	c := start(t, gridsim.WithSessionTimeout(30*time.Second), gridsim.WithUser("ops", "s3cret"))
	c.user, c.pass = "ops", "s3cret"
	r := c.do("GET", "grid", "")
	if !strings.Contains(r.header.Get("Set-Cookie"), ",timeout=30,") || !strings.Contains(r.header.Get("Set-Cookie"), ",user=ops,") {
		t.Fatalf("cookie: %q", r.header.Get("Set-Cookie"))
	}
	c.user, c.pass = "admin", "infoblox" // explicit users replace the default one
	if r := c.do("GET", "grid", ""); r.status != 401 {
		t.Fatalf("default user still accepted: %d", r.status)
	}
}

// fixture creates a DNS zone and a network container with networks.
func fixture(c *client) {
	c.create("zone_auth", `{"fqdn":"example.com"}`)
	c.create("networkcontainer", `{"network":"10.0.0.0/8"}`)
	c.create("network", `{"network":"10.1.0.0/24","comment":"one"}`)
}

// 3. Objects: create and read back each type.
func TestObjectTypes(t *testing.T) {
	t.Parallel()
	c := start(t)
	fixture(c)
	c.create("zone_auth", `{"fqdn":"10.1.0.0/24"}`)
	for _, tc := range []struct {
		typ, body, refPart string
	}{
		{"networkview", `{"name":"lab"}`, ":lab/false"},
		{"ipv6networkcontainer", `{"network":"2001:db8::/32"}`, ":2001%3Adb8%3A%3A/32/default"},
		{"ipv6network", `{"network":"2001:db8:1::/64"}`, ":2001%3Adb8%3A1%3A%3A/64/default"},
		{"record:a", `{"name":"www.example.com","ipv4addr":"10.1.0.10"}`, ":www.example.com/default"},
		{"record:aaaa", `{"name":"www.example.com","ipv6addr":"2001:db8:1::10"}`, ":www.example.com/default"},
		{"record:ptr", `{"ptrdname":"www.example.com","ipv4addr":"10.1.0.10"}`, ":10.0.1.10.in-addr.arpa/default"},
		{"record:cname", `{"name":"alias.example.com","canonical":"www.example.com"}`, ":alias.example.com/default"},
		{"record:host", `{"name":"h1.example.com","ipv4addrs":[{"ipv4addr":"10.1.0.20"}]}`, ":h1.example.com/default"},
		{"record:txt", `{"name":"example.com","text":"v=spf1 -all"}`, ":example.com/default"},
		{"record:mx", `{"name":"example.com","mail_exchanger":"mx.example.com","preference":10}`, ":example.com/default"},
		{"fixedaddress", `{"ipv4addr":"10.1.0.30","mac":"AA:BB:CC:DD:EE:FF"}`, ":10.1.0.30/default"},
	} {
		ref := c.create(tc.typ, tc.body)
		if !strings.HasPrefix(ref, tc.typ+"/") || !strings.HasSuffix(ref, tc.refPart) {
			t.Errorf("%s: ref %q, want %s/...%s", tc.typ, ref, tc.typ, tc.refPart)
		}
		obj := c.must(200, "GET", ref, "").(map[string]any)
		if obj["_ref"] != ref {
			t.Errorf("%s: read back %v", tc.typ, obj)
		}
		list := c.must(200, "GET", tc.typ, "").([]any)
		if len(list) == 0 {
			t.Errorf("%s: search returned nothing", tc.typ)
		}
	}
	host := c.must(200, "GET", "record:host?name=h1.example.com", "").([]any)[0].(map[string]any)
	addrs := host["ipv4addrs"].([]any)[0].(map[string]any)
	if addrs["host"] != "h1.example.com" || addrs["ipv4addr"] != "10.1.0.20" ||
		!strings.HasPrefix(addrs["_ref"].(string), "record:host_ipv4addr/") || addrs["configure_for_dhcp"] != false {
		t.Errorf("host address: %v", addrs)
	}
	fa := c.must(200, "GET", "fixedaddress?_return_fields%2B=mac,network", "").([]any)[0].(map[string]any)
	if fa["mac"] != "aa:bb:cc:dd:ee:ff" || fa["network"] != "10.1.0.0/24" {
		t.Errorf("fixed address: %v", fa)
	}
	rec := c.must(200, "GET", "record:a?_return_fields%2B=zone,ttl,use_ttl", "").([]any)[0].(map[string]any)
	if rec["zone"] != "example.com" || rec["use_ttl"] != false {
		t.Errorf("record:a: %v", rec)
	}
	// refs are stable: the same key gives the same ref.
	want := "network/ZG5zLm5ldHdvcmskMTAuMS4wLjAvMjQvMA:10.1.0.0/24/default"
	if got := c.must(200, "GET", "network?network=10.1.0.0/24", "").([]any)[0].(map[string]any)["_ref"]; got != want {
		t.Errorf("network ref %v, want %s", got, want)
	}
}

// 3. Uniqueness, parents, containment.
func TestConflictsAndParents(t *testing.T) {
	t.Parallel()
	c := start(t)
	fixture(c)
	c.create("record:cname", `{"name":"alias.example.com","canonical":"www.example.com"}`)
	c.create("record:a", `{"name":"www.example.com","ipv4addr":"10.1.0.10"}`)
	for _, tc := range []struct {
		name, typ, body string
		status          int
		code, text      string
	}{
		{"duplicate network", "network", `{"network":"10.1.0.0/24"}`, 400, conflict,
			"The network 10.1.0.0/24 already exists.  Select another network."},
		{"network over container", "network", `{"network":"10.0.0.0/8"}`, 400, conflict,
			"The network 10.0.0.0/8 already exists.  Select another network."},
		{"duplicate zone", "zone_auth", `{"fqdn":"example.com"}`, 400, conflict,
			"Duplicate object 'example.com' of type zone exists in the database."},
		{"duplicate A", "record:a", `{"name":"www.example.com","ipv4addr":"10.1.0.10"}`, 400, conflict,
			"The record 'www.example.com' already exists."},
		{"A on a CNAME", "record:a", `{"name":"alias.example.com","ipv4addr":"10.1.0.11"}`, 400, conflict,
			"The record 'alias.example.com' already exists."},
		{"host on a CNAME", "record:host", `{"name":"alias.example.com","ipv4addrs":[{"ipv4addr":"10.1.0.12"}]}`, 400, conflict,
			"The record 'alias.example.com' already exists."},
		{"CNAME on an A", "record:cname", `{"name":"www.example.com","canonical":"x.example.com"}`, 400, conflict,
			"The record 'www.example.com' already exists."},
		{"duplicate CNAME", "record:cname", `{"name":"alias.example.com","canonical":"y.example.com"}`, 400, conflict,
			"The record 'alias.example.com' already exists."},
		{"record without zone", "record:a", `{"name":"www.nowhere.org","ipv4addr":"10.1.0.10"}`, 400, conflict,
			"The action is not allowed. A parent was not found."},
		{"host without zone", "record:host", `{"name":"h.nowhere.org","ipv4addrs":[{"ipv4addr":"10.1.0.10"}]}`, 400, conflict,
			"The action is not allowed. A parent was not found."},
		{"fixed address outside networks", "fixedaddress", `{"ipv4addr":"192.0.2.1","mac":"00:00:00:00:00:01"}`, 400, conflict,
			"The action is not allowed. A parent was not found."},
		{"network in a missing view", "network", `{"network":"10.2.0.0/24","network_view":"nope"}`, 404, notFound,
			"Network View nope not found"},
		{"zone in a missing view", "zone_auth", `{"fqdn":"example.org","view":"yop"}`, 404, notFound, "View yop not found"},
		{"duplicate view", "networkview", `{"name":"default"}`, 400, conflict,
			"Duplicate object 'default' of type network_view already exists in the database."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.fails(tc.status, tc.code, tc.text, "POST", tc.typ, tc.body)
		})
	}
	// the same CIDR in another network view is fine; so are A, AAAA and host sharing a name.
	c.create("networkview", `{"name":"lab"}`)
	c.create("network", `{"network":"10.1.0.0/24","network_view":"lab"}`)
	c.create("record:a", `{"name":"www.example.com","ipv4addr":"10.1.0.99"}`)
	c.create("record:host", `{"name":"www.example.com","ipv4addrs":[{"ipv4addr":"10.1.0.98"}]}`)
	// a host that is not in DNS needs no zone.
	c.create("record:host", `{"name":"h.nowhere.org","configure_for_dns":false,"ipv4addrs":[{"ipv4addr":"10.1.0.97"}]}`)
}

func TestContainment(t *testing.T) {
	t.Parallel()
	c := start(t)
	container := func(cidr string) string {
		l := c.must(200, "GET", "network?_return_fields=network_container&network="+cidr, "").([]any)
		if len(l) != 1 {
			t.Fatalf("network %s: %v", cidr, l)
		}
		return l[0].(map[string]any)["network_container"].(string)
	}
	c.create("network", `{"network":"10.1.1.0/24"}`)
	c.create("network", `{"network":"10.1.2.0/24"}`)
	if got := container("10.1.1.0/24"); got != "/" {
		t.Fatalf("top-level network's container %q", got)
	}
	// a container created around existing networks adopts them.
	c.create("networkcontainer", `{"network":"10.0.0.0/8"}`)
	c.create("networkcontainer", `{"network":"10.1.0.0/16"}`)
	if got := container("10.1.1.0/24"); got != "10.1.0.0/16" {
		t.Fatalf("closest container %q, want 10.1.0.0/16", got)
	}
	children := c.must(200, "GET", "network?network_container=10.1.0.0/16", "").([]any)
	if len(children) != 2 {
		t.Fatalf("children of 10.1.0.0/16: %v", children)
	}
	cc := c.must(200, "GET", "networkcontainer?network_container=10.0.0.0/8", "").([]any)
	if len(cc) != 1 {
		t.Fatalf("containers in 10.0.0.0/8: %v", cc)
	}
	// a network created around existing networks becomes a container.
	c.create("network", `{"network":"10.3.0.1/32"}`)
	ref := c.create("network", `{"network":"10.3.0.0/16"}`)
	if !strings.HasPrefix(ref, "networkcontainer/") {
		t.Fatalf("network around a network: %s", ref)
	}
	// a network inside a network is refused.
	c.fails(400, conflict, "The network 10.1.1.0/25 cannot be created inside network 10.1.1.0/24: only a network container can hold networks.",
		"POST", "network", `{"network":"10.1.1.0/25"}`)
	// search by address
	l := c.must(200, "GET", "network?ipv4addr=10.1.2.77", "").([]any)
	if len(l) != 1 || l[0].(map[string]any)["network"] != "10.1.2.0/24" {
		t.Fatalf("ipv4addr search: %v", l)
	}
	// deleting a container without remove_subnets keeps its networks, re-parented.
	c16 := c.must(200, "GET", "networkcontainer?network=10.1.0.0/16", "").([]any)[0].(map[string]any)["_ref"].(string)
	c.must(200, "DELETE", c16+"?remove_subnets=false", "")
	if got := container("10.1.1.0/24"); got != "10.0.0.0/8" {
		t.Fatalf("after deleting the /16: container %q", got)
	}
	// deleting a container removes its networks by default.
	c8 := c.must(200, "GET", "networkcontainer?network=10.0.0.0/8", "").([]any)[0].(map[string]any)["_ref"].(string)
	c.must(200, "DELETE", c8, "")
	if l := c.must(200, "GET", "network", "").([]any); len(l) != 0 {
		t.Fatalf("after deleting the /8: %v", l)
	}
}

// 3. Extensible attributes.
func TestExtensibleAttributes(t *testing.T) {
	t.Parallel()
	c := start(t)
	ref := c.create("network", `{"network":"10.5.0.0/24","extattrs":{"Site":{"value":"East"},"Tags":{"value":["a","b"]}}}`)
	c.create("network", `{"network":"10.6.0.0/24","extattrs":{"Site":{"value":"West"}}}`)
	if o := c.must(200, "GET", ref, "").(map[string]any); o["extattrs"] != nil {
		t.Fatalf("extattrs returned by default: %v", o)
	}
	o := c.must(200, "GET", ref+"?_return_fields%2B=extattrs", "").(map[string]any)
	ea := o["extattrs"].(map[string]any)
	if ea["Site"].(map[string]any)["value"] != "East" {
		t.Fatalf("extattrs: %v", o)
	}
	for q, n := range map[string]int{"*Site=East": 1, "*Site:=east": 1, "*Site~=^.*st$": 2, "*Site!=East": 1, "*Tags=b": 1} {
		if l := c.must(200, "GET", "network?"+q, "").([]any); len(l) != n {
			t.Errorf("%s: %d results, want %d", q, len(l), n)
		}
	}
	c.fails(400, proto, "Unknown extensible attribute: Nope", "GET", "network?*Nope=x", "")
	c.must(200, "PUT", ref, `{"extattrs+":{"Owner":{"value":"me"}},"extattrs-":{"Site":{}}}`)
	o = c.must(200, "GET", ref+"?_return_fields=extattrs", "").(map[string]any)
	ea = o["extattrs"].(map[string]any)
	if ea["Owner"] == nil || ea["Site"] != nil {
		t.Fatalf("after extattrs+/-: %v", ea)
	}
	c.fails(400, proto, `Invalid value for extattrs: {"Site":"East"}: Extensible attribute values must be objects with a value`,
		"POST", "network", `{"network":"10.7.0.0/24","extattrs":{"Site":"East"}}`)
}

// 4. Methods.
func TestMethods(t *testing.T) {
	t.Parallel()
	c := start(t)
	r := c.do("POST", "network", `{"network":"10.9.0.0/24","comment":"a"}`)
	if r.status != 201 || r.body != `"network/ZG5zLm5ldHdvcmskMTAuOS4wLjAvMjQvMA:10.9.0.0/24/default"` {
		t.Fatalf("POST: %d %s", r.status, r.body)
	}
	ref := strings.Trim(r.body, `"`)
	o := c.must(201, "POST", "network?_return_fields=network,comment", `{"network":"10.9.1.0/24","comment":"b"}`).(map[string]any)
	if o["comment"] != "b" || o["network"] != "10.9.1.0/24" || o["_ref"] == nil {
		t.Fatalf("POST with _return_fields: %v", o)
	}
	if r := c.do("GET", "network?comment=nothing", ""); r.status != 200 || r.body != "[]" {
		t.Fatalf("no match: %d %s", r.status, r.body)
	}
	if l := c.must(200, "GET", "network?comment=a", "").([]any); len(l) != 1 {
		t.Fatalf("one match is still a list: %v", l)
	}
	if o := c.must(200, "GET", ref, "").(map[string]any); o["comment"] != "a" {
		t.Fatalf("GET ref: %v", o)
	}
	if got := c.must(200, "PUT", ref, `{"comment":"changed"}`); got != ref {
		t.Fatalf("PUT: %v", got)
	}
	if o := c.must(200, "GET", ref, "").(map[string]any); o["comment"] != "changed" {
		t.Fatalf("after PUT: %v", o)
	}
	if got := c.must(200, "DELETE", ref, ""); got != ref {
		t.Fatalf("DELETE: %v", got)
	}
	c.fails(404, notFound, "Reference "+ref+" not found", "GET", ref, "")
	r = c.do("GET", ref, "")
	want := `{ "Error": "AdmConDataNotFoundError: Reference ` + ref + ` not found",` + "\n" +
		`  "code": "Client.Ibap.Data.NotFound",` + "\n" + `  "text": "Reference ` + ref + ` not found"` + "\n}"
	if r.body != want {
		t.Fatalf("404 body:\n%s\nwant:\n%s", r.body, want)
	}
	// JSON without a Content-Type, and form-encoded bodies.
	c.must(201, "POST", "network", `{"network":"10.9.2.0/24"}`, "Content-Type: ")
	c.must(201, "POST", "network", "network=10.9.3.0%2F24&comment=test-network", "Content-Type: application/x-www-form-urlencoded")
	c.must(201, "POST", "network", `{"network":"10.9.4.0/24"}`, "Content-Type: application/x-www-form-urlencoded")
	if l := c.must(200, "GET", "network?comment=test-network", "").([]any); len(l) != 1 {
		t.Fatalf("form-encoded create: %v", l)
	}
	// PUT of a create-only field with a new value
	ref2 := c.must(200, "GET", "network?network=10.9.2.0/24", "").([]any)[0].(map[string]any)["_ref"].(string)
	c.fails(400, proto, "Field is not writable: network", "PUT", ref2, `{"network":"10.9.9.0/24"}`)
	c.fails(400, proto, "Field is not writable: network_container", "PUT", ref2, `{"network_container":"/"}`)
	// a record renamed gets a new ref
	c.create("zone_auth", `{"fqdn":"example.com"}`)
	a := c.create("record:a", `{"name":"a.example.com","ipv4addr":"10.9.2.1"}`)
	a2 := c.must(200, "PUT", a, `{"name":"b.example.com"}`).(string)
	if a2 == a || !strings.HasSuffix(a2, ":b.example.com/default") {
		t.Fatalf("rename: %s -> %s", a, a2)
	}
	c.fails(404, notFound, "Reference "+a+" not found", "GET", a, "")
}

// 5. Arguments.
func TestArguments(t *testing.T) {
	t.Parallel()
	c := start(t)
	var items []string
	for i := range 1001 {
		items = append(items, fmt.Sprintf(`{"method":"POST","object":"network","data":{"network":"10.%d.%d.0/24","comment":"c%d"}}`, i/256, i%256, i%3))
	}
	c.must(200, "POST", "request", "["+strings.Join(items, ",")+"]")
	c.fails(400, proto, "Result set too large (> 1000)", "GET", "network", "")
	if l := c.must(200, "GET", "network?_max_results=5", "").([]any); len(l) != 5 {
		t.Fatalf("_max_results=5: %d", len(l))
	}
	c.fails(400, proto, "Result set too large (> 5)", "GET", "network?_max_results=-5", "")
	if l := c.must(200, "GET", "network?_max_results=2000", "").([]any); len(l) != 1001 {
		t.Fatalf("_max_results=2000: %d", len(l))
	}
	o := c.must(200, "GET", "network?_max_results=1&_return_as_object=1", "").(map[string]any)
	if len(o["result"].([]any)) != 1 {
		t.Fatalf("_return_as_object: %v", o)
	}
	o = c.must(201, "POST", "network?_return_as_object=1", `{"network":"11.0.0.0/24"}`).(map[string]any)
	if !strings.HasPrefix(o["result"].(string), "network/") {
		t.Fatalf("POST _return_as_object: %v", o)
	}
	// return fields
	one := func(q string) map[string]any {
		return c.must(200, "GET", "network?network=10.0.1.0/24&"+q, "").([]any)[0].(map[string]any)
	}
	if o := one("_return_fields=comment"); len(o) != 2 || o["comment"] != "c1" {
		t.Errorf("_return_fields=comment: %v", o)
	}
	if o := one("_return_fields%2B=network_container,disable"); len(o) != 6 || o["disable"] != false {
		t.Errorf("_return_fields+: %v", o)
	}
	if o := one("_return_fields+=extattrs"); o["extattrs"] == nil || o["network_view"] != "default" {
		t.Errorf("_return_fields+ unencoded: %v", o)
	}
	if o := one("_return_fields%2B="); len(o) != 4 {
		t.Errorf("empty _return_fields+: %v", o)
	}
	c.fails(400, proto, "Unknown argument/field: nope", "GET", "network?_return_fields=nope", "")
	c.fails(400, proto, "Field is not readable: template", "GET", "network?_return_fields=template", "")
	// modifiers
	for q, n := range map[string]int{
		"comment=c1": 334, "comment:=C1": 334, "comment~=^c[12]$": 667, "comment:~=^C2": 333,
		"comment!=c1": 668, "network~=^10.3.": 233, "network_view=default": 1002,
		"comment=c1&comment=c2": 667, "_proxy_search=GM&comment=c0": 334,
	} {
		if l := c.must(200, "GET", "network?_max_results=5000&"+q, "").([]any); len(l) != n {
			t.Errorf("%s: %d results, want %d", q, len(l), n)
		}
	}
	c.create("zone_auth", `{"fqdn":"example.com"}`)
	for i := range 5 {
		c.create("record:a", fmt.Sprintf(`{"name":"h%d.example.com","ipv4addr":"10.0.0.%d"}`, i, i+1))
	}
	for q, n := range map[string]int{"ipv4addr>=10.0.0.3": 3, "ipv4addr<=10.0.0.2": 2, "name:=H1.EXAMPLE.COM": 1, "zone=example.com": 5} {
		if l := c.must(200, "GET", "record:a?"+q, "").([]any); len(l) != n {
			t.Errorf("%s: %d results, want %d", q, len(l), n)
		}
	}
	// search filters as a JSON body on GET
	if l := c.must(200, "GET", "record:a", `{"name~":"h[0-2]","ipv4addr>":"10.0.0.2"}`).([]any); len(l) != 2 {
		t.Errorf("JSON body filters: %d", len(l))
	}
	c.fails(400, proto, "Unknown argument/field: netwdork", "GET", "network?netwdork=x", "")
	c.fails(400, proto, "Field is not searchable: disable", "GET", "network?disable=false", "")
	c.fails(400, proto, "Field is not searchable: members", "GET", "network", `{"members":"48"}`)
	c.fails(400, proto, "Search modifier '<' is not allowed for field: comment", "GET", "network?comment<=x", "")
	c.fails(400, proto, "Unknown argument/field: _bogus", "GET", "network?_bogus=1", "")
}

// 5. Paging.
func TestPaging(t *testing.T) {
	t.Parallel()
	c := start(t)
	var items []string
	for i := range 2500 {
		items = append(items, fmt.Sprintf(`{"method":"POST","object":"network","data":{"network":"10.%d.%d.0/24"}}`, i/256, i%256))
	}
	c.must(200, "POST", "request", "["+strings.Join(items, ",")+"]")
	seen := map[string]bool{}
	q := "network?_paging=1&_return_as_object=1&_max_results=1000"
	var sizes []int
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("too many pages")
		}
		o := c.must(200, "GET", q, "").(map[string]any)
		res := o["result"].([]any)
		sizes = append(sizes, len(res))
		for _, x := range res {
			n := x.(map[string]any)["network"].(string)
			if seen[n] {
				t.Fatalf("%s twice", n)
			}
			seen[n] = true
		}
		next, ok := o["next_page_id"].(string)
		if !ok {
			break
		}
		q = "network?_page_id=" + next
	}
	if fmt.Sprint(sizes) != "[1000 1000 500]" || len(seen) != 2500 {
		t.Fatalf("pages %v, %d distinct", sizes, len(seen))
	}
	// network order
	o := c.must(200, "GET", "network?_paging=1&_return_as_object=1&_max_results=3", "").(map[string]any)
	var got []string
	for _, x := range o["result"].([]any) {
		got = append(got, x.(map[string]any)["network"].(string))
	}
	if strings.Join(got, " ") != "10.0.0.0/24 10.0.1.0/24 10.0.2.0/24" {
		t.Fatalf("order: %v", got)
	}
	c.fails(400, proto, "_paging requires _max_results and _return_as_object", "GET", "network?_paging=1&_max_results=5", "")
	c.fails(400, proto, "Invalid page id: garbage", "GET", "network?_page_id=garbage", "")
	ref := got[0]
	_ = ref
	r := o["result"].([]any)[0].(map[string]any)["_ref"].(string)
	c.fails(400, proto, "Paging is not supported for object reference read operations", "GET",
		r+"?_paging=1&_return_as_object=1&_max_results=5", "")
}

// 6. The request object.
func TestRequestObject(t *testing.T) {
	t.Parallel()
	c := start(t)
	c.create("zone_auth", `{"fqdn":"somewhere.com"}`)
	c.create("record:host", `{"name":"test.somewhere.com","ipv4addrs":[{"ipv4addr":"10.0.0.1"}],"configure_for_dns":true}`)
	// the documented sample: GET, PUT with substitution, STATE:DISPLAY.
	body := `[{"method":"GET","object":"record:host","data":{"name":"test.somewhere.com"},"assign_state":{"host_ref":"_ref","host_name":"name"},"discard":true},
	{"method":"PUT","object":"##STATE:host_ref:##","enable_substitution":true,"data":{"comment":"new comment"},"args":{"_return_fields+":"comment"},"assign_state":{"updated_comment":"comment"},"discard":true},
	{"method":"STATE:DISPLAY"}]`
	out := c.must(200, "POST", "request", body).([]any)
	st := out[0].(map[string]any)
	if len(out) != 1 || st["host_name"] != "test.somewhere.com" || st["updated_comment"] != "new comment" ||
		!strings.HasPrefix(st["host_ref"].(string), "record:host/") {
		t.Fatalf("state: %v", out)
	}
	// a single-object body answers like the call itself.
	if r := c.do("POST", "request", `{"method":"POST","object":"network","data":{"network":"10.1.0.0/24"}}`); r.status != 201 ||
		!strings.HasPrefix(r.body, `"network/`) {
		t.Fatalf("single: %d %s", r.status, r.body)
	}
	// many POSTs: refs in order.
	out = c.must(200, "POST", "request", `[{"method":"POST","object":"network","data":{"network":"10.2.0.0/24"}},
		{"method":"STATE:ASSIGN","data":{"x":"10.3.0.0/24"}},
		{"method":"POST","object":"network","data":{"network":"##STATE:x:##"},"enable_substitution":true}]`).([]any)
	if len(out) != 2 || !strings.Contains(out[1].(string), "10.3.0.0/24") {
		t.Fatalf("batch refs: %v", out)
	}
	// all or nothing: one duplicate, nothing created; the reply is that item's error.
	before := len(c.must(200, "GET", "network", "").([]any))
	c.fails(400, proto, "Unknown object type (##STATE:nothing:##)", "POST", "request",
		`[{"method":"POST","object":"network","data":{"network":"10.4.0.0/24"}},
		  {"method":"PUT","object":"##STATE:nothing:##","enable_substitution":false,"data":{}}]`)
	c.fails(400, conflict, "The network 10.1.0.0/24 already exists.  Select another network.", "POST", "request",
		`[{"method":"POST","object":"network","data":{"network":"10.4.0.0/24"}},
		  {"method":"POST","object":"network","data":{"network":"10.1.0.0/24"}}]`)
	if after := len(c.must(200, "GET", "network", "").([]any)); after != before {
		t.Fatalf("a failed batch left %d objects", after-before)
	}
	c.fails(400, proto, "The request object takes no arguments: _return_fields", "POST", "request?_return_fields=a", `[]`)
	c.fails(400, proto, "Unknown argument/field: bogus", "POST", "request", `[{"method":"GET","object":"network","bogus":1}]`)
	c.fails(400, proto, `Invalid value for method: "PATCH": Must be one of GET, POST, PUT, DELETE, STATE:ASSIGN, STATE:DISPLAY`,
		"POST", "request", `[{"method":"PATCH","object":"network"}]`)
	c.fails(400, proto, "Operation read not allowed for request", "GET", "request", "")
	// the cap on items
	capped := start(t, gridsim.WithMaxBatch(2))
	capped.fails(400, proto, "Too many objects in the request: 3 (the limit is 2)", "POST", "request",
		`[{"method":"STATE:DISPLAY"},{"method":"STATE:DISPLAY"},{"method":"STATE:DISPLAY"}]`)
}

// 7. Functions.
func TestFunctions(t *testing.T) {
	t.Parallel()
	c := start(t)
	c.create("networkcontainer", `{"network":"10.0.0.0/8"}`)
	c.create("network", `{"network":"10.0.0.0/24"}`)
	c.create("network", `{"network":"10.0.2.0/24"}`)
	cont := c.must(200, "GET", "networkcontainer", "").([]any)[0].(map[string]any)["_ref"].(string)
	net := c.must(200, "GET", "network?network=10.0.0.0/24", "").([]any)[0].(map[string]any)["_ref"].(string)
	o := c.must(200, "POST", cont+"?_function=next_available_network", `{"cidr":24,"num":3,"exclude":["10.0.3.0/24"]}`).(map[string]any)
	if fmt.Sprint(o["networks"]) != "[10.0.1.0/24 10.0.4.0/24 10.0.5.0/24]" {
		t.Fatalf("next_available_network: %v", o)
	}
	c.create("fixedaddress", `{"ipv4addr":"10.0.0.1","mac":"00:00:00:00:00:01"}`)
	o = c.must(200, "POST", net+"?_function=next_available_ip", `{"num":3,"exclude":["10.0.0.3"]}`).(map[string]any)
	if fmt.Sprint(o["ips"]) != "[10.0.0.2 10.0.0.4 10.0.0.5]" {
		t.Fatalf("next_available_ip: %v", o)
	}
	c.fails(400, proto, "Function next_available_ip illegal with this method", "GET", net+"?_function=next_available_ip", "")
	c.fails(400, proto, "Function next_available_ip illegal with this method", "PUT", net+"?_function=next_available_ip", "{}")
	c.fails(400, proto, "required function parameter missing: cidr", "POST", cont+"?_function=next_available_network", `{}`)
	c.fails(400, proto, "Function next_available_ip is not valid for this object", "POST", cont+"?_function=next_available_ip", `{}`)
	// inline allocation
	ref := c.create("network", `{"network":"func:nextavailablenetwork:10.0.0.0/8,default,24"}`)
	if !strings.HasSuffix(ref, ":10.0.1.0/24/default") {
		t.Fatalf("inline network: %s", ref)
	}
	ref = c.create("fixedaddress", `{"ipv4addr":"func:nextavailableip:10.0.0.0/24,default","mac":"00:00:00:00:00:02"}`)
	if !strings.HasSuffix(ref, ":10.0.0.2/default") {
		t.Fatalf("inline ip: %s", ref)
	}
	ref = c.create("network", `{"network":{"_object_function":"next_available_network","_result_field":"networks","_object":"networkcontainer","_object_parameters":{"network":"10.0.0.0/8"},"_parameters":{"cidr":24}}}`)
	if !strings.HasSuffix(ref, ":10.0.3.0/24/default") {
		t.Fatalf("long form: %s", ref)
	}
	c.fails(400, proto, "10.99.0.0/24,default does not match any unique networks/ranges (ipv4addr)", "POST", "fixedaddress",
		`{"ipv4addr":"func:nextavailableip:10.99.0.0/24,default","mac":"00:00:00:00:00:03"}`)
	// exhaustion
	c.create("network", `{"network":"192.168.0.0/30"}`)
	c.create("fixedaddress", `{"ipv4addr":"func:nextavailableip:192.168.0.0/30","mac":"00:00:00:00:00:04"}`)
	c.create("fixedaddress", `{"ipv4addr":"func:nextavailableip:192.168.0.0/30","mac":"00:00:00:00:00:05"}`)
	c.fails(400, conflict, "Cannot find 1 available IP address(es) in this network", "POST", "fixedaddress",
		`{"ipv4addr":"func:nextavailableip:192.168.0.0/30","mac":"00:00:00:00:00:06"}`)
}

// 7. Allocation inside creates is atomic.
func TestConcurrentAllocation(t *testing.T) {
	t.Parallel()
	c := start(t)
	c.create("network", `{"network":"10.0.0.0/24"}`)
	c.create("networkcontainer", `{"network":"172.16.0.0/12"}`)
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := map[string]int{}
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var r resp
			if i%2 == 0 {
				r = c.do("POST", "fixedaddress", fmt.Sprintf(`{"ipv4addr":"func:nextavailableip:10.0.0.0/24","mac":"00:00:00:00:00:%02x"}`, i))
			} else {
				r = c.do("POST", "network", `{"network":"func:nextavailablenetwork:172.16.0.0/12,default,28"}`)
			}
			mu.Lock()
			got[r.body]++
			mu.Unlock()
			if r.status != 201 {
				t.Errorf("create: %d %s", r.status, r.body)
			}
		}()
	}
	wg.Wait()
	if len(got) != 40 {
		t.Fatalf("40 concurrent allocations gave %d distinct results", len(got))
	}
}

// 8. Transport and bad input: every one answered with the WAPI error shape, never 500.
func TestBadInput(t *testing.T) {
	t.Parallel()
	c := start(t, gridsim.WithMaxBody(4096))
	c.create("network", `{"network":"10.0.0.0/24"}`)
	big := `{"network":"10.1.0.0/24","comment":"` + strings.Repeat("x", 5000) + `"}`
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		code, text               string
	}{
		{"malformed JSON", "POST", "network", `{"network":`, 400, "Client.Ibap.Proto.JSONDecoding", "JSON Decoding: Unterminated JSON value: line 1 column 12 (char 11)"},
		{"not JSON", "POST", "network", `}}`, 400, "Client.Ibap.Proto.JSONDecoding", "JSON Decoding: No JSON object could be decoded"},
		{"trailing data", "POST", "network", `{"network":"10.2.0.0/24"} x`, 400, "Client.Ibap.Proto.JSONDecoding", "JSON Decoding: Extra data: line 1 column 27 (char 26)"},
		{"bad UTF-8", "POST", "network", "{\"comment\":\"\xb4\"}", 400, "Client.Ibap.Proto.JSONDecoding", "JSON Decoding: 'utf8' codec can't decode byte 0xb4 in position 12: invalid start byte"},
		{"body not an object", "POST", "network", `["a"]`, 400, proto, "Invalid data: a JSON object is expected"},
		{"unknown type", "GET", "record", "", 400, proto, "Unknown object type (record)"},
		{"unknown type POST", "POST", "frobnicator", `{}`, 400, proto, "Unknown object type (frobnicator)"},
		{"unknown field", "POST", "network", `{"network":"10.3.0.0/24","netwdork":"x"}`, 400, proto, "Unknown argument/field: netwdork"},
		{"unknown filter", "GET", "network?foo=1", "", 400, proto, "Unknown argument/field: foo"},
		{"unsearchable field", "GET", "network?members=1", "", 400, proto, "Field is not searchable: members"},
		{"missing required", "POST", "network", `{"comment":"x"}`, 400, proto, "field for create missing: network"},
		{"missing required A", "POST", "record:a", `{"name":"a.b.c"}`, 400, proto, "field for create missing: ipv4addr"},
		{"invalid CIDR", "POST", "network", `{"network":"10.0.0.0/33"}`, 400, proto, `Invalid value for network: "10.0.0.0/33": Invalid network`},
		{"host bits", "POST", "network", `{"network":"10.0.0.1/24"}`, 400, proto, `Invalid value for network: "10.0.0.1/24": Invalid network: host bits are set`},
		{"IPv6 in network", "POST", "network", `{"network":"2001:db8::/32"}`, 400, proto, `Invalid value for network: "2001:db8::/32": Must be an IPv4 network`},
		{"invalid address", "POST", "fixedaddress", `{"ipv4addr":"10.0.0.300"}`, 400, proto, `Invalid value for ipv4addr: "10.0.0.300": Must be a valid IPv4 address`},
		{"wrong type", "POST", "network", `{"network":"10.4.0.0/24","comment":true}`, 400, proto, "Invalid value for comment: true: Must be string type"},
		{"bad boolean", "POST", "network", `{"network":"10.4.0.0/24","disable":1}`, 400, proto, "Invalid value for disable: 1: Must be boolean type"},
		{"read-only field", "POST", "network", `{"network":"10.4.0.0/24","network_container":"/"}`, 400, proto, "Field is not writable: network_container"},
		{"create not allowed", "POST", "grid", `{}`, 400, proto, "Operation create not allowed for grid"},
		{"function with GET", "GET", "network?_function=next_available_ip", "", 400, proto, "Function next_available_ip illegal with this method"},
		{"PUT on a type", "PUT", "network", `{}`, 400, proto, "Operation update not allowed for an object type: a reference is needed"},
		{"DELETE on a type", "DELETE", "network", "", 400, proto, "Operation delete not allowed for an object type: a reference is needed"},
		{"PATCH", "PATCH", "network", `{}`, 400, proto, "Unsupported HTTP method: PATCH"},
		{"oversized body", "POST", "network", big, 413, proto, "Request body too large: the limit is 4096 bytes"},
		{"unknown ref", "GET", "network/ZG5zLm5ldHdvcmskMTAuOS4wLjAvMjQvMA:10.9.0.0/24/default", "", 404, notFound,
			"Reference network/ZG5zLm5ldHdvcmskMTAuOS4wLjAvMjQvMA:10.9.0.0/24/default not found"},
		{"junk ref", "GET", "network/!!!junk", "", 404, notFound, "Reference network/!!!junk not found"},
		{"ref of another type", "DELETE", "zone_auth/ZG5zLm5ldHdvcmskMTAuMC4wLjAvMjQvMA:x", "", 404, notFound,
			"Reference zone_auth/ZG5zLm5ldHdvcmskMTAuMC4wLjAvMjQvMA:x not found"},
		{"ref of unknown type", "GET", "bogus/ZG5z:x", "", 400, proto, "Unknown object type (bogus)"},
		{"bad _max_results", "GET", "network?_max_results=abc", "", 400, proto, "Invalid value for _max_results: abc: Must be a non-zero integer"},
		{"bad _return_type", "GET", "network?_return_type=yaml", "", 400, proto, "Invalid value for _return_type: yaml: Must be one of json, json-pretty, xml, xml-pretty"},
		{"bad regex", "GET", "network?comment~=(", "", 400, proto, "Invalid regular expression for comment~: ("},
		{"bad escape", "GET", "network?comment=%zz", "", 400, proto, "Invalid URL encoding in argument: comment"},
		{"no object", "GET", "", "", 400, proto, "An object type or _schema is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c.fails(tc.status, tc.code, tc.text, tc.method, tc.path, tc.body)
		})
	}
	st := c.g.Server.Stats()
	if st.RequestsByStatus["500"] != 0 {
		t.Fatalf("500s: %v", st.RequestsByStatus)
	}
	// Unknown paths outside /wapi are HTML 404s.
	if r := c.do("GET", "/nothing", ""); r.status != 404 || !strings.Contains(r.body, "Not Found") {
		t.Fatalf("unknown path: %d %s", r.status, r.body)
	}
}

// 10. Operation endpoints.
func TestSimEndpoints(t *testing.T) {
	t.Parallel()
	var log strings.Builder
	var mu sync.Mutex
	c := start(t, gridsim.WithAccessLog(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return log.Write(p)
	})))
	c.create("network", `{"network":"10.0.0.0/24"}`)
	if o := c.must(200, "GET", "/_sim/health", "").(map[string]any); o["status"] != "ok" {
		t.Fatalf("health: %v", o)
	}
	var st gridsim.Stats
	r := c.do("GET", "/_sim/stats", "")
	if err := json.Unmarshal([]byte(r.body), &st); err != nil {
		t.Fatal(err)
	}
	if st.Objects["network"] != 1 || st.RequestsByMethod["POST"] != 1 || st.RequestsByStatus["201"] != 1 ||
		st.Logins != 1 || st.Connections < 1 || st.InFlight != 1 {
		t.Fatalf("stats: %s", r.body)
	}
	if r := c.do("POST", "/_sim/reset", ""); r.status != 403 {
		t.Fatalf("reset without --allow-reset: %d", r.status)
	}
	mu.Lock()
	if !strings.Contains(log.String(), `"POST /wapi/v2.11/network HTTP/1.1" 201 `) || !strings.Contains(log.String(), " - admin [") {
		t.Errorf("access log:\n%s", log.String())
	}
	mu.Unlock()
	c2 := start(t, gridsim.WithAllowReset(true))
	c2.create("network", `{"network":"10.0.0.0/24"}`)
	c2.must(200, "POST", "/_sim/reset", "")
	if l := c2.must(200, "GET", "network", "").([]any); len(l) != 0 {
		t.Fatalf("after reset: %v", l)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// Concurrency: many clients at once (run with -race).
func TestConcurrentClients(t *testing.T) {
	t.Parallel()
	c := start(t)
	c.create("zone_auth", `{"fqdn":"example.com"}`)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				c.must(201, "POST", "network", fmt.Sprintf(`{"network":"10.%d.%d.0/24"}`, w, i))
				c.must(201, "POST", "record:a", fmt.Sprintf(`{"name":"h%d-%d.example.com","ipv4addr":"10.%d.%d.1"}`, w, i, w, i))
				c.must(200, "GET", "network?network_view=default&_max_results=10", "")
				c.must(200, "GET", "record:a?zone=example.com&_paging=1&_return_as_object=1&_max_results=7", "")
			}
		}()
	}
	wg.Wait()
	st := c.g.Server.Stats()
	if st.Objects["network"] != 200 || st.Objects["record:a"] != 200 {
		t.Fatalf("objects: %v", st.Objects)
	}
}
