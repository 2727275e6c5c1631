package gridsim_test

import (
	"crypto/x509"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/turbowapi/turbowapi/gridsim"
)

// A grid serving WAPI; here through a recorder, in tests usually through internal/simtest.
func Example() {
	grid, err := gridsim.New(gridsim.WithUser("admin", "infoblox"))
	if err != nil {
		panic(err)
	}
	defer grid.Close()

	post := func(path, body string) {
		req := httptest.NewRequest("POST", "/wapi/v2.11/"+path, strings.NewReader(body))
		req.SetBasicAuth("admin", "infoblox")
		rec := httptest.NewRecorder()
		grid.ServeHTTP(rec, req)
		fmt.Println(rec.Code, rec.Body.String())
	}
	post("network", `{"network":"10.0.0.0/24","comment":"test-network"}`)
	post("network", `{"network":"10.0.0.0/24","comment":"test-network"}`)
	// Output:
	// 201 "network/ZG5zLm5ldHdvcmskMTAuMC4wLjAvMjQvMA:10.0.0.0/24/default"
	// 400 { "Error": "AdmConDataError: None (IBDataConflictError: IB.Data.Conflict:The network 10.0.0.0/24 already exists.  Select another network.)",
	//   "code": "Client.Ibap.Data.Conflict",
	//   "text": "The network 10.0.0.0/24 already exists.  Select another network."
	// }
}

// The counters, also served at GET /_sim/stats.
func ExampleServer_Stats() {
	grid, _ := gridsim.New(gridsim.WithUser("admin", "infoblox"))
	for range 2 {
		req := httptest.NewRequest("GET", "/wapi/v2.11/grid", nil)
		req.SetBasicAuth("admin", "infoblox")
		grid.ServeHTTP(httptest.NewRecorder(), req)
	}
	st := grid.Stats()
	fmt.Println(st.Requests, st.AuthBasic, st.Logins, st.RequestsByStatus["200"])
	// Output: 2 2 2 2
}

// A certificate for HTTPS and the CA a client trusts.
func ExampleSelfSignedCert() {
	cert, caPEM, err := gridsim.SelfSignedCert("127.0.0.1", "localhost")
	if err != nil {
		panic(err)
	}
	pool := x509.NewCertPool()
	fmt.Println(pool.AppendCertsFromPEM(caPEM), cert.Leaf.DNSNames, len(gridsim.Fingerprint(cert.Certificate[0])))
	// Output: true [localhost] 95
}
