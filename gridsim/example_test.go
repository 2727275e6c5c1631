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

// A grid with the founding article's costs, ten times faster than wall-clock time, and a few
// faults; its profile lists what it assumes.
func ExampleWithProfile() {
	prof, _ := gridsim.LookupProfile(gridsim.ProfileArticle)
	faults, err := gridsim.ParseFaults("503ra=1%:2s,lost=0.5%,outage=10m+30s")
	if err != nil {
		panic(err)
	}
	grid, err := gridsim.New(gridsim.WithUser("admin", "infoblox"),
		gridsim.WithProfile(prof), gridsim.WithSpeed(10), gridsim.WithSeed(7), gridsim.WithFaults(faults))
	if err != nil {
		panic(err)
	}
	defer grid.Close()
	info := grid.SimInfo()
	fmt.Println(info.Profile.Name, info.Speed, info.Seed, info.Faults)
	fmt.Printf("one create alone: %.1f ms of grid time; 8 in service: ×%.2f\n",
		prof.RequestMS+prof.ObjectMS, prof.Slowdown(8))
	fmt.Println(len(info.Profile.Assumptions) > 0)
	// Output:
	// article 10 7 503ra=0.01:2s,lost=0.005,outage=10m+30s
	// one create alone: 32.4 ms of grid time; 8 in service: ×4.76
	// true
}

// Fault specs are checked item by item.
func ExampleParseFaults() {
	_, err := gridsim.ParseFaults("503=0.02,spike=0.01")
	fmt.Println(err)
	fs, _ := gridsim.ParseFaults("429 = 2% : 3s , reset=0.01")
	fmt.Println(fs)
	// Output:
	// gridsim: faults: "spike=0.01": spike needs a duration: spike=RATE:DURATION
	// 429=0.02:3s,reset=0.01
}
