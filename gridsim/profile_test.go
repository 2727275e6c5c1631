package gridsim_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/turbowapi/turbowapi/gridsim"
)

func TestBuiltinProfiles(t *testing.T) {
	t.Parallel()
	names := map[string]bool{}
	for _, p := range gridsim.Profiles() {
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", p.Name, err)
		}
		if names[p.Name] {
			t.Errorf("two profiles named %s", p.Name)
		}
		names[p.Name] = true
		if p.Description == "" {
			t.Errorf("%s: no description", p.Name)
		}
		if p.Name != gridsim.ProfileInstant && len(p.Assumptions) == 0 {
			t.Errorf("%s: no assumptions listed", p.Name)
		}
		// The JSON document reads back as the same profile.
		q, err := gridsim.ParseProfile(p.JSON(), p.Name)
		if err != nil || !reflect.DeepEqual(p, q) {
			t.Errorf("%s: JSON round trip: %v\n%+v\n%+v", p.Name, err, p, q)
		}
		got, ok := gridsim.LookupProfile(p.Name)
		if !ok || !reflect.DeepEqual(got, p) {
			t.Errorf("LookupProfile(%s) = %v, %v", p.Name, got, ok)
		}
	}
	for _, n := range []string{"instant", "article", "busy", "large", "serial", "overload"} {
		if !names[n] {
			t.Errorf("no built-in profile %s", n)
		}
	}
	// Profiles returns copies.
	a := gridsim.Profiles()
	a[1].Assumptions[0] = "changed"
	if b, _ := gridsim.LookupProfile(a[1].Name); b.Assumptions[0] == "changed" {
		t.Error("Profiles shares its assumptions with the built-ins")
	}
}

// TestProfileShapes: the knee (the number in flight with the most throughput, from the
// model's formula: X(c) = c / (cost · Slowdown(c))) of each USL-shaped built-in.
func TestProfileShapes(t *testing.T) {
	t.Parallel()
	knee := func(p gridsim.Profile) int {
		best, at := 0.0, 0
		for c := 1; c <= 64; c++ {
			if x := float64(c) / p.Slowdown(c); x > best {
				best, at = x, c
			}
		}
		return at
	}
	for _, tc := range []struct {
		name   string
		lo, hi int
	}{{"article", 6, 10}, {"busy", 2, 3}, {"large", 21, 40}} {
		p, _ := gridsim.LookupProfile(tc.name)
		if k := knee(p); k < tc.lo || k > tc.hi {
			t.Errorf("%s: knee at %d, want %d..%d", tc.name, k, tc.lo, tc.hi)
		}
	}
	a, _ := gridsim.LookupProfile("article")
	if s := a.Slowdown(1); s != 1 {
		t.Errorf("Slowdown(1) = %v", s)
	}
	// The article's figures: 1,024 one-object creates at c in flight take
	// 1024 · (request+object) · Slowdown(c) / c; the model is within 5% of each median.
	for _, m := range articleMedians {
		model := 1024 * (a.RequestMS + a.ObjectMS) / 1000 * a.Slowdown(m.inFlight) / float64(m.inFlight)
		if d := model/m.seconds - 1; d < -0.05 || d > 0.05 {
			t.Errorf("article model at %d: %.2f s, median %.2f s (%+.1f%%)", m.inFlight, model, m.seconds, 100*d)
		}
	}
}

func TestParseProfileErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		doc, field, msg string
	}{
		{`{"request_ms": 1}`, "name", "missing"},
		{`{"name": "a b"}`, "name", "white space"},
		{`{"name": "x", "request_ms": -1}`, "request_ms", "negative"},
		{`{"name": "x", "object_ms": "5"}`, "object_ms", "a JSON string where a number is expected"},
		{`{"name": "x", "sigma": 1}`, "sigma", "outside [0, 1)"},
		{`{"name": "x", "kappa": -0.1}`, "kappa", "outside"},
		{`{"name": "x", "cliff": 0.1}`, "cliff_at", "missing"},
		{`{"name": "x", "cliff_at": 1.5}`, "cliff_at", "whole number"},
		{`{"name": "x", "jitter": 1}`, "jitter", "outside [0, 1)"},
		{`{"name": "x", "overload_at": -2}`, "overload_at", "negative"},
		{`{"name": "x", "max_batch": -1}`, "max_batch", "negative"},
		{`{"name": "x", "serial_writes": 1}`, "serial_writes", "boolean"},
		{`{"name": "x", "assumptions": [" "]}`, "assumptions[0]", "empty"},
		{`{"name": "x", "requset_ms": 3}`, "requset_ms", "unknown field"},
		{`{"name": "x"} {}`, "", "extra data"},
		{`{"name": "x",}`, "", "not valid JSON"},
	} {
		_, err := gridsim.ParseProfile([]byte(tc.doc), "p.json")
		var pe *gridsim.ProfileError
		if !errors.As(err, &pe) || pe.Field != tc.field || !strings.Contains(pe.Msg, tc.msg) || pe.Source != "p.json" {
			t.Errorf("%s: error %v (%#v), want field %q and %q", tc.doc, err, pe, tc.field, tc.msg)
			continue
		}
		if !strings.Contains(err.Error(), "p.json") {
			t.Errorf("%s: error %q does not name the file", tc.doc, err)
		}
	}
}

func TestResolveProfile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "mine.json")
	if err := os.WriteFile(file, []byte(`{"name":"mine","request_ms":5,"assumptions":["made up"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if p, err := gridsim.ResolveProfile("busy"); err != nil || p.Name != "busy" {
		t.Fatalf("busy: %v %v", p.Name, err)
	}
	if p, err := gridsim.ResolveProfile(file); err != nil || p.Name != "mine" || p.RequestMS != 5 {
		t.Fatalf("file: %+v %v", p, err)
	}
	if _, err := gridsim.ResolveProfile("nosuch"); err == nil || !strings.Contains(err.Error(), "article") {
		t.Fatalf("unknown name: %v", err)
	}
	if _, err := gridsim.New(gridsim.WithProfile(gridsim.Profile{Name: "bad", Sigma: 2})); err == nil {
		t.Fatal("WithProfile accepted sigma 2")
	}
	for _, k := range []float64{0, -1, 2e6} {
		if _, err := gridsim.New(gridsim.WithSpeed(k)); err == nil {
			t.Errorf("WithSpeed(%v) accepted", k)
		}
	}
}

// TestSimProfileEndpoint: GET /_sim/profile serves the profile, speed, seed and faults.
func TestSimProfileEndpoint(t *testing.T) {
	t.Parallel()
	p, _ := gridsim.LookupProfile("article")
	c := start(t, gridsim.WithProfile(p), gridsim.WithSpeed(25), gridsim.WithSeed(42), mustFaults(t, "503=0.01,outage=1h+1s"))
	v := c.must(200, "GET", "/_sim/profile", "").(map[string]any)
	prof := v["profile"].(map[string]any)
	if prof["name"] != "article" || v["speed"] != 25.0 || v["seed"] != 42.0 || v["faults"] != "503=0.01,outage=1h+1s" ||
		len(prof["assumptions"].([]any)) != len(p.Assumptions) || prof["request_ms"] != p.RequestMS {
		t.Fatalf("/_sim/profile: %v", v)
	}
	st := c.must(200, "GET", "/_sim/stats", "").(map[string]any)
	if st["profile"] != "article" || st["speed"] != 25.0 || st["faults"] == nil || st["grid_seconds"] == nil {
		t.Fatalf("/_sim/stats: %v", st)
	}
}
