package main

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/turbowapi/turbowapi/bulk"
	"github.com/turbowapi/turbowapi/gridsim"
	"github.com/turbowapi/turbowapi/journal"
)

// Crashes: the loader killed with SIGKILL at random moments and resumed from its journal,
// and the simulator killed with SIGKILL mid-load and restarted on its data directory while
// the loader rides through. Each ends with exactly the input on the grid and one outcome
// per object in the journal.

// loaderProc is a `turbowapi load` running in the background.
type loaderProc struct {
	cmd            *exec.Cmd
	done           chan struct{}
	stdout, stderr *lockedBuffer
	code           int
}

// startLoader starts the built command with the simulator's connection settings, in dir.
func (s *simProc) startLoader(t testing.TB, dir string, args ...string) *loaderProc {
	t.Helper()
	cmd := s.command(t, dir, args...)
	l := &loaderProc{cmd: cmd, done: make(chan struct{}), stdout: &lockedBuffer{}, stderr: &lockedBuffer{}}
	cmd.Stdout, cmd.Stderr = l.stdout, l.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := cmd.Wait()
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee):
			l.code = ee.ExitCode() // -1 when killed
		case err != nil:
			l.code = -2
		}
		close(l.done)
	}()
	t.Cleanup(func() { l.kill() })
	return l
}

// kill ends the loader with SIGKILL (if it is still running) and waits for it.
func (l *loaderProc) kill() {
	select {
	case <-l.done:
		return
	default:
	}
	l.cmd.Process.Kill()
	<-l.done
}

// exited reports whether the loader has exited.
func (l *loaderProc) exited() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

// wait waits for the loader to exit by itself, failing the test after limit.
func (l *loaderProc) wait(t testing.TB, limit time.Duration) result {
	t.Helper()
	select {
	case <-l.done:
	case <-time.After(limit):
		l.kill()
		t.Fatalf("the loader did not finish within %v: %s", limit, lastLines(l.stderr.String(), 20))
	}
	return result{code: l.code, stdout: l.stdout.String(), stderr: l.stderr.String()}
}

// outcomeCount returns the number of objects with an outcome in a journal being written (0
// when it cannot be read yet).
func outcomeCount(path string) int {
	n := 0
	_, err := journal.Read(path, func(r journal.Record) error {
		if r.Kind == journal.KindOutcome {
			n++
		}
		return nil
	})
	if err != nil {
		return 0
	}
	return n
}

// waitOutcomes polls the journal until it holds at least n outcomes or the loader exits; it
// reports whether the count was reached (real I/O: polled, bounded by limit).
func waitOutcomes(t testing.TB, l *loaderProc, path string, n int, limit time.Duration) bool {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		if outcomeCount(path) >= n {
			return true
		}
		if l.exited() {
			return false
		}
		if time.Now().After(deadline) {
			l.kill()
			t.Fatalf("the loader made no progress in %v (%d outcomes, waiting for %d): %s", limit, outcomeCount(path), n,
				lastLines(l.stderr.String(), 20))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// crashStrategies are the strategies of the crash tests, with their flags.
var crashStrategies = []struct {
	strategy string
	args     []string
}{
	{"batch", []string{"--strategy", "batch", "--batch-size", "10", "--concurrency", "2"}},
	{"concurrent", []string{"--strategy", "concurrent", "--concurrency", "4"}},
	{"auto", []string{"--strategy", "auto"}},
}

// killPoint is where a loader was killed, as its journal tells.
type killPoint struct {
	run      int
	when     string // what the kill waited for
	outcomes int    // objects with an outcome after the kill
	inFlight int64  // objects with an intent and no outcome
	torn     bool   // the journal's last line was cut
	journal  bool   // the journal existed
}

func (p killPoint) String() string {
	if !p.journal {
		return fmt.Sprintf("run %d, %s: no journal yet", p.run, p.when)
	}
	return fmt.Sprintf("run %d, %s: %d outcomes, %d in flight, torn %v", p.run, p.when, p.outcomes, p.inFlight, p.torn)
}

// The loader killed with SIGKILL at 12 random moments (during start-up, while sending, while
// writing its journal) and resumed from its journal each time: the grid ends with exactly
// the input, every object created once, and the journal with one created outcome per object
// holding the grid's ref.
func TestCrashLoaderKilled(t *testing.T) {
	t.Parallel()
	for i, tc := range crashStrategies {
		t.Run(tc.strategy, func(t *testing.T) {
			t.Parallel()
			const n, kills = 600, 12
			seed := uint64(time.Now().UnixNano())
			rng := rand.New(rand.NewPCG(seed, uint64(i)))
			t.Logf("seed %d", seed)
			objs := chaosWorkload(n, uint64(30+i))
			dir := t.TempDir()
			in := writeWorkload(t, dir, "chaos.jsonl", objs)
			// The article's grid at twice its speed: a load of several seconds.
			sim := startSim(t, "--profile", "article", "--speed", "2")
			jpath := filepath.Join(dir, "load.jsonl")
			var points []killPoint
			for run := 1; len(points) < kills; run++ {
				args := append([]string{"load", "--ca-cert", sim.CA, "--json"}, tc.args...)
				if _, err := os.Stat(jpath); err == nil {
					args = append(args, "--resume", jpath)
				} else {
					args = append(args, "--journal", jpath)
				}
				before := outcomeCount(jpath)
				l := sim.startLoader(t, dir, append(args, in)...)
				var when string
				if rng.IntN(4) == 0 {
					// Anywhere from start-up (validation, login, journal creation) on.
					d := time.Duration(rng.Int64N(int64(250 * time.Millisecond)))
					when = "after " + d.Round(time.Millisecond).String()
					time.Sleep(d)
				} else {
					k := 1 + rng.IntN(n/20)
					when = fmt.Sprintf("after %d more outcomes", k)
					waitOutcomes(t, l, jpath, before+k, 60*time.Second)
				}
				if l.exited() {
					t.Fatalf("the load finished before kill %d (%s): make it longer", len(points)+1, when)
				}
				l.kill()
				p := killPoint{run: run, when: when}
				if st, err := journal.Load(jpath); err == nil {
					p.journal, p.outcomes, p.inFlight, p.torn = true, outcomeCount(jpath), st.InFlightCount, st.Info.Torn
				} else if !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("journal after kill %d (%s): %v", len(points)+1, when, err)
				}
				points = append(points, p)
			}
			// The last run is left to finish.
			r := sim.run(t, dir, "", append(append([]string{"load", "--ca-cert", sim.CA, "--json", "--resume", jpath}, tc.args...), in)...)
			if r.code != 0 {
				t.Fatalf("final resume: exit %d: %s", r.code, lastLines(r.stderr, 20))
			}
			s := decodeSummary(t, r)
			grid := gridContent(t, sim.client)
			requireGood(t, compareGrid(grid, objs), checkRunJournal(t, jpath, objs, grid, bulk.StatusCreated), n)
			inFlight, torn := 0, 0
			for _, p := range points {
				t.Logf("kill %s", p)
				if p.inFlight > 0 {
					inFlight++
				}
				if p.torn {
					torn++
				}
			}
			// The kills that matter most left writes in flight: their objects were looked up.
			if inFlight == 0 {
				t.Errorf("no kill left an object in flight: %v", points)
			}
			st := sim.stats(t)
			t.Logf("%d kills (%d with objects in flight, %d with a torn journal); final run: %d resumed, %d created, %d lookups; %d replies 400 (conflicts of re-sent objects, resolved by lookup)",
				len(points), inFlight, torn, s.Resumed, s.Outcomes[bulk.StatusCreated], s.Lookups, st.RequestsByStatus["400"])
		})
	}
}

// writeCert writes a self-signed certificate and its key, so that a restarted simulator
// serves the same certificate.
func writeCert(t testing.TB, dir string) (certFile, keyFile string) {
	t.Helper()
	cert, caPEM, err := gridsim.SelfSignedCert("127.0.0.1", "localhost")
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, caPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// The simulator killed with SIGKILL twice in the middle of a load and restarted on its data
// directory, on the same port with the same certificate: the loader rides through (its
// requests fail, its session is gone, its connections are reset) and ends with exactly the
// input on the grid and one created outcome per object.
func TestCrashSimulatorKilled(t *testing.T) {
	t.Parallel()
	for i, tc := range crashStrategies {
		t.Run(tc.strategy, func(t *testing.T) {
			t.Parallel()
			const n = 400
			objs := chaosWorkload(n, uint64(40+i))
			dir := t.TempDir()
			in := writeWorkload(t, dir, "chaos.jsonl", objs)
			data := filepath.Join(dir, "grid")
			cfg := simConfig{}
			cfg.certFile, cfg.keyFile = writeCert(t, dir)
			simArgs := []string{"--data", data, "--profile", "article", "--speed", "2"}
			sim := startSimWith(t, cfg, simArgs...)
			u, err := url.Parse(sim.URL)
			if err != nil {
				t.Fatal(err)
			}
			cfg.listen = u.Host // restarts take the same port
			jpath := filepath.Join(dir, "load.jsonl")
			l := sim.startLoader(t, dir, append(append([]string{"load", "--ca-cert", sim.CA, "--json", "--journal", jpath}, tc.args...), in)...)
			var notes []string
			for k, share := range []int{25, 60} {
				if !waitOutcomes(t, l, jpath, n*share/100, 90*time.Second) {
					t.Fatalf("the load ended before the simulator could be killed at %d %%: exit %d: %s", share, l.code,
						lastLines(l.stderr.String(), 20))
				}
				sim.kill(t)
				at := outcomeCount(jpath)
				down := time.Duration(300+400*k) * time.Millisecond
				time.Sleep(down) // the grid is down: connections refused
				sim = restartSim(t, cfg, simArgs)
				notes = append(notes, fmt.Sprintf("killed at %d outcomes, down %v", at, down))
			}
			r := l.wait(t, 120*time.Second)
			if r.code != 0 {
				t.Fatalf("the load did not ride through: exit %d: %s", r.code, lastLines(r.stderr, 20))
			}
			s := decodeSummary(t, r)
			grid := gridContent(t, sim.client)
			requireGood(t, compareGrid(grid, objs), checkRunJournal(t, jpath, objs, grid, bulk.StatusCreated), n)
			if s.Outcomes[bulk.StatusCreated] != n || s.Pending != 0 {
				t.Errorf("summary %+v", s.Summary)
			}
			t.Logf("%s; %d requests, %d retries, %d lookups", strings.Join(notes, "; "), s.Requests, s.Retries, s.Lookups)
		})
	}
}

// restartSim starts a simulator as cfg says after one was killed on the same port; the port
// may take a moment to be free again.
func restartSim(t testing.TB, cfg simConfig, args []string) *simProc {
	t.Helper()
	for try := 1; ; try++ {
		s, err := launchSim(t, cfg, args...)
		if err == nil {
			return s
		}
		if try == 20 {
			t.Fatalf("restarting the simulator on %s: %v", cfg.listen, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
