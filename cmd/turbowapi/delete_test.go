package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Undo from a journal removes exactly what the load created: not the objects that existed
// before, not the ones added since.
func TestE2EUndo(t *testing.T) {
	t.Parallel()
	for _, st := range []string{"sequential", "batch", "auto"} {
		t.Run(st, func(t *testing.T) {
			t.Parallel()
			sim := startSim(t)
			ctx := context.Background()
			dir := t.TempDir()
			// Present before the load: a container around the networks, and one network.
			if _, err := sim.client.Create(ctx, "networkcontainer", map[string]any{"network": "10.0.0.0/16"}); err != nil {
				t.Fatal(err)
			}
			if _, err := sim.client.Create(ctx, "network", map[string]any{"network": "10.0.3.0/24", "comment": "mine"}); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			b.WriteString("_type,network,fqdn\nnetworkcontainer,10.1.0.0/16,\nzone_auth,,undo.example.com\nnetwork,10.0.3.0/24,\n")
			for i := range 100 {
				fmt.Fprintf(&b, "network,10.%d.%d.0/24,\n", i/64, (i%64)*4)
			}
			os.WriteFile(filepath.Join(dir, "in.csv"), []byte(b.String()), 0o644)
			r := sim.run(t, dir, "", "load", "--ca-cert", sim.CA, "--journal", "load.jsonl", "--json", "in.csv")
			if r.code != 0 {
				t.Fatalf("load: %d %s", r.code, r.stderr)
			}
			if s := r.summary(t); s.Outcomes["created"] != 102 || s.Outcomes["existed"] != 1 {
				t.Fatalf("load summary %+v", s)
			}
			// Added after the load, inside the loaded container: must survive the undo.
			if _, err := sim.client.Create(ctx, "network", map[string]any{"network": "10.1.200.0/24", "comment": "later"}); err != nil {
				t.Fatal(err)
			}
			r = sim.run(t, dir, "", "delete", "--ca-cert", sim.CA, "--journal", "load.jsonl", "--yes", "--json", "--strategy", st)
			if r.code != 0 {
				t.Fatalf("undo: %d %s", r.code, r.stderr)
			}
			if s := r.summary(t); s.Outcomes["deleted"] != 102 {
				t.Fatalf("undo summary %+v", s)
			}
			nets := sim.networks(t)
			if len(nets) != 2 || nets["10.0.3.0/24"] != "mine" || nets["10.1.200.0/24"] != "later" {
				t.Fatalf("networks left: %v", nets)
			}
			st := sim.stats(t)
			if st.Objects["networkcontainer"] != 1 || st.Objects["zone_auth"] != 0 {
				t.Fatalf("objects left: %v", st.Objects)
			}
			// Undo again: everything is already gone.
			r = sim.run(t, dir, "", "delete", "--ca-cert", sim.CA, "--journal", "load.jsonl", "--yes", "--json")
			if s := r.summary(t); r.code != 0 || s.Outcomes["not_found"] != 102 {
				t.Fatalf("second undo: %d %+v", r.code, s)
			}
		})
	}
}

// Delete by search: --dry-run lists and deletes nothing; without a terminal and without
// --yes it refuses; with --yes it deletes exactly the matches.
func TestE2EDeleteBySearch(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	dir := t.TempDir()
	if r := sim.run(t, dir, "", "load", "--ca-cert", sim.CA, "--generate", "network 10.0.0.0/8 /24 30"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	if _, err := sim.client.Create(context.Background(), "network", map[string]any{"network": "192.168.0.0/24", "comment": "keep"}); err != nil {
		t.Fatal(err)
	}
	r := sim.run(t, dir, "", "delete", "--ca-cert", sim.CA, "--type", "network", "--filter", "comment=test-network", "--dry-run")
	if r.code != 0 || !strings.Contains(r.stdout, "would delete 30 network objects") || !strings.Contains(r.stdout, "... and 10 more") {
		t.Fatalf("dry run: %d %q %s", r.code, r.stdout, r.stderr)
	}
	r = sim.run(t, dir, "y\n", "delete", "--ca-cert", sim.CA, "--type", "network", "--filter", "comment=test-network")
	if r.code != 2 || !strings.Contains(r.stderr, "--yes") {
		t.Fatalf("without a terminal: %d %s", r.code, r.stderr)
	}
	if n := len(sim.networks(t)); n != 31 {
		t.Fatalf("%d networks after refusals", n)
	}
	for _, bad := range [][]string{
		{"delete", "--type", "network"},
		{"delete"},
		{"delete", "--journal", "x.jsonl", "--type", "network"},
		{"delete", "--journal", filepath.Join(dir, "missing.jsonl"), "--yes"},
	} {
		if r := sim.run(t, dir, "", append(bad, "--ca-cert", sim.CA)...); r.code != 2 {
			t.Errorf("%v: exit %d, want 2: %s", bad, r.code, r.stderr)
		}
	}
	r = sim.run(t, dir, "", "delete", "--ca-cert", sim.CA, "--type", "network", "--filter", "comment=test-network", "--yes", "--json")
	if s := r.summary(t); r.code != 0 || s.Outcomes["deleted"] != 30 {
		t.Fatalf("delete: %d %+v", r.code, s)
	}
	if nets := sim.networks(t); len(nets) != 1 || nets["192.168.0.0/24"] != "keep" {
		t.Fatalf("left: %v", nets)
	}
}
