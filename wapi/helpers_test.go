package wapi_test

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/turbowapi/turbowapi/wapi"
	"github.com/turbowapi/turbowapi/wapi/internal/fakegrid"
)

// testCtx returns a context bounded so that no test can hang.
func testCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// startGrid starts a fake grid over TLS.
func startGrid(t testing.TB) (*fakegrid.Grid, *httptest.Server, *x509.CertPool) {
	t.Helper()
	g := fakegrid.New()
	srv, pool := fakegrid.Start(t, g)
	return g, srv, pool
}

// newClient returns a client for url trusting pool, with the fake grid's credentials.
func newClient(t testing.TB, url string, pool *x509.CertPool, opts ...wapi.Option) *wapi.Client {
	t.Helper()
	all := append([]wapi.Option{wapi.WithCredentials("admin", "infoblox"), wapi.WithRootCAs(pool)}, opts...)
	c, err := wapi.New(url, all...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// startTLS starts a TLS server with handler h and returns it and a pool trusting it.
func startTLS(t testing.TB, h http.Handler) (*httptest.Server, *x509.CertPool) {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return srv, pool
}

// fakeClock is a settable clock shared by a client and a grid.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// networkCIDR returns the i-th /24 of 10.0.0.0/8.
func networkCIDR(i int) string {
	return "10." + itoa(i>>8&255) + "." + itoa(i&255) + ".0/24"
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	return string(b[n:])
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
