package gridsim_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/turbowapi/turbowapi/gridsim"
	"github.com/turbowapi/turbowapi/internal/simtest"
)

// Hardening of the simulated grid: authentication on every WAPI path, cookies that cannot be
// forged, replayed or carried to another grid, and limits on header size, body size and the
// time a client may take to send a request.

// loginCookie logs in with Basic credentials and returns the Cookie header value.
func loginCookie(t *testing.T, c *client) string {
	t.Helper()
	r := c.do("GET", "grid", "")
	sc := r.header.Get("Set-Cookie")
	if r.status != 200 || sc == "" {
		t.Fatalf("login: %d %q", r.status, sc)
	}
	return strings.TrimSuffix(sc, "; httponly; Path=/")
}

// TestAuthEveryPath: every WAPI path (the schema, each object type, references, the request
// object, functions, logout, unknown types and versions) answers 401 to every kind of bad
// credentials, sets no cookie, opens no session and changes nothing; the same requests with
// a valid cookie are not refused.
func TestAuthEveryPath(t *testing.T) {
	t.Parallel()
	clk := simtest.NewClock(time.Unix(1_700_000_000, 0))
	c := start(t, gridsim.WithClock(clk.Now), gridsim.WithUser("admin", "infoblox"), gridsim.WithUser("bob", "bobs-pw"))
	other := start(t) // another grid: another signing key

	// An expired cookie first (the clock then moves past its timeout), then the others.
	expired := loginCookie(t, c)
	clk.Advance(gridsim.DefaultSessionTimeout + time.Second)
	valid := loginCookie(t, c)
	loggedOut := loginCookie(t, c)
	anon := *c
	anon.user = ""
	if r := anon.do("POST", "logout", "", "Cookie: "+loggedOut); r.status != 200 {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	foreign := loginCookie(t, other)
	sig := strings.LastIndexByte(valid, ',') + 1
	flip := func(s string, i int) string {
		b := []byte(s)
		b[i] ^= 1
		return string(b)
	}
	ref := c.create("network", `{"network":"10.0.0.0/24"}`)
	c.create("zone_auth", `{"fqdn":"example.com"}`)

	var schema struct {
		Objects []string `json:"supported_objects"`
	}
	if err := json.Unmarshal([]byte(c.do("GET", "?_schema", "").body), &schema); err != nil || len(schema.Objects) < 10 {
		t.Fatalf("schema: %v %v", err, schema.Objects)
	}
	type request struct{ method, path, body string }
	reqs := []request{
		{"GET", "/wapi/", ""},
		{"GET", "", ""},
		{"GET", "?_schema", ""},
		{"GET", "network?_schema", ""},
		{"GET", ref, ""},
		{"PUT", ref, `{"comment":"changed"}`},
		{"POST", ref + "?_function=next_available_ip", `{"num":1}`},
		{"POST", "networkcontainer", `{"network":{"_object_function":"next_available_network","_object":"networkcontainer","_object_parameters":{"network":"10.0.0.0/8"},"_parameters":{"cidr":24}}}`},
		{"POST", "request", `[{"method":"POST","object":"network","data":{"network":"10.9.0.0/24"}}]`},
		{"POST", "request", `{"method":"GET","object":"network"}`},
		{"POST", "logout", ""},
		{"GET", "nosuchtype", ""},
		{"GET", "/wapi/v9.99/network", ""},
		{"GET", "/wapi/nonsense/network", ""},
		{"HEAD", "network", ""},
		{"PATCH", "network", `{}`},
		{"OPTIONS", "network", ""},
		{"DELETE", ref, ""},
	}
	for _, typ := range schema.Objects {
		reqs = append(reqs, request{"GET", typ, ""}, request{"GET", typ + "?_paging=1&_max_results=10&_return_as_object=1", ""},
			request{"POST", typ, `{"name":"x.example.com","network":"10.8.0.0/24","fqdn":"y.example.com"}`})
	}
	basic := func(user, pass string) string {
		return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	}
	creds := []struct{ name, header string }{
		{"none", ""},
		{"wrong password", basic("admin", "infoblox2")},
		{"another user's password", basic("bob", "infoblox")},
		{"unknown user", basic("mallory", "infoblox")},
		{"empty password", basic("admin", "")},
		{"basic not base64", "Authorization: Basic !!!"},
		{"basic without a colon", "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("admininfoblox"))},
		{"bearer", "Authorization: Bearer " + valid},
		{"junk cookie", `Cookie: ibapauth="junk"`},
		{"empty cookie", `Cookie: ibapauth=`},
		{"cookie under another name", "Cookie: " + strings.Replace(valid, "ibapauth=", "ibapauth2=", 1)},
		{"signature flipped", "Cookie: " + flip(valid, sig+3)},
		{"signature cut", "Cookie: " + valid[:len(valid)-5] + `"`},
		{"user changed", "Cookie: " + strings.Replace(valid, "user=admin", "user=bob", 1)},
		{"timeout raised", "Cookie: " + strings.Replace(valid, "timeout=600", "timeout=999999", 1)},
		{"no signature", "Cookie: " + valid[:sig-1] + `"`},
		{"expired", "Cookie: " + expired},
		{"logged out", "Cookie: " + loggedOut},
		{"another grid's cookie", "Cookie: " + foreign},
	}
	before := c.g.Server.Stats()
	for _, rq := range reqs {
		for _, cr := range creds {
			var hdr []string
			if cr.header != "" {
				hdr = append(hdr, cr.header)
			}
			r := anon.do(rq.method, rq.path, rq.body, hdr...)
			what := fmt.Sprintf("%s %s with %s", rq.method, rq.path, cr.name)
			switch {
			case r.status != http.StatusUnauthorized:
				t.Errorf("%s: status %d, want 401: %.200s", what, r.status, r.body)
			case r.header.Get("Set-Cookie") != "":
				t.Errorf("%s: sets a cookie", what)
			case r.header.Get("WWW-Authenticate") == "":
				t.Errorf("%s: no WWW-Authenticate", what)
			case rq.method != "HEAD" && !strings.Contains(r.body, "Authorization Required"):
				t.Errorf("%s: body %.200s", what, r.body)
			}
		}
	}
	after := c.g.Server.Stats()
	if after.Logins != before.Logins || after.Sessions > before.Sessions || after.AuthCookie != before.AuthCookie ||
		after.AuthBasic != before.AuthBasic || fmt.Sprint(after.Objects) != fmt.Sprint(before.Objects) {
		t.Errorf("bad credentials changed the grid: before %+v\nafter %+v", before, after)
	}
	if n := after.AuthFailed - before.AuthFailed; n != int64(len(reqs)*len(creds)) {
		t.Errorf("%d failed authentications counted, want %d", n, len(reqs)*len(creds))
	}
	// The control: the same requests with the valid cookie get past authentication.
	for _, rq := range reqs {
		if r := anon.do(rq.method, rq.path, rq.body, "Cookie: "+valid); r.status == http.StatusUnauthorized {
			t.Errorf("%s %s with a valid cookie: 401", rq.method, rq.path)
		}
		if rq.path == "logout" {
			valid = loginCookie(t, c)
		}
	}
}

// TestCookieIsTheUsers: a session cookie authenticates its own user only; changing the user
// it names invalidates it.
func TestCookieIsTheUsers(t *testing.T) {
	t.Parallel()
	var log strings.Builder
	var mu sync.Mutex
	c := start(t, gridsim.WithUser("admin", "infoblox"), gridsim.WithUser("bob", "bobs-pw"),
		gridsim.WithAccessLog(writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return log.Write(p) })))
	bob := *c
	bob.user, bob.pass = "bob", "bobs-pw"
	ck := loginCookie(t, &bob)
	if !strings.Contains(ck, ",user=bob,") {
		t.Fatalf("bob's cookie %q", ck)
	}
	anon := *c
	anon.user = ""
	anon.must(200, "GET", "network?_max_results=1", "", "Cookie: "+ck)
	if r := anon.do("GET", "network?_max_results=2", "", "Cookie: "+strings.Replace(ck, "user=bob", "user=admin", 1)); r.status != 401 {
		t.Fatalf("bob's cookie made admin's: %d", r.status)
	}
	mu.Lock()
	defer mu.Unlock()
	for line := range strings.SplitSeq(strings.TrimSpace(log.String()), "\n") {
		switch {
		case strings.Contains(line, "_max_results=1 "):
			if !strings.Contains(line, " - bob [") {
				t.Errorf("bob's cookie logged as another user: %s", line)
			}
		case strings.Contains(line, "_max_results=2 "):
			if !strings.Contains(line, " - - [") {
				t.Errorf("the forged cookie was logged with a user: %s", line)
			}
		}
	}
}

// limitedGrid serves a grid through its HTTPServer over TLS on loopback, with the limits
// changed by adjust.
func limitedGrid(t *testing.T, adjust func(*http.Server), opts ...gridsim.Option) (*httptest.Server, *gridsim.Server) {
	t.Helper()
	srv, err := gridsim.New(append([]gridsim.Option{gridsim.WithUser(simtest.User, simtest.Password)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(srv)
	hs.Config = srv.HTTPServer()
	hs.Config.ErrorLog = log.New(io.Discard, "", 0) // the cut connections' handshake errors
	if adjust != nil {
		adjust(hs.Config)
	}
	hs.StartTLS()
	t.Cleanup(func() { hs.Close(); srv.Close() })
	return hs, srv
}

func dialTLS(t *testing.T, hs *httptest.Server) *tls.Conn {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AddCert(hs.Certificate())
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", hs.Listener.Addr().String(),
		&tls.Config{RootCAs: pool, ServerName: "example.com"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

var basicHeader = "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(simtest.User+":"+simtest.Password))

// TestHTTPServerLimits: the defaults of HTTPServer are set, and are the documented ones.
func TestHTTPServerLimits(t *testing.T) {
	t.Parallel()
	srv, err := gridsim.New()
	if err != nil {
		t.Fatal(err)
	}
	hs := srv.HTTPServer()
	for _, c := range []struct {
		name      string
		got, want time.Duration
	}{
		{"ReadHeaderTimeout", hs.ReadHeaderTimeout, gridsim.DefaultReadHeaderTimeout},
		{"ReadTimeout", hs.ReadTimeout, gridsim.DefaultReadTimeout},
		{"IdleTimeout", hs.IdleTimeout, gridsim.DefaultIdleTimeout},
	} {
		if c.got != c.want || c.got <= 0 || c.got > 5*time.Minute {
			t.Errorf("%s %v, want %v (and within (0, 5m])", c.name, c.got, c.want)
		}
	}
	if hs.MaxHeaderBytes != gridsim.DefaultMaxHeaderBytes || hs.MaxHeaderBytes > 1<<20 || hs.WriteTimeout != 0 ||
		hs.Handler != http.Handler(srv) || hs.ConnContext == nil || hs.ConnState == nil {
		t.Errorf("server %+v", hs)
	}
}

// TestSlowClientsAreCut: a client that sends its request too slowly, or nothing at all, or
// stays idle, is disconnected within the limit (bounded: each case gives up after 5 s).
func TestSlowClientsAreCut(t *testing.T) {
	t.Parallel()
	const limit = 300 * time.Millisecond
	hs, _ := limitedGrid(t, func(s *http.Server) {
		s.ReadHeaderTimeout, s.ReadTimeout, s.IdleTimeout = limit, 2*limit, limit
	})
	cases := []struct {
		name  string
		tls   bool   // complete the TLS handshake
		first string // sent at once
		drip  string // then sent every 50 ms
		bound time.Duration
	}{
		{"silent TCP connection", false, "", "", limit},
		{"headers dripped", true, "GET /wapi/v2.11/grid HTTP/1.1\r\nHost: grid\r\n", "X-Slow: 1\r\n", limit},
		{"body dripped", true, "POST /wapi/v2.11/network HTTP/1.1\r\nHost: grid\r\n" + basicHeader +
			"\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{", " ", 2 * limit},
		{"body dripped without credentials", true, "POST /wapi/v2.11/network HTTP/1.1\r\nHost: grid\r\n" +
			"Content-Length: 1000\r\n\r\n{", " ", 2 * limit},
		{"idle after a request", true, "GET /wapi/v2.11/grid HTTP/1.1\r\nHost: grid\r\n" + basicHeader + "\r\n\r\n", "", limit},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var conn net.Conn
			if tc.tls {
				conn = dialTLS(t, hs)
			} else {
				c, err := net.DialTimeout("tcp", hs.Listener.Addr().String(), 5*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { c.Close() })
				conn = c
			}
			start := time.Now()
			if _, err := io.WriteString(conn, tc.first); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			defer close(done)
			if tc.drip != "" {
				go func() {
					tick := time.NewTicker(50 * time.Millisecond)
					defer tick.Stop()
					for {
						select {
						case <-done:
							return
						case <-tick.C:
							if _, err := io.WriteString(conn, tc.drip); err != nil {
								return
							}
						}
					}
				}()
			}
			// Read (and discard any reply) until the server closes the connection.
			conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, err := io.Copy(io.Discard, conn)
			elapsed := time.Since(start)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("still open after %v (limit %v)", elapsed.Round(time.Millisecond), tc.bound)
			}
			if slack := 2 * time.Second; elapsed > tc.bound+slack {
				t.Fatalf("closed after %v, limit %v", elapsed.Round(time.Millisecond), tc.bound)
			}
		})
	}
}

// TestRequestSizeLimits: headers over the limit get 431, bodies over WithMaxBody get the
// WAPI 413 error whether their length is declared or not, and a body declared far larger is
// refused from its headers, before it is sent (nothing is buffered).
func TestRequestSizeLimits(t *testing.T) {
	t.Parallel()
	const maxBody = 64 << 10
	hs, srv := limitedGrid(t, nil, gridsim.WithMaxBody(maxBody))
	pool := x509.NewCertPool()
	pool.AddCert(hs.Certificate())
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "example.com"}}
	t.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	networks := func(n int) string {
		var b strings.Builder
		b.WriteString("[")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"method":"POST","object":"network","data":{"network":"10.%d.%d.0/24","comment":"%s"}}`, i/256, i%256, strings.Repeat("x", 40))
		}
		return b.String() + "]"
	}
	small, big := networks(100), networks(1000)
	if len(small) >= maxBody || len(big) <= maxBody {
		t.Fatalf("bodies of %d and %d bytes", len(small), len(big))
	}
	cases := []struct {
		name    string
		body    string
		chunked bool
		header  string // an extra header of this many bytes, if set
		status  int
	}{
		{"body under the limit", small, false, "", 200},
		{"body over the limit", big, false, "", 413},
		{"chunked body over the limit", big, true, "", 413},
		{"header under the limit", "[]", false, strings.Repeat("h", 32<<10), 200},
		{"header over the limit", "[]", false, strings.Repeat("h", gridsim.DefaultMaxHeaderBytes+8<<10), 431},
	}
	for _, tc := range cases {
		var body io.Reader = strings.NewReader(tc.body)
		if tc.chunked {
			body = io.MultiReader(body) // no length: sent chunked
		}
		req, err := http.NewRequest("POST", hs.URL+"/wapi/v2.11/request", body)
		if err != nil {
			t.Fatal(err)
		}
		req.SetBasicAuth(simtest.User, simtest.Password)
		if tc.header != "" {
			req.Header.Set("X-Padding", tc.header)
		}
		res, err := hc.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d: %.300s", tc.name, res.StatusCode, tc.status, b)
		}
		if tc.status == 413 && !strings.Contains(string(b), `"code": "Client.Ibap.Proto"`) {
			t.Errorf("%s: not a WAPI error: %s", tc.name, b)
		}
	}
	if n := srv.Stats().Objects["network"]; n != 100 {
		t.Errorf("%d networks, want the 100 of the small body", n)
	}

	// A body declared at 1 GiB: refused from its headers, none of it sent.
	conn := dialTLS(t, hs)
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(conn, "POST /wapi/v2.11/request HTTP/1.1\r\nHost: grid\r\n%s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n[", basicHeader, 1<<30)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 413 || !res.Close {
		t.Errorf("1 GiB declared: status %d, close %v", res.StatusCode, res.Close)
	}
}

// FuzzParseProfile: a profile document is refused with a *ProfileError or accepted as a valid
// profile whose JSON parses back to the same profile.
func FuzzParseProfile(f *testing.F) {
	for _, p := range gridsim.Profiles() {
		f.Add(p.JSON())
	}
	for _, s := range []string{`{}`, `{"name":"x","request_ms":-1}`, `{"name":"x","sigma":"a"}`, `{"name":"x"} {}`,
		`{"name":"x","cliff_at":1e99}`, `{"nmae":"x"}`, `[]`, `{"name":"x","jitter":0.5,"overload_at":3,"max_batch":10}`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		p, err := gridsim.ParseProfile(doc, "fuzz.json")
		if err != nil {
			var pe *gridsim.ProfileError
			if !errors.As(err, &pe) || pe.Source != "fuzz.json" {
				t.Fatalf("error %v (%T) is not a *ProfileError naming the document", err, err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("accepted an invalid profile: %v", err)
		}
		back, err := gridsim.ParseProfile(p.JSON(), "back.json")
		if err != nil {
			t.Fatalf("the profile's JSON does not parse back: %v\n%s", err, p.JSON())
		}
		if string(back.JSON()) != string(p.JSON()) {
			t.Fatalf("round trip changed the profile:\n%s\n%s", p.JSON(), back.JSON())
		}
	})
}

// TestEveryLoginItsOwnCookie: two logins of one user from one address in the same second get
// different cookies (as on a grid), so logging one out leaves the other valid, and a later
// login does not bring a logged-out cookie back.
func TestEveryLoginItsOwnCookie(t *testing.T) {
	t.Parallel()
	fixed := time.Unix(1_700_000_000, 0)
	c := start(t, gridsim.WithClock(func() time.Time { return fixed }))
	anon := *c
	anon.user = ""
	a, b := loginCookie(t, c), loginCookie(t, c)
	if a == b {
		t.Fatalf("two logins got the same cookie %s", a)
	}
	anon.must(200, "POST", "logout", "", "Cookie: "+a)
	if r := anon.do("GET", "grid", "", "Cookie: "+b); r.status != 200 {
		t.Fatalf("the other session was ended: %d", r.status)
	}
	loginCookie(t, c)
	if r := anon.do("GET", "grid", "", "Cookie: "+a); r.status != 401 {
		t.Fatalf("the logged-out cookie came back after a new login: %d", r.status)
	}
}

// FuzzAuthHeaders sends arbitrary Cookie and Authorization headers: the grid answers 200 or
// 401, never panics, and lets a request in only with the exact credentials or a cookie it
// issued.
func FuzzAuthHeaders(f *testing.F) {
	s, err := gridsim.New(gridsim.WithUser("admin", "infoblox"))
	if err != nil {
		f.Fatal(err)
	}
	login := httptest.NewRequest("GET", "/wapi/v2.11/grid", nil)
	login.SetBasicAuth("admin", "infoblox")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, login)
	valid, _, _ := strings.Cut(rec.Header().Get("Set-Cookie"), ";")
	if rec.Code != 200 || !strings.HasPrefix(valid, "ibapauth=") {
		f.Fatalf("login: %d %q", rec.Code, valid)
	}
	sig := strings.TrimSuffix(valid[strings.LastIndexByte(valid, ',')+1:], `"`)
	good := "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:infoblox"))
	for _, seed := range [][2]string{
		{valid, ""}, {"", good}, {strings.Replace(valid, "user=admin", "user=root", 1), ""}, {"a=b; " + valid + "; c=d", ""},
		{`ibapauth=""`, "Basic YWRtaW46"}, {"ibapauth=" + sig, "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:infoblox\x00"))},
		{`ibapauth="ip=1,` + sig + `"`, "Basic ===="}, {strings.Repeat("ibapauth=,", 100), "Digest x"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, cookie, auth string) {
		r := httptest.NewRequest("GET", "/wapi/v2.11/grid", nil)
		r.Header["Cookie"] = []string{cookie}
		r.Header["Authorization"] = []string{auth}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		switch w.Code {
		case 401:
		case 200:
			if !strings.Contains(cookie, sig) && auth != good {
				u, p, ok := r.BasicAuth()
				if !ok || u != "admin" || p != "infoblox" {
					t.Fatalf("let in with Cookie %q and Authorization %q", cookie, auth)
				}
			}
		default:
			t.Fatalf("status %d for Cookie %q and Authorization %q", w.Code, cookie, auth)
		}
	})
}

// TestResetNeedsCredentials: POST /_sim/reset, when enabled, deletes every object only for
// a user of the grid.
func TestResetNeedsCredentials(t *testing.T) {
	t.Parallel()
	c := start(t, gridsim.WithAllowReset(true))
	c.create("network", `{"network":"10.0.0.0/24"}`)
	anon := *c
	anon.user = ""
	bad := *c
	bad.pass = "wrong"
	for name, cl := range map[string]*client{"no credentials": &anon, "wrong password": &bad} {
		if r := cl.do("POST", "/_sim/reset", ""); r.status != http.StatusUnauthorized {
			t.Errorf("%s: status %d", name, r.status)
		}
	}
	if n := c.g.Server.Stats().Objects["network"]; n != 1 {
		t.Fatalf("%d networks after refused resets", n)
	}
	c.must(200, "POST", "/_sim/reset", "")
	if n := c.g.Server.Stats().Objects["network"]; n != 0 {
		t.Fatalf("%d networks after a reset", n)
	}
}
