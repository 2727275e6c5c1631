package bench_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/turbowapi/turbowapi/bench"
	"github.com/turbowapi/turbowapi/gridsim"
	"github.com/turbowapi/turbowapi/internal/simtest"
)

// simGrid starts a simulated grid with profile at speed and returns how to reach it.
func simGrid(t testing.TB, profile string, speed float64) (bench.Grid, *simtest.Grid) {
	t.Helper()
	prof, ok := gridsim.LookupProfile(profile)
	if !ok {
		t.Fatalf("no profile %s", profile)
	}
	g := simtest.Start(t, gridsim.WithProfile(prof), gridsim.WithSpeed(speed))
	return bench.Grid{
		URL: g.URL, User: simtest.User, Password: simtest.Password,
		TLS: &tls.Config{RootCAs: g.RootCAs, MinVersion: tls.VersionTLS12},
	}, g
}

// clean fails the test unless the grid holds no network and only the default network view.
func clean(t *testing.T, sim *simtest.Grid) {
	t.Helper()
	st := sim.Server.Stats()
	if st.Objects["network"] != 0 || st.Objects["networkview"] != 1 {
		t.Errorf("left on the grid: %d networks, %d network views", st.Objects["network"], st.Objects["networkview"])
	}
}

// TestRunEndToEnd runs every technique once on a tiny workload at high speed and checks
// what each created, that the grid is clean afterwards and that the report labels the rows.
func TestRunEndToEnd(t *testing.T) {
	t.Parallel()
	g, sim := simGrid(t, "article", 40)
	b, err := bench.New(g, bench.WithSimulator(true), bench.WithObjects(48), bench.WithPasses(1), bench.WithTempDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := b.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != len(bench.DefaultTechniques) {
		t.Fatalf("%d rows", len(res.Rows))
	}
	for _, r := range res.Rows {
		p := r.Passes[0]
		if p.Created != 48 || p.Verified != 48 || p.Errors != 0 || !(p.Seconds > 0) || !(p.Wall > 0) {
			t.Errorf("%s: %+v", r.Name, p)
		}
		if !near(p.Seconds, p.Wall*40, 1e-6*p.Seconds) {
			t.Errorf("%s: %v grid s for %v wall s at speed 40", r.Name, p.Seconds, p.Wall)
		}
		switch r.Technique.Kind {
		case bench.Sequential:
			if p.Status["201"] != 48 || p.Requests != 48 || p.Connections != 2 {
				t.Errorf("sequential: %+v (one login connection, closed, then one)", p)
			}
		case bench.Request:
			if p.Requests != 1 {
				t.Errorf("one request call sent %d requests", p.Requests)
			}
		case bench.Async:
			if p.Requests != 49 || p.Connections < 2 {
				t.Errorf("%s: %+v (login timed: 49 requests)", r.Name, p)
			}
		case bench.Auto:
			if len(p.Decisions) == 0 {
				t.Errorf("auto: no decisions")
			}
		}
	}
	if res.Grid.Simulator == nil || res.Grid.Simulator.Profile.Name != "article" || res.Grid.Simulator.Speed != 40 {
		t.Errorf("grid info: %+v", res.Grid)
	}
	if len(res.Assumptions) < 3 {
		t.Errorf("assumptions: %v", res.Assumptions)
	}
	clean(t, sim)
	var out bytes.Buffer
	if err := bench.WriteText(&out, res); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"one request call [new]", "8 in flight *", "turbowapi auto [new]"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// TestRunCancelledCleansUp cancels a run after its first timed run: the network views go.
func TestRunCancelledCleansUp(t *testing.T) {
	t.Parallel()
	g, sim := simGrid(t, "article", 40)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b, err := bench.New(g, bench.WithSimulator(true), bench.WithObjects(32), bench.WithPasses(2),
		bench.WithTechniques(bench.Technique{Kind: bench.Sequential}, bench.Technique{Kind: bench.Async, N: 4}),
		bench.WithProgress(func(bench.Progress) { cancel() }))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run after cancel: %v", err)
	}
	clean(t, sim)
}

// TestSweepEndToEnd sweeps a small grid and compares the best point with auto on a small
// workload.
func TestSweepEndToEnd(t *testing.T) {
	t.Parallel()
	g, sim := simGrid(t, "article", 100)
	b, err := bench.New(g, bench.WithSimulator(true), bench.WithPasses(1), bench.WithTempDir(t.TempDir()),
		bench.WithSweepGrid([]int{1, 4}, []int{1, 8}, false), bench.WithSweepObjects(256))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := b.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Points) != 4 {
		t.Fatalf("%d points: %+v", len(res.Points), res.Points)
	}
	for _, p := range res.Points {
		if p.Skipped != "" || !(p.Throughput > 0) || p.Requests < 3*p.Concurrency {
			t.Errorf("point %+v", p)
		}
	}
	// On the article's profile batching pays: 8 per call beats 1 at the same concurrency.
	one, _ := find(res.Points, 4, 1)
	eight, _ := find(res.Points, 4, 8)
	if !(eight.Throughput > one.Throughput) {
		t.Errorf("4 × 8 at %.1f/s is not faster than 4 × 1 at %.1f/s", eight.Throughput, one.Throughput)
	}
	confirmed := 0
	for _, p := range res.Points {
		if p.Confirmed {
			confirmed++
			if !(p.First > 0) || p.Requests < 6*p.Concurrency {
				t.Errorf("point measured again: %+v", p)
			}
		}
	}
	if confirmed != 3 || !res.Best.Confirmed {
		t.Errorf("%d points measured again, best %+v", confirmed, res.Best)
	}
	cmp := res.Comparison
	if cmp.AutoMaxConcurrency != 4 {
		t.Errorf("auto's cap %d, want the sweep's largest concurrency, 4", cmp.AutoMaxConcurrency)
	}
	if cmp.Fixed.Created != 256 || cmp.Auto.Created != 256 || cmp.Fixed.Strategy == "auto" || cmp.Auto.Strategy != "auto" {
		t.Errorf("comparison: %+v", cmp)
	}
	if !(cmp.AutoVsFixed > 0) || cmp.Target != bench.TargetArticle {
		t.Errorf("comparison figures: %+v", cmp)
	}
	clean(t, sim)
}

func find(ps []bench.SweepPoint, c, b int) (bench.SweepPoint, bool) {
	for _, p := range ps {
		if p.Concurrency == c && p.BatchSize == b {
			return p, true
		}
	}
	return bench.SweepPoint{}, false
}

func near(a, b, tol float64) bool { return a-b <= tol && b-a <= tol }

// TestSweepTargets is issue 6's check: on each of the five shapes of grid, the sweep finds the
// best setting and auto, starting from nothing on the same grid, reaches the target share of
// it (95 % on the article's profile, 90 % elsewhere, at most 1 % of its requests answered 503
// on the overload profile). It runs the full sweep at speed 10 (the README's run of the same
// sweep through turbowapi bench took 17 minutes for the five profiles on the 2-core machine),
// so it only runs when asked:
//
//	TURBOWAPI_BENCH_SWEEP=1 go test ./bench -run TestSweepTargets -timeout 60m -v
//
// TURBOWAPI_BENCH_SWEEP may also name the profiles (article,busy).
func TestSweepTargets(t *testing.T) {
	env := os.Getenv("TURBOWAPI_BENCH_SWEEP")
	if env == "" {
		t.Skip("the full sweep takes minutes per profile: set TURBOWAPI_BENCH_SWEEP=1 (or a list of profiles)")
	}
	profiles := []string{"article", "busy", "large", "serial", "overload"}
	if env != "1" {
		profiles = strings.Split(env, ",")
	}
	for _, prof := range profiles {
		// One profile after the other: the machine's own time must not disturb the grid's.
		t.Run(prof, func(t *testing.T) {
			g, sim := simGrid(t, prof, 10)
			b, err := bench.New(g, bench.WithSimulator(true), bench.WithPasses(1), bench.WithTempDir(t.TempDir()))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
			defer cancel()
			res, err := b.Sweep(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := bench.WriteSweepText(&out, res); err != nil {
				t.Fatal(err)
			}
			t.Log("\n" + out.String())
			cmp := res.Comparison
			if !cmp.Met {
				t.Errorf("%s: auto at %.1f %% of the best setting's run and %.1f %% of its point (target %g %%), 503 share %.2f %%",
					prof, cmp.AutoVsFixed, cmp.AutoVsSweep, cmp.Target, cmp.Auto.Share503)
			}
			if cmp.Auto.Created != cmp.Workload.Objects || cmp.Fixed.Created != cmp.Workload.Objects {
				t.Errorf("created %d (auto) and %d (fixed) of %d", cmp.Auto.Created, cmp.Fixed.Created, cmp.Workload.Objects)
			}
			clean(t, sim)
		})
	}
}
