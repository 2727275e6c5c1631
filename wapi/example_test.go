package wapi_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log"
	"net/http/httptest"
	"strings"

	"github.com/turbowapi/turbowapi/gridsim"
	"github.com/turbowapi/turbowapi/wapi"
)

// exampleGrid is a grid for the examples: the simulated grid (gridsim) over TLS on loopback.
type exampleGrid struct {
	URL     string
	RootCAs *x509.CertPool
	srv     *httptest.Server
	sim     *gridsim.Server
}

func startExampleGrid() *exampleGrid {
	sim, err := gridsim.New(gridsim.WithFallbackUser("admin", "infoblox"))
	if err != nil {
		log.Fatal(err)
	}
	cert, caPEM, err := gridsim.SelfSignedCert("127.0.0.1")
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(sim)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	return &exampleGrid{URL: srv.URL, RootCAs: pool, srv: srv, sim: sim}
}

func (g *exampleGrid) Close() {
	g.srv.Close()
	_ = g.sim.Close()
}

// Open a session: the credentials are sent once, then only the session cookie.
func ExampleClient_Login() {
	grid := startExampleGrid()
	defer grid.Close()
	ctx := context.Background()

	c, err := wapi.New(grid.URL,
		wapi.WithCredentials("admin", "infoblox"),
		wapi.WithRootCAs(grid.RootCAs), // or WithCAFile("grid-ca.pem")
		wapi.WithMaxConns(16),          // as many as the goroutines sharing the client
	)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(ctx) // logs out

	if err := c.Login(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("negotiated WAPI version", c.Version())
	fmt.Println("password printed:", strings.Contains(fmt.Sprintf("%+v", c), "infoblox"))
	// Output:
	// negotiated WAPI version 2.13.6
	// password printed: false
}

// Create an object, and recognise a duplicate.
func ExampleClient_Create() {
	grid := startExampleGrid()
	defer grid.Close()
	ctx := context.Background()
	c, err := wapi.New(grid.URL, wapi.WithCredentials("admin", "infoblox"), wapi.WithRootCAs(grid.RootCAs))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(ctx)

	ref, err := c.Create(ctx, wapi.TypeNetwork, wapi.Object{"network": "10.0.0.0/24", "comment": "lab"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(wapi.RefType(ref))

	_, err = c.Create(ctx, wapi.TypeNetwork, wapi.Network{Network: "10.0.0.0/24"})
	switch {
	case errors.Is(err, wapi.ErrConflict):
		fmt.Println("already exists")
	case wapi.MaybeApplied(err):
		fmt.Println("outcome unknown: look the network up before trying again")
	case errors.Is(err, wapi.ErrTransient):
		fmt.Println("not applied: safe to try again")
	}
	// Output:
	// network
	// already exists
}

// Search with filters, then read everything with paging.
func ExampleClient_SearchAll() {
	grid := startExampleGrid()
	defer grid.Close()
	ctx := context.Background()
	c, err := wapi.New(grid.URL, wapi.WithCredentials("admin", "infoblox"), wapi.WithRootCAs(grid.RootCAs))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(ctx)
	for i := range 25 {
		data := wapi.Object{"network": fmt.Sprintf("10.1.%d.0/24", i), "comment": "paged"}
		if _, err := c.Create(ctx, "network", data); err != nil {
			log.Fatal(err)
		}
	}

	one, err := c.Search(ctx, "network", wapi.NewQuery().Eq("network", "10.1.7.0/24").ReturnFields("network", "comment"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(one), one[0].StringField("comment"))

	n := 0
	for obj, err := range c.SearchAll(ctx, "network", wapi.NewQuery().Eq("comment", "paged"), 10) {
		if err != nil {
			log.Fatal(err)
		}
		if n == 0 {
			fmt.Println("first:", obj.StringField("network"))
		}
		n++
	}
	fmt.Println(n, "networks read in pages of 10")
	// Output:
	// 1 paged
	// first: 10.1.0.0/24
	// 25 networks read in pages of 10
}

// Send many creates in one `request` call.
func ExampleClient_SendBatch() {
	grid := startExampleGrid()
	defer grid.Close()
	ctx := context.Background()
	c, err := wapi.New(grid.URL, wapi.WithCredentials("admin", "infoblox"), wapi.WithRootCAs(grid.RootCAs))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close(ctx)

	b := wapi.NewBatch(3)
	b.Create("network", wapi.Object{"network": "10.2.0.0/24"})
	b.Add(wapi.BatchItem{Method: "POST", Object: "network", Data: wapi.Object{"network": "10.2.1.0/24"}, Discard: true})
	b.Create("network", wapi.Network{Network: "10.2.2.0/24"})
	results, err := c.SendBatch(ctx, b)
	if err != nil {
		var be *wapi.BatchError
		if errors.As(err, &be) {
			fmt.Println("batch rolled back; failing item:", be.Index)
		}
		log.Fatal(err)
	}
	for _, r := range results {
		ref, _ := r.Ref()
		fmt.Println("item", r.Index, wapi.RefType(ref))
	}
	// Output:
	// item 0 network
	// item 2 network
}

// Build a search query.
func ExampleQuery() {
	q := wapi.NewQuery().
		Where("name", wapi.RegexFold, "^web").
		EA("Site", wapi.Eq, "New York").
		ReturnFieldsPlus("extattrs").
		MaxResults(500)
	fmt.Println(q.Encode())
	// Output:
	// name:~=%5Eweb&*Site=New%20York&_return_fields%2B=extattrs&_max_results=500
}
