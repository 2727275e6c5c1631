package wapi_test

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/turbowapi/turbowapi/wapi"
)

// The benchmarks measure the client's own cost per create. "inmem" replaces the network with
// a RoundTripper that answers from memory, so CPU and allocations are the client's (plus the
// canned reply: one http.Response and its body reader, 3 allocations). "loopback" goes
// through a TLS connection to a minimal handler in the same process, so its figures include
// the server side.

const benchRef = `"network/ZG5zLm5ldHdvcmskMTAuMC4wLjAvMjQvMA:10.0.0.0/24/default"`

// memTransport answers WAPI requests from memory.
type memTransport struct{}

var (
	memLoginHeader = http.Header{
		"Content-Type": {"application/json"},
		"Set-Cookie":   {`ibapauth="ip=127.0.0.1,client=API,ctime=1700000000,timeout=600,mtime=1700000000,user=admin,tok"; httponly; Path=/`},
	}
	memJSONHeader = http.Header{"Content-Type": {"application/json"}}
)

func (memTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	status, header, body := http.StatusCreated, memJSONHeader, benchRef
	switch {
	case r.URL.RawQuery == "_schema":
		status, header, body = http.StatusOK, memLoginHeader, `{"supported_versions":["2.12.3"]}`
	case strings.HasSuffix(r.URL.Path, "/request"):
		status, body = http.StatusOK, batchReply
	}
	return &http.Response{StatusCode: status, Header: header, Body: io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)), Request: r}, nil
}

var batchReply = "[" + strings.TrimSuffix(strings.Repeat(benchRef+",", 1000), ",") + "]"

// minimalHandler is the smallest WAPI server: login, creates and batches.
func minimalHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		h := w.Header()
		h["Content-Type"] = memJSONHeader["Content-Type"]
		switch {
		case r.URL.RawQuery == "_schema":
			h["Set-Cookie"] = memLoginHeader["Set-Cookie"]
			_, _ = io.WriteString(w, `{"supported_versions":["2.12.3"]}`)
		case strings.HasSuffix(r.URL.Path, "/request"):
			_, _ = io.WriteString(w, batchReply)
		default:
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, benchRef)
		}
	})
}

func benchClients(b *testing.B) map[string]*wapi.Client {
	b.Helper()
	mem, err := wapi.New("https://grid.invalid", wapi.WithCredentials("admin", "infoblox"), wapi.WithTransport(memTransport{}))
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewTLSServer(minimalHandler())
	b.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	loop, err := wapi.New(srv.URL, wapi.WithCredentials("admin", "infoblox"), wapi.WithRootCAs(pool), wapi.WithMaxConns(8))
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []*wapi.Client{mem, loop} {
		if err := c.Login(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	return map[string]*wapi.Client{"inmem": mem, "loopback": loop}
}

var benchBodies = map[string]func(i int) any{
	"Object": func(i int) any {
		return wapi.Object{"network": "10.0.0.0/24", "network_view": "default", "comment": "founding workload",
			"extattrs": wapi.ExtAttrs{"Site": {Value: "East"}}}
	},
	"typed": func(i int) any {
		return wapi.Network{Network: "10.0.0.0/24", NetworkView: "default", Comment: "founding workload",
			ExtAttrs: wapi.ExtAttrs{"Site": {Value: "East"}}}
	},
	"raw": func(i int) any {
		return []byte(`{"network":"10.0.0.0/24","network_view":"default","comment":"founding workload","extattrs":{"Site":{"value":"East"}}}`)
	},
}

// BenchmarkCreate: one create per operation, sequential.
func BenchmarkCreate(b *testing.B) {
	clients := benchClients(b)
	ctx := context.Background()
	for _, via := range []string{"inmem", "loopback"} {
		for _, kind := range []string{"Object", "typed", "raw"} {
			body := benchBodies[kind](0)
			b.Run(via+"/"+kind, func(b *testing.B) {
				c := clients[via]
				b.ReportAllocs()
				for b.Loop() {
					if _, err := c.Create(ctx, "network", body); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkCreateParallel: creates from GOMAXPROCS goroutines sharing one client.
func BenchmarkCreateParallel(b *testing.B) {
	clients := benchClients(b)
	ctx := context.Background()
	body := benchBodies["Object"](0)
	for _, via := range []string{"inmem", "loopback"} {
		b.Run(via, func(b *testing.B) {
			c := clients[via]
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := c.Create(ctx, "network", body); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkBatchCreate: one `request` call of 1000 creates per operation; the per-item
// figures are reported as ns/item and allocs/item.
func BenchmarkBatchCreate(b *testing.B) {
	clients := benchClients(b)
	ctx := context.Background()
	const items = 1000
	data := make([]wapi.Object, items)
	for i := range data {
		data[i] = wapi.Object{"network": fmt.Sprintf("10.%d.%d.0/24", i>>8, i&255), "network_view": "default",
			"comment": "founding workload", "extattrs": wapi.ExtAttrs{"Site": {Value: "East"}}}
	}
	for _, via := range []string{"inmem", "loopback"} {
		b.Run(via, func(b *testing.B) {
			c := clients[via]
			batch := wapi.NewBatch(items)
			b.ReportAllocs()
			for b.Loop() {
				batch.Reset()
				for i := range data {
					batch.Create("network", data[i])
				}
				res, err := c.SendBatch(ctx, batch)
				if err != nil || len(res) != items {
					b.Fatal(len(res), err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*items), "ns/item")
		})
	}
}
