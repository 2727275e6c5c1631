package wapi_test

import (
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/turbowapi/turbowapi/wapi"
	"github.com/turbowapi/turbowapi/wapi/internal/fakegrid"
)

func TestNewOptions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	pool := x509.NewCertPool()
	cases := []struct {
		name string
		url  string
		opts []wapi.Option
		ok   bool
	}{
		{"defaults", "https://gm", nil, true},
		{"all valid", "https://gm", []wapi.Option{wapi.WithCredentials("u", "p"), wapi.WithVersion("2.12.3"), wapi.WithRootCAs(pool),
			wapi.WithTimeout(0), wapi.WithUserAgent("x/1"), wapi.WithMaxConns(32), wapi.WithLogger(nil), wapi.WithMaxResponseBytes(1 << 20)}, true},
		{"unreadable CA file", "https://gm", []wapi.Option{wapi.WithCAFile(missing)}, false},
		{"CA file without certificates", "https://gm", []wapi.Option{wapi.WithCAFile(notPEM)}, false},
		{"nil pool", "https://gm", []wapi.Option{wapi.WithRootCAs(nil)}, false},
		{"insecure and CA", "https://gm", []wapi.Option{wapi.WithInsecureSkipVerify(), wapi.WithRootCAs(pool)}, false},
		{"bad client cert", "https://gm", []wapi.Option{wapi.WithClientCertificate(missing, missing)}, false},
		{"empty user", "https://gm", []wapi.Option{wapi.WithCredentials("", "p")}, false},
		{"bad version", "https://gm", []wapi.Option{wapi.WithVersion("2")}, false},
		{"version conflict with URL", "https://gm/wapi/v2.5", []wapi.Option{wapi.WithVersion("2.6")}, false},
		{"negative timeout", "https://gm", []wapi.Option{wapi.WithTimeout(-1)}, false},
		{"zero conns", "https://gm", []wapi.Option{wapi.WithMaxConns(0)}, false},
		{"nil http client", "https://gm", []wapi.Option{wapi.WithHTTPClient(nil)}, false},
		{"nil transport", "https://gm", []wapi.Option{wapi.WithTransport(nil)}, false},
		{"http client and TLS", "https://gm", []wapi.Option{wapi.WithHTTPClient(&http.Client{}), wapi.WithRootCAs(pool)}, false},
		{"transport and max conns", "https://gm", []wapi.Option{wapi.WithTransport(http.DefaultTransport), wapi.WithMaxConns(3)}, false},
		{"client and transport", "https://gm", []wapi.Option{wapi.WithHTTPClient(&http.Client{}), wapi.WithTransport(http.DefaultTransport)}, false},
		{"user agent with newline", "https://gm", []wapi.Option{wapi.WithUserAgent("a\r\nb")}, false},
		{"nil clock", "https://gm", []wapi.Option{wapi.WithClock(nil)}, false},
		{"nil option", "https://gm", []wapi.Option{nil}, false},
		{"credentials in URL", "https://admin:secret@gm", nil, false},
	}
	for _, tc := range cases {
		c, err := wapi.New(tc.url, tc.opts...)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if err != nil {
			if !errors.Is(err, wapi.ErrInvalid) {
				t.Errorf("%s: %v is not ErrInvalid", tc.name, err)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("%s: error leaks the URL's password: %v", tc.name, err)
			}
		} else if c == nil {
			t.Errorf("%s: nil client", tc.name)
		}
	}
}

func TestCAFile(t *testing.T) {
	t.Parallel()
	g := fakegrid.New()
	srv, _ := fakegrid.Start(t, g)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	writePEM(t, ca, srv.Certificate().Raw)
	c, err := wapi.New(srv.URL, wapi.WithCredentials("admin", "infoblox"), wapi.WithCAFile(ca))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	insecure, err := wapi.New(srv.URL, wapi.WithCredentials("admin", "infoblox"), wapi.WithInsecureSkipVerify())
	if err != nil {
		t.Fatal(err)
	}
	if err := insecure.Login(testCtx(t)); err != nil {
		t.Fatal(err)
	}
}

func writePEM(t *testing.T, path string, der []byte) {
	t.Helper()
	const line = 64
	var b strings.Builder
	b.WriteString("-----BEGIN CERTIFICATE-----\n")
	enc := base64Std(der)
	for len(enc) > line {
		b.WriteString(enc[:line] + "\n")
		enc = enc[line:]
	}
	b.WriteString(enc + "\n-----END CERTIFICATE-----\n")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestWarmConnections: with WithMaxConns(n), n goroutines reuse n connections round after
// round; nothing is re-dialled.
func TestWarmConnections(t *testing.T) {
	t.Parallel()
	const workers = 8
	g := fakegrid.New()
	var dials atomic.Int64
	srv := httptest.NewUnstartedServer(g)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dials.Add(1)
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	c := newClient(t, srv.URL, pool, wapi.WithMaxConns(workers))
	ctx := testCtx(t)
	round := func(r int) {
		t.Helper()
		if err := parallel(workers, 200, func(i int) error {
			_, err := c.Create(ctx, "network", wapi.Object{"network": networkCIDR(r*200 + i)})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	round(0)
	first := dials.Load()
	if first > workers {
		t.Fatalf("%d connections for %d workers", first, workers)
	}
	round(1)
	round(2)
	if got := dials.Load(); got != first {
		t.Fatalf("connections re-dialled: %d after the first round, %d after three", first, got)
	}
}
