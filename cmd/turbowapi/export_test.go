package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/turbowapi/turbowapi/wapi"
)

// snapshot returns every object of the types, with the fields a load sets, by ref.
func (s *simProc) snapshot(t testing.TB, types ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, typ := range types {
		q := wapi.NewQuery().ReturnFieldsPlus("comment", "extattrs")
		for o, err := range s.client.SearchAll(context.Background(), typ, q, 1000) {
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(o)
			out[o.Ref()] = string(b)
		}
	}
	return out
}

// Export → delete → load of the exported CSV restores the same objects (and JSON lines too).
func TestE2EExportDeleteLoadRoundTrip(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"csv", "jsonl", "json"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			sim := startSim(t)
			dir := t.TempDir()
			var b strings.Builder
			b.WriteString("_type,network,comment,EA-Site,EA-Owner\n")
			for i := range 300 {
				site := []string{"East", "West", ""}[i%3]
				fmt.Fprintf(&b, "network,10.%d.%d.0/24,\"net %d, \"\"quoted\"\"\",%s,team%d\n", i/256, i%256, i, site, i%7)
			}
			if err := os.WriteFile(filepath.Join(dir, "in.csv"), []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			if r := sim.run(t, dir, "", "load", "--ca-cert", sim.CA, "in.csv"); r.code != 0 {
				t.Fatalf("load: %d %s", r.code, r.stderr)
			}
			before := sim.snapshot(t, "network")
			if len(before) != 300 {
				t.Fatalf("%d networks", len(before))
			}
			out := "export." + format
			if r := sim.run(t, dir, "", "export", "--ca-cert", sim.CA, "--type", "network", "--format", format,
				"--output", out, "--page-size", "64"); r.code != 0 {
				t.Fatalf("export: %d %s", r.code, r.stderr)
			}
			if r := sim.run(t, dir, "", "delete", "--ca-cert", sim.CA, "--type", "network", "--all", "--yes"); r.code != 0 {
				t.Fatalf("delete: %d %s", r.code, r.stderr)
			}
			if n := len(sim.snapshot(t, "network")); n != 0 {
				t.Fatalf("%d networks left after delete", n)
			}
			if r := sim.run(t, dir, "", "load", "--ca-cert", sim.CA, "--strategy", "batch", out); r.code != 0 {
				t.Fatalf("load of the export: %d %s", r.code, r.stderr)
			}
			after := sim.snapshot(t, "network")
			if !reflect.DeepEqual(before, after) {
				for ref, v := range before {
					if after[ref] != v {
						t.Fatalf("%s:\nbefore %s\nafter  %s", ref, v, after[ref])
					}
				}
				t.Fatalf("%d objects before, %d after", len(before), len(after))
			}
		})
	}
}

// Export to stdout with a filter, and the usage errors.
func TestE2EExportStdout(t *testing.T) {
	t.Parallel()
	sim := startSim(t)
	dir := t.TempDir()
	for i := range 50 {
		if _, err := sim.client.Create(context.Background(), "network", map[string]any{"network": fmt.Sprintf("10.0.%d.0/24", i), "comment": "test-network"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := sim.client.Create(context.Background(), "network", map[string]any{"network": "192.168.0.0/24", "comment": "other"}); err != nil {
		t.Fatal(err)
	}
	r := sim.run(t, dir, "", "export", "--ca-cert", sim.CA, "--type", "network", "--filter", "comment=test-network", "--format", "jsonl")
	if r.code != 0 || strings.Count(r.stdout, "\n") != 50 || strings.Contains(r.stdout, "192.168") {
		t.Fatalf("exit %d, %d lines: %s", r.code, strings.Count(r.stdout, "\n"), r.stderr)
	}
	for _, bad := range [][]string{
		{"export", "--format", "csv"},
		{"export", "--type", "nope"},
		{"export", "--type", "network", "--format", "xml"},
		{"export", "--type", "network", "--filter", "comment"},
	} {
		if r := sim.run(t, dir, "", bad...); r.code != 2 {
			t.Errorf("%v: exit %d, want 2: %s", bad, r.code, r.stderr)
		}
	}
}
