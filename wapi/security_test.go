package wapi_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/turbowapi/turbowapi/gridsim"
	"github.com/turbowapi/turbowapi/internal/simtest"
	"github.com/turbowapi/turbowapi/wapi"
)

// Safe defaults of the library against the simulated grid: the certificate is verified
// unless the caller opts out, a CA file that cannot be used is an error from New, and no
// printed form of a client or of its errors shows the password or a session cookie.

// TestTLSVerifiedByDefault: a client without TLS options does not trust the grid's
// self-signed certificate, nor does one trusting another CA: the login fails with a
// certificate error (not an authentication error) before any request reaches the grid.
func TestTLSVerifiedByDefault(t *testing.T) {
	t.Parallel()
	g := simtest.Start(t)
	dir := t.TempDir()
	_, otherPEM, err := gridsim.SelfSignedCert("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.pem")
	if err := os.WriteFile(other, otherPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		opts []wapi.Option
		ok   bool
	}{
		{"system roots", nil, false},
		{"another CA", []wapi.Option{wapi.WithCAFile(other)}, false},
		{"the grid's CA", []wapi.Option{wapi.WithCAFile(g.CAFile)}, true},
		{"insecure", []wapi.Option{wapi.WithInsecureSkipVerify()}, true},
	}
	for _, tc := range cases {
		before := g.Server.Stats().Requests
		c, err := wapi.New(g.URL, append([]wapi.Option{wapi.WithCredentials(simtest.User, simtest.Password)}, tc.opts...)...)
		if err != nil {
			t.Fatalf("%s: New: %v", tc.name, err)
		}
		err = c.Login(testCtx(t))
		c.Close(context.Background())
		if tc.ok {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		var cve *tls.CertificateVerificationError
		var uae x509.UnknownAuthorityError
		if err == nil || errors.Is(err, wapi.ErrAuth) || !(errors.As(err, &cve) || errors.As(err, &uae)) {
			t.Errorf("%s: login error %v (%T), want a certificate verification error", tc.name, err, err)
		}
		if wapi.MaybeApplied(err) {
			t.Errorf("%s: a refused handshake may have applied the call", tc.name)
		}
		if n := g.Server.Stats().Requests - before; n != 0 {
			t.Errorf("%s: %d requests reached the grid", tc.name, n)
		}
	}
}

// TestCAFileErrors: a CA file that cannot be read or holds no usable certificate is an
// ErrInvalid from New, naming the file; it never falls back to the system roots or to no
// verification.
func TestCAFileErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct{ name, path, want string }{
		{"missing", filepath.Join(dir, "none.pem"), "none.pem"},
		{"directory", dir, "is a directory"},
		{"empty", write("empty.pem", ""), "no PEM certificate in"},
		{"text", write("text.pem", "hello\n"), "no PEM certificate in"},
		{"certificate block of garbage", write("bad.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), "no PEM certificate in"},
		{"private key only", write("key.pem", "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"), "no PEM certificate in"},
	}
	for _, tc := range cases {
		c, err := wapi.New("https://127.0.0.1:1", wapi.WithCAFile(tc.path))
		if err == nil || c != nil || !errors.Is(err, wapi.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: New gave %v, %v; want ErrInvalid naming %q", tc.name, c, err, tc.want)
		}
	}
}

// cookieRecorder is a transport that remembers every session cookie the grid sets.
type cookieRecorder struct {
	rt      http.RoundTripper
	mu      sync.Mutex
	cookies []string
}

func (r *cookieRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := r.rt.RoundTrip(req)
	if err == nil {
		r.mu.Lock()
		for _, c := range res.Header.Values("Set-Cookie") {
			v, _, _ := strings.Cut(strings.TrimPrefix(c, "ibapauth="), ";")
			r.cookies = append(r.cookies, strings.Trim(v, `"`))
		}
		r.mu.Unlock()
	}
	return res, err
}

// TestErrorsHideSecrets: against the simulated grid, the client and its errors (wrong
// password, conflict, not found, a batch failure, a closed client, a grid gone) print
// neither the password, nor its Basic encoding, nor any session cookie, whatever the verb;
// nor does the client's log.
func TestErrorsHideSecrets(t *testing.T) {
	t.Parallel()
	const password = "Lib-Pw-4c2b77e1"
	g := simtest.Start(t, gridsim.WithUser(simtest.User, password))
	rec := &cookieRecorder{rt: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: g.RootCAs}}}
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(writerFunc(func(p []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logs.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	newC := func(pw string) *wapi.Client {
		c, err := wapi.New(g.URL, wapi.WithCredentials(simtest.User, pw), wapi.WithHTTPClient(&http.Client{Transport: rec}), wapi.WithLogger(logger))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ctx := testCtx(t)
	c := newC(password)
	if _, err := c.Create(ctx, "network", wapi.Object{"network": "10.0.0.0/24"}); err != nil {
		t.Fatal(err)
	}
	var errs []error
	add := func(_ any, err error) {
		if err == nil {
			t.Fatal("a call that should fail succeeded")
		}
		errs = append(errs, err)
	}
	add(c.Create(ctx, "network", wapi.Object{"network": "10.0.0.0/24"}))                   // conflict
	add(c.Get(ctx, "network/ZG5zLm5ldHdvcmskOTkuMC4wLjAvMjQvMA:99.0.0.0/24/default", nil)) // not found
	add(c.Create(ctx, "network", wapi.Object{"network": "10.1.0.0/24", "nosuchfield": 1}))
	g.Server.ExpireSessions() // the next call logs in again: a second cookie
	add(c.Create(ctx, "network", wapi.Object{"network": "10.0.0.0/24"}))
	bad := newC("Wrong-" + password)
	add(nil, bad.Login(ctx))
	c.Close(ctx)
	add(c.Create(ctx, "network", wapi.Object{"network": "10.2.0.0/24"})) // closed
	gone := newC(password)
	if err := gone.Login(ctx); err != nil {
		t.Fatal(err)
	}
	g.HTTP.CloseClientConnections()
	g.HTTP.Close()
	add(gone.Create(ctx, "network", wapi.Object{"network": "10.3.0.0/24"})) // no grid

	rec.mu.Lock()
	secrets := append([]string{password, "Wrong-" + password, base64.StdEncoding.EncodeToString([]byte(simtest.User + ":" + password))}, rec.cookies...)
	for _, ck := range rec.cookies {
		secrets = append(secrets, ck[strings.LastIndexByte(ck, ',')+1:])
	}
	n := len(rec.cookies)
	rec.mu.Unlock()
	if n < 3 {
		t.Fatalf("%d cookies seen, want at least 3 (two logins and a re-login)", n)
	}
	var out strings.Builder
	for _, v := range append([]any{c, bad, gone}, anySlice(errs)...) {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
			fmt.Fprintf(&out, verb+"\n", v)
		}
	}
	logMu.Lock()
	out.Write(logs.Bytes())
	logMu.Unlock()
	for _, s := range secrets {
		if strings.Contains(out.String(), s) {
			t.Errorf("secret %q shown in:\n%s", s, out.String())
		}
	}
}

func anySlice(errs []error) []any {
	out := make([]any, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return out
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
