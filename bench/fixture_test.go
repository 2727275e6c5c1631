package bench

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./bench -run %s -update to create it)", err, t.Name())
	}
	if string(got) != string(want) {
		_ = os.WriteFile(path+".got", got, 0o644)
		t.Fatalf("%s differs from the golden file; got written to %s.got (refresh with -update if the change is intended)", name, path)
	}
}

// fixtureSim is the simulator of the fixtures: the article's profile, abridged.
func fixtureSim() *Simulator {
	return &Simulator{
		Speed: 12, Seed: 1,
		Profile: SimProfile{
			Name: "article", Description: "the founding article's Grid Master",
			RequestMS: 20.4, ObjectMS: 12, ReadMS: 0.2, AuthMS: 60, ConnectMS: 15,
			Sigma: 0.445, Kappa: 0.0115, CliffAt: 12, Cliff: 0.062, Jitter: 0.1,
			Assumptions: []string{
				"article profile: a create's 32.4 ms split into 20.4 ms per request and 12 ms per object (assumed)",
				"article profile: +15 ms for the first request on a connection (assumed)",
			},
		},
	}
}

// fixtureResult is a fixed run: every technique, three passes, auto's decisions.
func fixtureResult() *Result {
	times := map[string][3]float64{
		"sequential": {34.27, 34.61, 34.24},
		"threads16":  {23.94, 23.92, 23.97},
		"request":    {13.32, 12.27, 13.19},
		"async2":     {24.52, 24.72, 24.70},
		"async4":     {20.56, 20.59, 20.56},
		"async8":     {19.96, 20.05, 19.88},
		"async16":    {24.11, 24.20, 23.97},
		"async32":    {53.69, 53.66, 53.61},
		"auto":       {14.13, 14.52, 14.70},
	}
	res := &Result{
		Version: ResultVersion, Grid: GridInfo{Embedded: true, Simulator: fixtureSim()}, Workload: FoundingWorkload(), Passes: 3,
		Started: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), Wall: 58.1,
		Assumptions: []string{"article profile: a create's 32.4 ms split into 20.4 ms per request and 12 ms per object (assumed)"},
		Notes:       []string{"each run creates its networks in a network view of its own"},
	}
	for _, tq := range DefaultTechniques {
		row := Row{Technique: tq, Name: tq.Name(), Label: tq.Label(), Script: tq.Script(), LoginTimed: tq.LoginTimed()}
		if p, ok := tq.Article(); ok {
			row.Article = &p
		} else {
			row.New = true
		}
		for i, s := range times[tq.Name()] {
			p := Pass{Seconds: s, Wall: s / 12, Created: 1024, Verified: 1024, Requests: 1024, Status: map[string]int{"201": 1024}, Connections: 2}
			if tq.Kind == Auto {
				p.Requests, p.Status = 515, map[string]int{"200": 198, "201": 317}
				p.Decisions = []Decision{
					{At: 0, Limit: 2, BatchSize: 1, Reason: "hold"},
					{At: 2.4, Limit: 4, BatchSize: 1, Reason: "startup-grow", Goodput: 41.9},
					{At: 3.5, Limit: 8, BatchSize: 1, Reason: "startup-grow", Goodput: 48.9},
					{At: 4.6 + float64(i), Limit: 8, BatchSize: 1, Reason: "startup-exit", Goodput: 49.2},
					{At: 6.1 + float64(i), Limit: 8, BatchSize: 2, Reason: "batch-up", Goodput: 51.4},
					{At: 7.3 + float64(i), Limit: 8, BatchSize: 4, Reason: "batch-up", Goodput: 64.7},
					{At: 12.5, Limit: 6, BatchSize: 8, Reason: "batch-up", Goodput: 98.7},
				}
			}
			row.Passes = append(row.Passes, p)
		}
		res.Rows = append(res.Rows, row)
	}
	res.finish()
	return res
}

// fixtureSweep is a fixed sweep.
func fixtureSweep() *SweepResult {
	res := &SweepResult{
		Version: ResultVersion, Grid: GridInfo{Embedded: true, Simulator: fixtureSim()},
		Started: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), Wall: 312.5,
		Assumptions: []string{"article profile: a create's 32.4 ms split into 20.4 ms per request and 12 ms per object (assumed)"},
		Notes:       []string{"a point is a closed loop"},
	}
	x := map[[2]int]float64{
		{1, 1}: 30.1, {2, 1}: 41.0, {4, 1}: 49.5, {8, 1}: 51.2, {16, 1}: 42.1, {32, 1}: 19.0,
		{1, 16}: 73.0, {2, 16}: 100.2, {4, 16}: 119.0, {8, 16}: 124.1, {16, 16}: 101.3, {32, 16}: 45.0,
		{1, 256}: 82.2, {2, 256}: 113.9, {4, 256}: 133.0, {8, 256}: 138.5, {16, 256}: 111.0,
		{6, 256}: 139.4, {11, 256}: 131.2, {6, 1024}: 137.0,
	}
	for _, b := range []int{1, 16, 256} {
		for _, c := range []int{1, 2, 4, 8, 16, 32} {
			p := SweepPoint{Concurrency: c, BatchSize: b, Throughput: x[[2]int{c, b}], Requests: 40, Seconds: 12}
			if p.Throughput == 0 {
				p.Skipped = "needs more than 65536 networks"
			}
			if c == 32 && b == 16 {
				p.Overloaded, p.Sheds = 9, true
			}
			res.Points = append(res.Points, p)
		}
	}
	for _, k := range [][2]int{{6, 256}, {11, 256}, {6, 1024}} {
		res.Points = append(res.Points, SweepPoint{Concurrency: k[0], BatchSize: k[1], Throughput: x[k], Requests: 30, Seconds: 20, Refined: true})
	}
	// The three best measured again: the first winner falls back.
	for i, p := range res.Points {
		if again, ok := map[[2]int]float64{{6, 256}: 136.1, {8, 256}: 136.9, {6, 1024}: 133.8}[[2]int{p.Concurrency, p.BatchSize}]; ok {
			p.First, p.Throughput, p.Confirmed, p.Seconds, p.Requests = p.Throughput, again, true, 41, 60
			res.Points[i] = p
		}
	}
	res.Best, _ = findPoint(res.Points, 8, 256)
	var ones []Point
	for _, p := range res.Points {
		if p.BatchSize == 1 {
			ones = append(ones, Point{N: float64(p.Concurrency), X: p.Throughput})
		}
	}
	res.USL, _ = FitUSL(ones)
	fixed := EngineRun{Strategy: "batch", Concurrency: 8, BatchSize: 256, Seconds: 240.1, Wall: 24.0, Created: 32768, Requests: 128, Status: map[string]int{"200": 128}, FinalLimit: 8, FinalBatch: 256}
	fixed.Throughput = Rate(fixed.Created, fixed.Seconds)
	auto := EngineRun{Strategy: "auto", Seconds: 250.3, Wall: 25.0, Created: 32768, Requests: 900, Status: map[string]int{"200": 700, "201": 200}, FinalLimit: 6, FinalBatch: 128,
		Decisions: []Decision{{At: 0, Limit: 2, BatchSize: 1, Reason: "hold"}, {At: 3, Limit: 4, BatchSize: 1, Reason: "startup-grow"}, {At: 40, Limit: 6, BatchSize: 128, Reason: "probe-accepted"}}}
	auto.Throughput = Rate(auto.Created, auto.Seconds)
	res.Comparison = Comparison{
		Workload: Workload{Objects: 32768, Network: DefaultNetwork, PrefixLen: 24, Comment: DefaultComment}, AutoMaxConcurrency: 32,
		Fixed: fixed, Auto: auto, Target: TargetArticle,
		AutoVsFixed: 100 * auto.Throughput / fixed.Throughput, AutoVsSweep: 100 * auto.Throughput / res.Best.Throughput,
	}
	res.Comparison.Met = min(res.Comparison.AutoVsFixed, res.Comparison.AutoVsSweep) >= res.Comparison.Target
	return res
}
