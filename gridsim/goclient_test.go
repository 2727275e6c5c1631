package gridsim_test

import (
	"net/url"
	"strings"
	"testing"

	ibclient "github.com/infobloxopen/infoblox-go-client/v2"

	"github.com/turbowapi/turbowapi/internal/simtest"
)

// TestInfobloxGoClient drives the simulator with Infoblox's own Go client, unmodified, as a
// user would: it must accept what that client really sends.
func TestInfobloxGoClient(t *testing.T) {
	t.Parallel()
	g := simtest.Start(t)
	u, err := url.Parse(g.URL)
	if err != nil {
		t.Fatal(err)
	}
	host := ibclient.HostConfig{Scheme: "https", Host: u.Hostname(), Port: u.Port(), Version: "2.11"}
	auth := ibclient.AuthConfig{Username: simtest.User, Password: simtest.Password}
	// The client verifies the certificate against the CA file it is given.
	transport := ibclient.NewTransportConfig(g.CAFile, 20, 4)
	conn, err := ibclient.NewConnector(host, auth, transport, &ibclient.WapiRequestBuilder{}, &ibclient.WapiHttpRequestor{})
	if err != nil {
		t.Fatal(err)
	}
	om := ibclient.NewObjectManager(conn, "turbowapi", "test")
	check := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	nv, err := om.CreateNetworkView("lab", "a lab", nil)
	check("CreateNetworkView", err)
	got, err := om.GetNetworkView("lab")
	check("GetNetworkView", err)
	if got.Ref != nv.Ref || *got.Name != "lab" {
		t.Fatalf("network view: %+v vs %s", got, nv.Ref)
	}

	nc, err := om.CreateNetworkContainer("default", "10.0.0.0/8", false, "container", nil)
	check("CreateNetworkContainer", err)
	gnc, err := om.GetNetworkContainer("default", "10.0.0.0/8", false, nil)
	check("GetNetworkContainer", err)
	if gnc.Ref != nc.Ref {
		t.Fatalf("container refs %s vs %s", gnc.Ref, nc.Ref)
	}

	n, err := om.CreateNetwork("default", "10.1.0.0/24", false, "a network", nil)
	check("CreateNetwork", err)
	gn, err := om.GetNetwork("default", "10.1.0.0/24", false, nil)
	check("GetNetwork", err)
	if gn.Ref != n.Ref || gn.Cidr != "10.1.0.0/24" {
		t.Fatalf("network: %+v", gn)
	}

	an, err := om.AllocateNetwork("default", "10.0.0.0/8", false, 24, "allocated", nil)
	check("AllocateNetwork", err)
	if an.Cidr != "10.0.0.0/24" {
		t.Fatalf("AllocateNetwork gave %q, want 10.0.0.0/24", an.Cidr)
	}
	ip, err := om.AllocateIP("default", "10.1.0.0/24", "", false, "aa:bb:cc:dd:ee:ff", "", "", nil, "", "", "", nil, "", false, nil, false)
	check("AllocateIP", err)
	if ip.IPv4Address != "10.1.0.1" {
		t.Fatalf("AllocateIP gave %q, want 10.1.0.1", ip.IPv4Address)
	}
	ip2, err := om.AllocateIP("default", "10.1.0.0/24", "", false, "", "", "", nil, "", "", "", nil, "", false, nil, false)
	check("AllocateIP 2", err)
	if ip2.IPv4Address != "10.1.0.2" {
		t.Fatalf("second AllocateIP gave %q", ip2.IPv4Address)
	}

	z, err := om.CreateZoneAuth("example.com", nil)
	check("CreateZoneAuth", err)
	gz, err := om.GetZoneAuthByRef(z.Ref)
	check("GetZoneAuthByRef", err)
	if gz.Fqdn != "example.com" {
		t.Fatalf("zone: %+v", gz)
	}

	a, err := om.CreateARecord("default", "default", "www.example.com", "", "10.1.0.10", 300, true, "web", nil)
	check("CreateARecord", err)
	ga, err := om.GetARecord("default", "www.example.com", "10.1.0.10")
	check("GetARecord", err)
	if ga.Ref != a.Ref {
		t.Fatalf("A record refs %s vs %s", ga.Ref, a.Ref)
	}

	cn, err := om.CreateCNAMERecord("default", "www.example.com", "alias.example.com", true, 300, "", nil)
	check("CreateCNAMERecord", err)
	gcn, err := om.GetCNAMERecord("default", "www.example.com", "alias.example.com")
	check("GetCNAMERecord", err)
	if gcn.Ref != cn.Ref {
		t.Fatalf("CNAME refs %s vs %s", gcn.Ref, cn.Ref)
	}

	h, err := om.CreateHostRecord(true, false, "host1.example.com", "default", "default", "10.1.0.0/24", "", "", "", "", "", false, 0, "", nil, nil, false)
	check("CreateHostRecord", err)
	gh, err := om.GetHostRecord("default", "default", "host1.example.com", "", "")
	check("GetHostRecord", err)
	if gh.Ref != h.Ref || len(gh.Ipv4Addrs) != 1 || *gh.Ipv4Addrs[0].Ipv4Addr != "10.1.0.3" {
		t.Fatalf("host: %+v", gh)
	}

	for _, del := range []struct {
		what string
		fn   func() (string, error)
		ref  string
	}{
		{"DeleteHostRecord", func() (string, error) { return om.DeleteHostRecord(h.Ref) }, h.Ref},
		{"DeleteCNAMERecord", func() (string, error) { return om.DeleteCNAMERecord(cn.Ref) }, cn.Ref},
		{"DeleteARecord", func() (string, error) { return om.DeleteARecord(a.Ref) }, a.Ref},
		{"DeleteZoneAuth", func() (string, error) { return om.DeleteZoneAuth(z.Ref) }, z.Ref},
		{"DeleteFixedAddress", func() (string, error) { return om.DeleteFixedAddress(ip.Ref) }, ip.Ref},
		{"DeleteNetwork", func() (string, error) { return om.DeleteNetwork(n.Ref) }, n.Ref},
		{"DeleteNetworkContainer", func() (string, error) { return om.DeleteNetworkContainer(nc.Ref) }, nc.Ref},
		{"DeleteNetworkView", func() (string, error) { return om.DeleteNetworkView(nv.Ref) }, nv.Ref},
	} {
		ref, err := del.fn()
		check(del.what, err)
		if ref != del.ref {
			t.Fatalf("%s returned %q, want %q", del.what, ref, del.ref)
		}
	}
	if _, err := om.GetNetworkViewByRef(nv.Ref); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("deleted view still readable: %v", err)
	}
	st := g.Server.Stats()
	if st.RequestsByStatus["500"] != 0 || st.Objects["network"] != 0 || st.Objects["networkview"] != 1 {
		t.Fatalf("after the run: %+v", st)
	}
}
