package gridsim

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzSearchArgs feeds arbitrary query strings to the argument and search parsers: they must
// return a WAPI error or a plan, never panic.
func FuzzSearchArgs(f *testing.F) {
	for _, s := range []string{
		"", "network=10.0.0.0/24", "name~=^a.*&_max_results=-5", "_return_fields%2B=extattrs",
		"*Site:=east&comment!:~=x", "ipv4addr>=10.0.0.1&ipv4addr<=10.0.0.9", "_paging=1&_max_results=0",
		"network_container=10.0.0.0/8", "%zz=1", "a&&b=&=c", "name=%E2%82%AC", "_page_id=xyz", "_return_type=xml",
	} {
		f.Add(s)
	}
	s, err := New(WithUser("admin", "infoblox"))
	if err != nil {
		f.Fatal(err)
	}
	tx := s.st.begin()
	if _, err := tx.create(s.ty.byName["network"], map[string]any{"network": "10.0.0.0/24"}, false); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		list, aerr := parseQuery(raw)
		if aerr != nil {
			checkShape(t, aerr)
			return
		}
		a, aerr := parseArgs(list)
		if aerr != nil {
			checkShape(t, aerr)
			return
		}
		for _, ty := range []string{"network", "record:a", "zone_auth"} {
			if _, err := s.search(s.ty.byName[ty], a); err != nil {
				checkShape(t, err)
			}
		}
	})
}

func checkShape(t *testing.T, e *apiError) {
	t.Helper()
	if e.status != 400 && e.status != 404 && e.status != 413 {
		t.Fatalf("status %d for %v", e.status, e)
	}
	b := appendError(nil, e)
	if !bytes.HasPrefix(b, []byte(`{ "Error": `)) {
		t.Fatalf("layout: %s", b)
	}
	if _, err := decodeJSON(b); err != nil {
		t.Fatalf("error body is not JSON: %s", b)
	}
}

// FuzzRequest sends arbitrary bodies (and a few methods and paths) through the whole handler:
// no input may produce a 500 or a panic, and every error is a WAPI error.
func FuzzRequest(f *testing.F) {
	seeds := []struct{ method, path, body, ct string }{
		{"POST", "network", `{"network":"10.1.0.0/24","comment":"x"}`, "application/json"},
		{"POST", "network", "network=10.2.0.0%2F24&comment=test-network", "application/x-www-form-urlencoded"},
		{"POST", "network", `{"network":`, ""},
		{"POST", "request", `[{"method":"POST","object":"network","data":{"network":"10.3.0.0/24"}},{"method":"STATE:DISPLAY"}]`, ""},
		{"POST", "request", `{"method":"GET","object":"network","data":{"network~":"^10"},"assign_state":{"r":"_ref"}}`, ""},
		{"GET", "network", `{"comment:":"X"}`, ""},
		{"POST", "record:host", `{"name":"h.example.com","ipv4addrs":[{"ipv4addr":"func:nextavailableip:10.0.0.0/24"}]}`, ""},
		{"POST", "fixedaddress", `{"ipv4addr":"func:nextavailableip:10.0.0.0/24","mac":"aa:bb:cc:dd:ee:ff"}`, ""},
		{"POST", "network", `{"network":{"_object_function":"next_available_network","_object":"networkcontainer","_object_parameters":{"network":"10.0.0.0/8"},"_parameters":{"cidr":24}}}`, ""},
		{"PUT", "network/ZG5zLm5ldHdvcmskMTAuMC4wLjAvMjQvMA", `{"comment":"y","extattrs+":{"a":{"value":"b"}}}`, ""},
		{"POST", "network/ZG5zLm5ldHdvcmskMTAuMC4wLjAvMjQvMA?_function=next_available_ip", `{"num":3,"exclude":["10.0.0.1"]}`, ""},
		{"DELETE", "networkcontainer/ZG5zLm5ldHdvcmtfY29udGFpbmVyJDEwLjAuMC4wLzgvMA", ``, ""},
		{"POST", "zone_auth", `{"fqdn":"10.0.0.0/24"}`, ""},
		{"POST", "record:ptr", `{"ptrdname":"a.example.com","ipv4addr":"10.0.0.9"}`, ""},
		{"POST", "ipv6network", "{\"network\":\"2001:db8::/64\",\"comment\":\"\xff\"}", ""},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.body, s.ct)
	}
	s, err := New(WithUser("admin", "infoblox"), WithMaxBody(1<<16))
	if err != nil {
		f.Fatal(err)
	}
	setup := []struct{ path, body string }{
		{"networkcontainer", `{"network":"10.0.0.0/8"}`},
		{"network", `{"network":"10.0.0.0/24"}`},
		{"zone_auth", `{"fqdn":"example.com"}`},
	}
	for _, x := range setup {
		req := httptest.NewRequest("POST", "/wapi/v2.11/"+x.path, strings.NewReader(x.body))
		req.SetBasicAuth("admin", "infoblox")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 201 {
			f.Fatalf("setup %s: %d %s", x.path, rec.Code, rec.Body)
		}
	}
	f.Fuzz(func(t *testing.T, method, path, body, ct string) {
		switch method {
		case "GET", "POST", "PUT", "DELETE":
		default:
			method = "POST"
		}
		if strings.ContainsAny(path, " \r\n\t#") || strings.HasPrefix(path, "/") {
			path = "network"
		}
		req, err := http.NewRequest(method, "http://grid/wapi/v2.11/"+path, strings.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", ct)
		req.SetBasicAuth("admin", "infoblox")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		switch {
		case rec.Code >= 500:
			t.Fatalf("%s %s %q: %d %s", method, path, body, rec.Code, rec.Body)
		case rec.Code >= 400 && !bytes.HasPrefix(rec.Body.Bytes(), []byte(`{ "Error": `)):
			t.Fatalf("%s %s %q: %d without the WAPI error shape: %s", method, path, body, rec.Code, rec.Body)
		case rec.Code < 300 && method != "POST" && rec.Body.Len() > 0:
			if _, err := decodeJSON(rec.Body.Bytes()); err != nil {
				t.Fatalf("%s %s: reply is not JSON: %s", method, path, rec.Body)
			}
		}
	})
}
