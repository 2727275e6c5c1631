package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const founding = "network 10.0.0.0/8 /24 1024"

// The founding workload loads in every strategy; a search then finds exactly the 1,024
// networks with their comment; a rerun reports 1,024 existed and creates nothing.
func TestE2ELoadFoundingWorkload(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		args []string
	}{
		{"sequential", []string{"--strategy", "sequential"}},
		{"concurrent", []string{"--strategy", "concurrent", "--concurrency", "8"}},
		{"batch", []string{"--strategy", "batch", "--batch-size", "256"}},
		{"concurrent-batches", []string{"--strategy", "batch", "--batch-size", "64", "--concurrency", "4"}},
		{"auto", []string{"--strategy", "auto"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sim := startSim(t)
			dir := t.TempDir()
			args := append([]string{"load", "--ca-cert", sim.CA, "--generate", founding, "--json"}, tc.args...)
			r := sim.run(t, dir, "", args...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			s := r.summary(t)
			if s.Outcomes["created"] != 1024 || s.Total != 1024 || s.Pending != 0 {
				t.Fatalf("summary %+v", s)
			}
			nets := sim.networks(t)
			if len(nets) != 1024 {
				t.Fatalf("%d networks on the grid", len(nets))
			}
			for cidr, comment := range nets {
				if comment != "test-network" {
					t.Fatalf("network %s has comment %q", cidr, comment)
				}
			}
			if _, ok := nets["10.3.255.0/24"]; !ok {
				t.Fatal("10.3.255.0/24 missing")
			}
			checkJournal(t, filepath.Join(dir, s.Journal), 1024)
			if !strings.Contains(r.stderr, "load: 1,024 objects") {
				t.Errorf("no summary on stderr: %s", r.stderr)
			}
			// Rerun: everything existed, nothing created.
			before := sim.stats(t).Objects["network"]
			r = sim.run(t, dir, "", args...)
			if r.code != 0 {
				t.Fatalf("rerun exit %d: %s", r.code, r.stderr)
			}
			s = r.summary(t)
			if s.Outcomes["existed"] != 1024 || s.Outcomes["created"] != 0 || sim.stats(t).Objects["network"] != before {
				t.Fatalf("rerun summary %+v", s)
			}
		})
	}
}

// A batch holding one network that already exists creates the others and reports that one.
func TestE2EBatchWithOneExisting(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	if _, err := sim.client.Create(context.Background(), "network", map[string]any{"network": "10.0.7.0/24", "comment": "there before"}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	r := sim.run(t, dir, "", "load", "--ca-cert", sim.CA, "--generate", founding, "--strategy", "batch", "--batch-size", "1024", "--json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	s := r.summary(t)
	if s.Outcomes["created"] != 1023 || s.Outcomes["existed"] != 1 {
		t.Fatalf("summary %+v", s)
	}
	nets := sim.networks(t)
	if len(nets) != 1024 || nets["10.0.7.0/24"] != "there before" {
		t.Fatalf("%d networks; 10.0.7.0/24: %q", len(nets), nets["10.0.7.0/24"])
	}
	o := journalOutcomes(t, filepath.Join(dir, s.Journal))
	if got := o[7]; got.Status != "existed" || got.Ref == "" {
		t.Fatalf("outcome of 10.0.7.0/24: %+v", got)
	}
}

// Killing the loader mid-run (SIGKILL) and resuming ends with every object on the grid
// exactly once and a journal with exactly one outcome per object.
func TestE2EKillAndResume(t *testing.T) {
	t.Parallel()
	// The article profile at 10× speed: a load of a few seconds, long enough to be killed.
	sim := startSim(t, "--profile", "article", "--speed", "10")
	dir := t.TempDir()
	journal := filepath.Join(dir, "load.jsonl")
	l := sim.startLoader(t, dir, "load", "--ca-cert", sim.CA, "--generate", founding,
		"--strategy", "concurrent", "--concurrency", "4", "--journal", journal)
	// Kill it once a good part of the objects has an outcome.
	if !waitOutcomes(t, l, journal, 200, 60*time.Second) {
		t.Fatalf("the load ended before it was killed: exit %d: %s", l.code, lastLines(l.stderr.String(), 20))
	}
	l.kill()
	done := outcomeCount(journal)
	if done >= 1024 {
		t.Fatalf("the load finished before it was killed (%d outcomes)", done)
	}
	r := sim.run(t, dir, "", "load", "--ca-cert", sim.CA, "--generate", founding, "--resume", journal, "--json",
		"--strategy", "batch", "--batch-size", "100")
	if r.code != 0 {
		t.Fatalf("resume exit %d: %s", r.code, r.stderr)
	}
	s := r.summary(t)
	if s.Resumed < int64(done) || s.Resumed+s.Outcomes["created"] != 1024 || s.Pending != 0 {
		t.Fatalf("resume summary %+v after %d outcomes", s, done)
	}
	if n := len(sim.networks(t)); n != 1024 {
		t.Fatalf("%d networks", n)
	}
	checkJournal(t, journal, 1024)
	t.Logf("killed after %d outcomes; resume: %+v", done, s)
}

// Bad input: each kind of bad row gives its file:line message and exit 2, and nothing is
// sent to the grid.
func TestE2EBadInput(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	cases := []struct {
		name, file, content string
		extra               []string
		want                string
	}{
		{"bad-cidr", "n.csv", "network,comment\n10.0.0.0/24,ok\n10.0.1.0/33,bad\n", []string{"--type", "network"}, "n.csv:3:"},
		{"host-bits", "n.csv", "network\n10.0.0.1/24\n", []string{"--type", "network"}, "n.csv:2:"},
		{"missing-field", "n.csv", "_type,network,comment\nnetwork,,x\n", nil, "n.csv:2:"},
		{"unknown-column", "n.csv", "_type,network,colour\nnetwork,10.0.0.0/24,blue\n", nil, "n.csv:1:"},
		{"unknown-type", "n.csv", "_type,network\nnetwerk,10.0.0.0/24\n", nil, "n.csv:2:"},
		{"duplicate", "n.csv", "network\n10.0.0.0/24\n10.0.1.0/24\n10.0.0.0/24\n", []string{"--type", "network"}, "n.csv:4:"},
		{"bad-quoting", "n.csv", "network,comment\n10.0.0.0/24,\"open\n", []string{"--type", "network"}, "n.csv:"},
		{"json-truncated", "n.json", "[{\"_type\":\"network\",\"network\":\"10.0.0.0/24\"},\n{\"_type\":\"network\",", nil, "n.json:2:"},
		{"jsonl-wrong-type", "n.jsonl", "{\"_type\":\"network\",\"network\":\"10.0.0.0/24\"}\n{\"_type\":\"network\",\"network\":42}\n", nil, "n.jsonl:2:"},
		{"bad-address", "a.csv", "_type,name,ipv4addr\nrecord:a,h.example.com,300.1.1.1\n", nil, "a.csv:2:"},
		{"generator", "", "", []string{"--generate", "network 10.0.0.0/8 /4 10"}, "generate:1:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			args := []string{"load", "--ca-cert", sim.CA}
			if tc.file != "" {
				if err := os.WriteFile(filepath.Join(dir, tc.file), []byte(tc.content), 0o644); err != nil {
					t.Fatal(err)
				}
				args = append(args, tc.file)
			}
			args = append(args, tc.extra...)
			r := sim.run(t, dir, "", args...)
			if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("exit %d, stderr:\n%s\nwant exit 2 and %q", r.code, r.stderr, tc.want)
			}
			if st := sim.stats(t); st.Logins != 0 || st.RequestsByMethod["POST"] != 0 {
				t.Fatalf("something was sent: %d logins, %d POST", st.Logins, st.RequestsByMethod["POST"])
			}
			if ents, _ := os.ReadDir(dir); len(ents) > 1 {
				t.Errorf("files left behind: %v", ents)
			}
		})
	}
}

// --skip-invalid loads the valid rows and journals the invalid ones; the exit status says
// some objects failed.
func TestE2ESkipInvalid(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	dir := t.TempDir()
	csv := "network,comment\n10.0.0.0/24,a\n10.0.1.0/99,b\n10.0.2.0/24,c\n"
	r := sim.run(t, dir, csv, "load", "--ca-cert", sim.CA, "--type", "network", "--skip-invalid", "--json", "-")
	if r.code != 1 || !strings.Contains(r.stderr, "stdin:3:") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	s := r.summary(t)
	if s.Outcomes["created"] != 2 || s.Outcomes["invalid"] != 1 {
		t.Fatalf("summary %+v", s)
	}
	o := journalOutcomes(t, filepath.Join(dir, s.Journal))
	if o[1].Status != "invalid" || o[1].Line != 3 || len(o) != 3 {
		t.Fatalf("journal %+v", o)
	}
}

// Records, zones, containers and networks in one file go in dependency order, whatever
// their order in the input.
func TestE2EPhases(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("_type,name,ipv4addr,fqdn,network\n")
	for i := range 20 {
		fmt.Fprintf(&b, "record:a,h%d.lab.example.com,10.1.0.%d,,\n", i, i+1)
	}
	b.WriteString("zone_auth,,,lab.example.com,\nzone_auth,,,example.com,\n")
	b.WriteString("network,,,,10.1.0.0/24\nnetworkcontainer,,,,10.1.0.0/16\nnetworkcontainer,,,,10.0.0.0/8\n")
	if err := os.WriteFile(filepath.Join(dir, "mixed.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, st := range []string{"auto", "batch"} {
		r := sim.run(t, dir, "", "load", "--ca-cert", sim.CA, "--strategy", st, "--json", "mixed.csv")
		if r.code != 0 {
			t.Fatalf("%s: exit %d: %s", st, r.code, r.stderr)
		}
	}
	st := sim.stats(t)
	if st.Objects["record:a"] != 20 || st.Objects["zone_auth"] != 2 || st.Objects["networkcontainer"] != 2 || st.Objects["network"] != 1 {
		t.Fatalf("objects %v", st.Objects)
	}
}

// The million-object run: 1,000,000 generated networks into the simulator (instant costs),
// the loader's peak RSS under 200 MB. Long: run with TURBOWAPI_E2E_MILLION=1 (and
// TURBOWAPI_E2E_STRATEGY to pick a strategy; default auto).
func TestE2EMillionObjectsMemory(t *testing.T) {
	if os.Getenv("TURBOWAPI_E2E_MILLION") == "" {
		t.Skip("set TURBOWAPI_E2E_MILLION=1 to load 1,000,000 objects")
	}
	sim := startSim(t, "--profile", "instant")
	dir := t.TempDir()
	st := os.Getenv("TURBOWAPI_E2E_STRATEGY")
	if st == "" {
		st = "auto"
	}
	cmd := sim.command(t, dir, "load", "--ca-cert", sim.CA, "--generate", "network 10.0.0.0/8 /28 1000000",
		"--strategy", st, "--json")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	r := result{stdout: string(out)}
	s := r.summary(t)
	rss := maxRSS(cmd.ProcessState)
	t.Logf("strategy %s: %+v; peak RSS %.1f MB", st, s, float64(rss)/(1<<20))
	if s.Outcomes["created"] != 1_000_000 {
		t.Fatalf("summary %+v", s)
	}
	if rss <= 0 || rss >= 200<<20 {
		t.Fatalf("peak RSS %d bytes, want under 200 MB", rss)
	}
}
