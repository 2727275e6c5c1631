package bulk_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/turbowapi/turbowapi/bulk"
	"github.com/turbowapi/turbowapi/gridsim"
	"github.com/turbowapi/turbowapi/internal/simtest"
	"github.com/turbowapi/turbowapi/wapi"
)

// exampleGrid starts a simulated grid (gridsim over TLS on loopback, as internal/simtest
// does for tests) and a client for it; stop both with the returned function.
func exampleGrid() (*wapi.Client, func()) {
	sim, err := gridsim.New(gridsim.WithFallbackUser(simtest.User, simtest.Password))
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
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	c, err := wapi.New(srv.URL, wapi.WithRootCAs(roots), wapi.WithCredentials(simtest.User, simtest.Password))
	if err != nil {
		log.Fatal(err)
	}
	return c, func() { c.Close(context.Background()); srv.Close(); sim.Close() }
}

// Load the founding workload's first 256 networks in batches of 64, then load them again:
// the rerun creates nothing.
func Example() {
	client, stop := exampleGrid()
	defer stop()
	ctx := context.Background()

	load := func() bulk.Summary {
		spool, err := bulk.NewSpool("")
		if err != nil {
			log.Fatal(err)
		}
		defer spool.Close()
		for i := range 256 {
			cidr := fmt.Sprintf("10.0.%d.0/24", i)
			body, _ := json.Marshal(map[string]string{"network": cidr, "comment": "example"})
			err := spool.Add(&bulk.Item{
				Ordinal: int64(i), Source: "example", Line: i + 1, Type: "network", Body: body, Phase: 1,
				Key: []bulk.Field{{Name: "network", Value: cidr}, {Name: "network_view", Value: "default"}},
			})
			if err != nil {
				log.Fatal(err)
			}
		}
		engine, err := bulk.New(client, bulk.WithStrategy(bulk.Batch), bulk.WithBatchSize(64))
		if err != nil {
			log.Fatal(err)
		}
		sum, err := engine.Load(ctx, spool, nil, nil)
		if err != nil {
			log.Fatal(err)
		}
		return sum
	}
	first := load()
	fmt.Println("first run:", first.Outcomes[bulk.StatusCreated], "created in", first.Requests, "requests")
	again := load()
	fmt.Println("rerun:", again.Outcomes[bulk.StatusExisted], "existed,", again.Outcomes[bulk.StatusCreated], "created")
	// Output:
	// first run: 256 created in 4 requests
	// rerun: 256 existed, 0 created
}
