// Package simtest starts the simulated grid (gridsim) in-process for tests: over TLS on
// loopback, with a certificate for 127.0.0.1 and localhost whose CA is handed to the test, so
// clients verify the certificate as they would against a real grid.
package simtest

import (
	"crypto/tls"
	"crypto/x509"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/turbowapi/turbowapi/gridsim"
)

// Default credentials of a grid started by Start.
const (
	User     = "admin"
	Password = "infoblox"
)

// Grid is a running simulated grid.
type Grid struct {
	// URL is the grid's base URL, e.g. https://127.0.0.1:41234 (no trailing slash).
	URL string
	// Server is the handler, for Stats, ExpireSessions and the like.
	Server *gridsim.Server
	// CAFile is the CA certificate in PEM, written under t.TempDir().
	CAFile string
	// RootCAs trusts the grid's certificate.
	RootCAs *x509.CertPool
	// HTTP is the underlying test server.
	HTTP *httptest.Server
}

// Start runs a grid for the duration of the test. Users are admin/infoblox unless the options
// add users of their own (WithUser or WithUsers). It stops (and closes the server) in
// t.Cleanup.
func Start(t testing.TB, opts ...gridsim.Option) *Grid {
	t.Helper()
	all := append([]gridsim.Option{gridsim.WithFallbackUser(User, Password)}, opts...)
	srv, err := gridsim.New(all...)
	if err != nil {
		t.Fatalf("simtest: %v", err)
	}
	cert, caPEM, err := gridsim.SelfSignedCert("127.0.0.1", "::1", "localhost")
	if err != nil {
		t.Fatalf("simtest: certificate: %v", err)
	}
	hs := httptest.NewUnstartedServer(srv)
	hs.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	hs.Config = srv.HTTPServer() // the limits of turbowapi sim: header size, read timeouts
	hs.StartTLS()
	t.Cleanup(func() {
		hs.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("simtest: close: %v", err)
		}
	})
	caFile := filepath.Join(t.TempDir(), "grid-ca.pem")
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatalf("simtest: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	return &Grid{URL: hs.URL, Server: srv, CAFile: caFile, RootCAs: pool, HTTP: hs}
}
