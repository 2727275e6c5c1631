package main

import (
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/turbowapi/turbowapi/gridsim"
	"github.com/turbowapi/turbowapi/internal/simtest"
)

// Safe defaults of the commands: TLS verification on (and never silently off), and
// secrets (the password and the session cookies) in no output, journal or file.

// secretPassword is the grid password of these tests: distinctive, so a search for it
// cannot match anything else.
const secretPassword = "Pw-7f3c9e51-topsecret"

// watchedGrid is an in-process grid over TLS that records every session cookie it hands
// out, so tests can search outputs for them.
type watchedGrid struct {
	URL, CA string
	Server  *gridsim.Server
	mu      sync.Mutex
	cookies []string
}

func startWatchedGrid(t *testing.T, opts ...gridsim.Option) *watchedGrid {
	t.Helper()
	srv, err := gridsim.New(append([]gridsim.Option{gridsim.WithUser(simtest.User, secretPassword)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	g := &watchedGrid{Server: srv}
	cert, caPEM, err := gridsim.SelfSignedCert()
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(nil)
	hs.Config = srv.HTTPServer()
	hs.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv.ServeHTTP(w, r)
		for _, c := range w.Header().Values("Set-Cookie") {
			g.mu.Lock()
			g.cookies = append(g.cookies, c)
			g.mu.Unlock()
		}
	})
	hs.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes
	hs.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	hs.StartTLS()
	t.Cleanup(func() { hs.Close(); srv.Close() })
	g.URL = hs.URL
	g.CA = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(g.CA, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return g
}

// secrets returns what must never be shown: the password, its Basic encoding, and every
// cookie handed out (whole, and its signature alone).
func (g *watchedGrid) secrets(extra ...string) []string {
	out := []string{secretPassword, base64.StdEncoding.EncodeToString([]byte(simtest.User + ":" + secretPassword))}
	out = append(out, extra...)
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, c := range g.cookies {
		v, _, _ := strings.Cut(strings.TrimPrefix(c, "ibapauth="), ";")
		v = strings.Trim(v, `"`)
		out = append(out, v, v[strings.LastIndexByte(v, ',')+1:])
	}
	return out
}

// checkNoSecrets fails if any secret is in the texts or in a file under dir.
func checkNoSecrets(t *testing.T, secrets []string, dir string, texts map[string]string) {
	t.Helper()
	if dir != "" {
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				b, _ := os.ReadFile(p)
				texts[p] = string(b)
			}
			return nil
		})
	}
	for name, text := range texts {
		for _, s := range secrets {
			if len(s) >= 8 && strings.Contains(text, s) {
				t.Errorf("%s holds the secret %q:\n%s", name, s, firstLines(text, 20))
			}
		}
	}
}

// TestSecretsNeverShown runs load, delete and export, with and without --json, on success
// and on failures (wrong password, grid errors, faults), and searches stdout, stderr, the
// journals and every file written for the password and the session cookies.
func TestSecretsNeverShown(t *testing.T) {
	t.Parallel()
	const bad = `{"_type":"network","network":"10.0.0.0/24","comment":"again"}
{"_type":"network","network":"10.7.0.0/24","network_view":"nosuchview"}
{"_type":"network","network":"10.8.0.0/24","comment":"fine"}
`
	cases := []struct {
		name     string
		faults   string
		password string // INFOBLOX_PASSWORD; secretPassword when empty
		pwFile   bool   // give it with --password-file instead
		prepare  bool   // load 20 networks first
		files    map[string]string
		args     []string // J is the journal path, DIR the directory
		code     int
		want     string // in stderr
		journal  bool   // the run writes J
	}{
		{name: "load --json", args: []string{"load", "--json", "--journal", "J", "--generate", "network 10.0.0.0/8 /24 20"}, code: 0, want: "20 created", journal: true},
		{name: "load with grid errors", prepare: true, files: map[string]string{"bad.jsonl": bad},
			args: []string{"load", "--json", "--on-conflict", "fail", "--journal", "J", "DIR/bad.jsonl"}, code: 1, want: "failed", journal: true},
		{name: "load under faults", faults: "503=0.2,reset=0.1,lost=0.1",
			args: []string{"load", "--json", "--strategy", "concurrent", "--concurrency", "4", "--retry-base", "1ms", "--retry-cap", "5ms",
				"--journal", "J", "--generate", "network 10.0.0.0/8 /24 40"}, code: 0, want: "40 created", journal: true},
		{name: "load with a wrong password", password: "Wrong-" + secretPassword, args: []string{"load", "--json", "--journal", "J", "--generate", "network 10.0.0.0/8 /24 2"},
			code: 1, want: "check the user name and the password"},
		{name: "load with a wrong password file", password: "Wrong-" + secretPassword, pwFile: true,
			args: []string{"load", "--journal", "J", "--generate", "network 10.0.0.0/8 /24 2"}, code: 1, want: "check the user name and the password"},
		{name: "delete dry run", prepare: true, args: []string{"delete", "--type", "network", "--filter", "comment=test-network", "--dry-run", "--json"},
			code: 0, want: ""},
		{name: "delete --json", prepare: true, args: []string{"delete", "--type", "network", "--all", "--yes", "--json", "--out-journal", "J"},
			code: 0, want: "20 deleted", journal: true},
		{name: "delete undoing a load", prepare: true, args: []string{"delete", "--journal", "DIR/prep.jsonl", "--yes", "--json", "--out-journal", "J"},
			code: 0, want: "20 deleted", journal: true},
		{name: "delete with a wrong password", password: "Wrong-" + secretPassword, args: []string{"delete", "--type", "network", "--all", "--yes", "--json"},
			code: 1, want: "check the user name and the password"},
		{name: "export json", prepare: true, args: []string{"export", "--type", "network", "--format", "json"}, code: 0, want: "20 network objects"},
		{name: "export csv to a file", prepare: true, args: []string{"export", "--type", "network", "--format", "csv", "--output", "DIR/out.csv"}, code: 0, want: "20 network objects"},
		{name: "export with a grid error", prepare: true, args: []string{"export", "--type", "network", "--filter", "nosuchfield=1"}, code: 1, want: "nosuchfield"},
		{name: "export with a wrong password", password: "Wrong-" + secretPassword, args: []string{"export", "--type", "network"},
			code: 1, want: "check the user name and the password"},
		{name: "password in the grid URL", args: []string{"export", "--type", "network", "--grid", "URLPW"}, code: 2, want: "must not hold credentials"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var opts []gridsim.Option
			if tc.faults != "" {
				fs, err := gridsim.ParseFaults(tc.faults)
				if err != nil {
					t.Fatal(err)
				}
				opts = append(opts, gridsim.WithFaults(fs), gridsim.WithSeed(3))
			}
			g := startWatchedGrid(t, opts...)
			dir := writeFiles(t, tc.files)
			journal := filepath.Join(dir, "j.jsonl")
			pw := secretPassword
			if tc.password != "" {
				pw = tc.password
			}
			environ := gridEnv(g.URL, pw)
			if tc.prepare {
				r := inProcEnv(t, gridEnv(g.URL, secretPassword), "",
					"load", "--ca-cert", g.CA, "--journal", filepath.Join(dir, "prep.jsonl"), "--generate", "network 10.0.0.0/8 /24 20")
				if r.code != 0 {
					t.Fatalf("prepare: exit %d: %s", r.code, r.stderr)
				}
			}
			args := []string{tc.args[0], "--ca-cert", g.CA}
			if tc.pwFile {
				pf := filepath.Join(t.TempDir(), "pw")
				if err := os.WriteFile(pf, []byte(pw+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				delete(environ, "INFOBLOX_PASSWORD")
				args = append(args, "--password-file", pf)
			}
			for _, a := range tc.args[1:] {
				switch {
				case a == "J":
					a = journal
				case a == "URLPW":
					a = "https://" + simtest.User + ":" + secretPassword + "@" + strings.TrimPrefix(g.URL, "https://")
				case strings.HasPrefix(a, "DIR/"):
					a = filepath.Join(dir, a[4:])
				}
				args = append(args, a)
			}
			r := inProcEnv(t, environ, "", args...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, want %d and %q in stderr:\n%s\nstdout:\n%s", r.code, tc.code, tc.want, r.stderr, firstLines(r.stdout, 10))
			}
			if _, err := os.Stat(journal); (err == nil) != tc.journal {
				t.Errorf("journal written: %v, want %v", err == nil, tc.journal)
			}
			if tc.password == "" && tc.code != exitUsage && len(g.secrets()) <= 2 {
				t.Fatal("the grid handed out no cookie: the search would prove nothing")
			}
			checkNoSecrets(t, g.secrets(pw), dir, map[string]string{"stdout": r.stdout, "stderr": r.stderr})
		})
	}
}

// TestTLSDefaults: load and export verify the grid's certificate by default. The
// simulator's self-signed certificate without --ca-cert fails before anything is sent, with
// the remedy; --insecure works and warns; a missing, unreadable or garbage CA file is a usage
// error, and a CA that did not sign the grid's certificate fails: never a silent fallback to
// no verification or to the system's roots alone.
func TestTLSDefaults(t *testing.T) {
	t.Parallel()
	otherCA := func(t *testing.T, dir string) string {
		_, pem, err := gridsim.SelfSignedCert("127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "other.pem")
		if err := os.WriteFile(p, pem, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write := func(name, content string) func(*testing.T, string) string {
		return func(t *testing.T, dir string) string {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}
	}
	const keyPEM = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBoAoGCCqGSM49\n-----END EC PRIVATE KEY-----\n"
	cases := []struct {
		name    string
		ca      func(t *testing.T, dir string) string // the --ca-cert file, if any
		args    []string
		code    int
		want    []string
		never   []string
		connect bool // the grid sees requests (the command got through)
	}{
		{name: "no --ca-cert", code: 1, want: []string{"certificate", "--ca-cert FILE", "--insecure", "turbowapi sim --ca-out FILE"}},
		{name: "the grid's CA", ca: func(t *testing.T, dir string) string { return "GRIDCA" }, code: 0, connect: true, never: []string{"WARNING"}},
		{name: "--insecure", args: []string{"--insecure"}, code: 0, connect: true,
			want: []string{"WARNING: --insecure: the grid's certificate is not verified"}},
		{name: "another CA", ca: otherCA, code: 1, want: []string{"not signed by a trusted CA", "--ca-cert FILE"}},
		{name: "missing CA file", ca: func(t *testing.T, dir string) string { return filepath.Join(dir, "none.pem") }, code: 2,
			want: []string{"--ca-cert", "none.pem", "no such file or directory"}},
		{name: "CA file is a directory", ca: func(t *testing.T, dir string) string { return dir }, code: 2,
			want: []string{"is a directory"}},
		{name: "empty CA file", ca: write("empty.pem", ""), code: 2, want: []string{"no PEM certificate in"}},
		{name: "garbage CA file", ca: write("junk.pem", "\x00\x01 not a certificate\n"), code: 2, want: []string{"no PEM certificate in"}},
		{name: "certificate block of garbage", ca: write("bad.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), code: 2,
			want: []string{"no PEM certificate in"}},
		{name: "key instead of a certificate", ca: write("key.pem", keyPEM), code: 2, want: []string{"no PEM certificate in"}},
		{name: "--insecure and --ca-cert", ca: func(t *testing.T, dir string) string { return "GRIDCA" }, args: []string{"--insecure"}, code: 2,
			want: []string{"--insecure and --ca-cert exclude each other"}},
	}
	for _, cmd := range [][]string{
		{"load", "--generate", "network 10.0.0.0/8 /24 3"},
		{"export", "--type", "network", "--format", "jsonl"},
	} {
		for _, tc := range cases {
			t.Run(cmd[0]+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				g := startWatchedGrid(t)
				dir := t.TempDir()
				args := append([]string{}, cmd...)
				if cmd[0] == "load" {
					args = append(args, "--journal", filepath.Join(t.TempDir(), "j.jsonl"))
				}
				if tc.ca != nil {
					ca := tc.ca(t, dir)
					if ca == "GRIDCA" {
						ca = g.CA
					}
					args = append(args, "--ca-cert", ca)
				}
				args = append(args, tc.args...)
				r := inProcEnv(t, gridEnv(g.URL, secretPassword), "", args...)
				if r.code != tc.code {
					t.Errorf("exit %d, want %d", r.code, tc.code)
				}
				for _, w := range tc.want {
					if !strings.Contains(r.stderr, w) {
						t.Errorf("stderr lacks %q", w)
					}
				}
				for _, n := range tc.never {
					if strings.Contains(r.stderr, n) {
						t.Errorf("stderr holds %q", n)
					}
				}
				st := g.Server.Stats()
				if got := st.Requests > 0; got != tc.connect {
					t.Errorf("the grid saw %d requests (%d logins); want requests: %v", st.Requests, st.Logins, tc.connect)
				}
				if t.Failed() {
					t.Logf("stderr:\n%s", firstLines(r.stderr, 8))
				}
			})
		}
	}
}

// TestPasswordNeverAFlag: every command refuses a password given as a flag, in any
// spelling, with exit status 2 and the sources it takes instead, without repeating it and
// before doing anything.
func TestPasswordNeverAFlag(t *testing.T) {
	t.Parallel()
	const pw = "Flag-Pw-93d1"
	cases := []struct {
		cmd  []string
		want string
	}{
		{[]string{"load", "--generate", "network 10.0.0.0/8 /24 3"}, "INFOBLOX_PASSWORD"},
		{[]string{"delete", "--type", "network", "--all", "--yes"}, "INFOBLOX_PASSWORD"},
		{[]string{"export", "--type", "network"}, "INFOBLOX_PASSWORD"},
		{[]string{"bench", "--yes"}, "INFOBLOX_PASSWORD"},
		{[]string{"sim", "--listen", "127.0.0.1:0"}, "TURBOWAPI_SIM_PASSWORD"},
	}
	spellings := [][]string{{"--password", pw}, {"-password", pw}, {"--password=" + pw}, {"-password=" + pw}, {"--password"}}
	for _, tc := range cases {
		for _, sp := range spellings {
			t.Run(tc.cmd[0]+" "+sp[0], func(t *testing.T) {
				t.Parallel()
				g := simtest.Start(t)
				r := inProc(t, g, "", append(append([]string{}, tc.cmd...), sp...)...)
				if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, "--password-file") ||
					!strings.Contains(r.stderr, "never given as a flag") {
					t.Errorf("exit %d, stderr:\n%s", r.code, firstLines(r.stderr, 5))
				}
				if strings.Contains(r.stdout+r.stderr, pw) {
					t.Errorf("the password is repeated:\n%s", firstLines(r.stderr, 5))
				}
				checkNothingSent(t, g)
			})
		}
	}
	// After "--", an argument is a file name, not a flag.
	if passwordFlag([]string{"--", "--password"}) || !passwordFlag([]string{"a.csv", "--password=x", "--"}) || passwordFlag([]string{"--password-file", "f"}) {
		t.Error("passwordFlag misreads its arguments")
	}
}

// TestPlainHTTPWarns: a grid URL in plain http:// works (turbowapi sim --http) but warns
// that the password crosses the network in clear.
func TestPlainHTTPWarns(t *testing.T) {
	t.Parallel()
	srv, err := gridsim.New(gridsim.WithUser(simtest.User, simtest.Password))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); srv.Close() })
	g := &simtest.Grid{URL: hs.URL, Server: srv}
	r := inProc(t, g, "", "export", "--type", "network")
	if r.code != 0 || !strings.Contains(r.stderr, "WARNING: "+hs.URL+" is plain HTTP: the password") {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// TestSimProcessHardening runs `turbowapi sim` as a process with short read timeouts: a
// client dripping its headers is cut within the limit, WAPI paths need credentials, and
// bad limits are refused.
func TestSimProcessHardening(t *testing.T) {
	t.Parallel()
	sim := startSim(t, "--read-header-timeout", "300ms", "--read-timeout", "600ms")
	tr := &http.Transport{TLSClientConfig: tlsConfig(t, sim.CA)}
	t.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	for _, p := range []string{"/wapi/v2.11/?_schema", "/wapi/v2.11/network", "/wapi/v2.11/grid", "/wapi/v9.9/network"} {
		res, err := hc.Get(sim.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s without credentials: %d", p, res.StatusCode)
		}
	}
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", strings.TrimPrefix(sim.URL, "https://"), tlsConfig(t, sim.CA))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	fmt.Fprint(conn, "GET /wapi/v2.11/grid HTTP/1.1\r\nHost: grid\r\n")
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
				if _, err := fmt.Fprint(conn, "X-Slow: 1\r\n"); err != nil {
					return
				}
			}
		}
	}()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = io.Copy(io.Discard, conn)
	if ne, ok := err.(net.Error); (ok && ne.Timeout()) || time.Since(start) > 2300*time.Millisecond {
		t.Errorf("a client dripping its headers was cut after %v (%v), limit 300ms", time.Since(start), err)
	}
	for _, bad := range [][]string{{"--read-header-timeout", "0s"}, {"--read-timeout", "-1s"}, {"--max-header-bytes", "10"}} {
		r := inProcEnv(t, nil, "", append([]string{"sim", "--listen", "127.0.0.1:0"}, bad...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, "--read-header-timeout and --read-timeout must be positive") {
			t.Errorf("sim %v: exit %d: %s", bad, r.code, r.stderr)
		}
	}
}
