package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/turbowapi/turbowapi/gridsim"
	"github.com/turbowapi/turbowapi/journal"
	"github.com/turbowapi/turbowapi/wapi"
)

// The end-to-end tests drive the built command against `turbowapi sim` started as a
// process: the binary is built once, by the first test that needs it.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	binDir    string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binary builds cmd/turbowapi once and returns its path.
func binary(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: builds the command (skipped with -short)")
	}
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "turbowapi-e2e-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "turbowapi")
		args := []string{"build", "-o", binPath}
		if tags := os.Getenv("E2E_BUILD_TAGS"); tags != "" {
			args = append(args, "-tags", tags)
		}
		cmd := exec.Command("go", append(args, ".")...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out.String())
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

const e2ePassword = "e2e-secret-pw"

// simProc is a running `turbowapi sim`.
type simProc struct {
	URL, CA string
	cmd     *exec.Cmd
	client  *wapi.Client
	done    chan struct{} // closed when the process has exited
	stderr  *lockedBuffer
}

// simConfig says how to start a simulator, beyond its flags.
type simConfig struct {
	// listen is the address to listen on (default 127.0.0.1:0, a free port).
	listen string
	// certFile and keyFile, when set, are the certificate (its own CA) and key to serve, so
	// that a simulator restarted on them is trusted by clients of the first one; by default
	// each simulator makes a new certificate.
	certFile, keyFile string
}

// lockedBuffer is a bytes.Buffer that a process writes while a test may read it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startSim runs `turbowapi sim` on a free loopback port with its CA written to a file.
func startSim(t testing.TB, args ...string) *simProc {
	t.Helper()
	return startSimWith(t, simConfig{}, args...)
}

// startSimWith runs `turbowapi sim` as cfg says, with args. The process is stopped when the
// test ends (if it has not been stopped or killed before).
func startSimWith(t testing.TB, cfg simConfig, args ...string) *simProc {
	t.Helper()
	s, err := launchSim(t, cfg, args...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// launchSim is startSimWith that returns an error when the simulator does not start.
func launchSim(t testing.TB, cfg simConfig, args ...string) (*simProc, error) {
	t.Helper()
	bin := binary(t)
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte(e2ePassword+"\n"), 0o600); err != nil {
		return nil, err
	}
	listen := cfg.listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	all := []string{"sim", "--listen", listen, "--password-file", pw}
	if cfg.certFile != "" {
		ca = cfg.certFile
		all = append(all, "--cert", cfg.certFile, "--key", cfg.keyFile)
	} else {
		all = append(all, "--ca-out", ca)
	}
	cmd := exec.Command(bin, append(all, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &simProc{CA: ca, cmd: cmd, done: make(chan struct{}), stderr: stderr}
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				urlc <- strings.TrimSpace(u)
			}
		}
		cmd.Wait() // after the pipe is drained, as exec requires
		close(s.done)
	}()
	t.Cleanup(func() { s.halt(os.Interrupt, 10*time.Second) })
	select {
	case s.URL = <-urlc:
	case <-s.done:
		return nil, fmt.Errorf("turbowapi sim exited: %s", stderr.String())
	case <-time.After(30 * time.Second):
		return nil, fmt.Errorf("turbowapi sim did not start: %s", stderr.String())
	}
	c, err := wapi.New(s.URL, wapi.WithCAFile(ca), wapi.WithCredentials("admin", e2ePassword))
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	s.client = c
	return s, nil
}

// halt sends sig and waits for the process to exit, killing it after grace; it does nothing
// to a process that has exited.
func (s *simProc) halt(sig os.Signal, grace time.Duration) {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(sig)
	select {
	case <-s.done:
	case <-time.After(grace):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// stop ends the simulator as an operator would (SIGINT: the database is closed cleanly).
func (s *simProc) stop(t testing.TB) {
	t.Helper()
	s.halt(os.Interrupt, 30*time.Second)
}

// kill ends the simulator with SIGKILL, as a crash would.
func (s *simProc) kill(t testing.TB) {
	t.Helper()
	s.halt(os.Kill, 30*time.Second)
}

// stats reads the simulator's counters.
func (s *simProc) stats(t testing.TB) gridsim.Stats {
	t.Helper()
	tr := &http.Transport{TLSClientConfig: tlsConfig(t, s.CA)}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get(s.URL + "/_sim/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st gridsim.Stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// result is one run of the command.
type result struct {
	code           int
	stdout, stderr string
}

// command is the built command with args and the simulator's connection settings in the
// environment (INFOBLOX_SERVER, INFOBLOX_USERNAME, INFOBLOX_PASSWORD), to run in dir.
func (s *simProc) command(t testing.TB, dir string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "INFOBLOX_SERVER="+s.URL, "INFOBLOX_USERNAME=admin", "INFOBLOX_PASSWORD="+e2ePassword)
	return cmd
}

// run runs the built command with args and the simulator's connection settings, in dir.
func (s *simProc) run(t testing.TB, dir string, stdin string, args ...string) result {
	t.Helper()
	cmd := s.command(t, dir, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	r := result{code: code, stdout: out.String(), stderr: errb.String()}
	if strings.Contains(r.stdout+r.stderr, e2ePassword) {
		t.Fatalf("the password appears in the output: %+v", r)
	}
	return r
}

// summary decodes the --json summary.
func (r result) summary(t testing.TB) jsonSummary {
	t.Helper()
	var s jsonSummary
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("summary: %v\nstdout: %s\nstderr: %s", err, r.stdout, r.stderr)
	}
	return s
}

type jsonSummary struct {
	Total    int64            `json:"total"`
	Resumed  int64            `json:"resumed"`
	Outcomes map[string]int64 `json:"outcomes"`
	Pending  int64            `json:"pending"`
	Requests int64            `json:"requests"`
	Journal  string           `json:"journal"`
	Strategy string           `json:"strategy"`
}

// networks returns the networks on the grid by CIDR, with their comment.
func (s *simProc) networks(t testing.TB) map[string]string {
	t.Helper()
	out := map[string]string{}
	for o, err := range s.client.SearchAll(context.Background(), "network", wapi.NewQuery().ReturnFieldsPlus("comment"), 1000) {
		if err != nil {
			t.Fatal(err)
		}
		cidr := o.StringField("network")
		if _, dup := out[cidr]; dup {
			t.Fatalf("network %s twice", cidr)
		}
		out[cidr] = o.StringField("comment")
	}
	return out
}

func tlsConfig(t testing.TB, caFile string) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &tls.Config{RootCAs: pool}
}

// journalOutcome is an outcome as the tests read it back from a journal.
type journalOutcome struct {
	Status string
	Ref    string
	Line   int
	Type   string
}

// journalOutcomes reads a finished journal's outcomes by ordinal, failing on a duplicate.
func journalOutcomes(t testing.TB, path string) map[int64]journalOutcome {
	t.Helper()
	m, err := readJournalForTest(path)
	if err != nil {
		t.Fatal(err)
	}
	for k := range m {
		if k < 0 {
			t.Fatalf("journal %s: two outcomes for ordinal %d", path, -1-k)
		}
	}
	return m
}

// checkJournal checks that the journal holds exactly one outcome for each of n objects.
func checkJournal(t testing.TB, path string, n int) {
	t.Helper()
	if b, err := os.ReadFile(path); err != nil || bytes.Contains(b, []byte(e2ePassword)) {
		t.Fatalf("journal %s: unreadable (%v) or holds the password", path, err)
	}
	m := journalOutcomes(t, path)
	if len(m) != n {
		t.Fatalf("journal %s: %d outcomes, want %d", path, len(m), n)
	}
	for i := range int64(n) {
		if _, ok := m[i]; !ok {
			t.Fatalf("journal %s: no outcome for ordinal %d", path, i)
		}
	}
}

// readJournalForTest reads a journal's outcomes by ordinal (a second outcome for an ordinal
// under -1-ordinal).
func readJournalForTest(path string) (map[int64]journalOutcome, error) {
	m := map[int64]journalOutcome{}
	_, err := journal.Read(path, func(r journal.Record) error {
		if r.Kind != journal.KindOutcome {
			return nil
		}
		k := r.Outcome.Ordinal
		if _, dup := m[k]; dup {
			k = -1 - k
		}
		m[k] = journalOutcome{Status: string(r.Outcome.Status), Ref: r.Outcome.Ref, Line: r.Outcome.Line, Type: r.Outcome.Type}
		return nil
	})
	return m, err
}
