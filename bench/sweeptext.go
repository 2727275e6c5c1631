package bench

import (
	"fmt"
	"io"
	"slices"
	"sort"

	"github.com/turbowapi/turbowapi/bulk"
)

// WriteSweepText writes the sweep's grid of throughputs, its best setting, the USL fit of
// its batch-1 points and the comparison with auto.
func WriteSweepText(w io.Writer, res *SweepResult) error {
	ew := &errWriter{w: w}
	ew.printf("turbowapi bench --sweep: throughput across requests in flight and batch size\n")
	ew.printf("grid      %s\n", describeGrid(res.Grid))
	if s := res.Grid.Simulator; s != nil && s.Profile.Description != "" {
		ew.printf("          %s\n", s.Profile.Description)
	}
	ew.printf("unit      %s\n\n", rateUnit(res.Grid))

	concs, batches := axes(res.Points)
	tab := &table{left: 1}
	head := []string{"in flight \\ batch"}
	for _, b := range batches {
		head = append(head, fmt.Sprint(b))
	}
	tab.add(head...)
	for _, c := range concs {
		cells := []string{fmt.Sprint(c)}
		for _, b := range batches {
			cells = append(cells, cellText(res.Points, res.Best, c, b))
		}
		tab.add(cells...)
	}
	tab.write(ew, "")
	ew.printf("\n·  not measured   ×  skipped (see below)   +  measured again, longer (the best points)   best in [brackets]\n")
	ew.printf("!  sheds load (more than %g %% of its requests answered 429 or 503): not eligible as the best\n", TargetOverloadShare)
	best := res.Best
	ew.printf("\nbest setting: %d in flight, batches of %d: %.1f networks per grid second (median latency %.2f grid s)",
		best.Concurrency, best.BatchSize, best.Throughput, best.Latency)
	if best.Confirmed {
		ew.printf("; measured again over %.0f grid s (first measurement %.1f)", best.Seconds, best.First)
	}
	ew.printf("\n")
	if u := res.USL; u != nil {
		ew.printf("USL fit of the batch-1 points: %s\n", describeUSL(u))
	}
	cmp := res.Comparison
	ew.printf("\nside by side, %s /%d networks each (%s); auto at most %d in flight:\n\n", thousands(cmp.Workload.Objects), cmp.Workload.PrefixLen, cmp.Workload.Network, cmp.AutoMaxConcurrency)
	tab = &table{left: 2}
	tab.add("run", "setting", "grid s", "networks/s", "requests", "503", "created", "wall s")
	for _, r := range []EngineRun{cmp.Fixed, cmp.Auto} {
		name, setting := r.describe()
		tab.add(name, setting, fmt.Sprintf("%.1f", r.Seconds), fmt.Sprintf("%.1f", r.Throughput), fmt.Sprint(r.Requests),
			fmt.Sprintf("%.2f %%", r.Share503), thousands(r.Created), fmt.Sprintf("%.1f", r.Wall))
	}
	tab.write(ew, "")
	verdict := "met"
	if !cmp.Met {
		verdict = "NOT met"
	}
	ew.printf("\nauto: %.1f %% of the best setting on the same workload, %.1f %% of the sweep's best point; target ≥ %g %% of both",
		cmp.AutoVsFixed, cmp.AutoVsSweep, cmp.Target)
	if s := res.Grid.Simulator; s != nil && s.Profile.OverloadAt > 0 {
		ew.printf(" and ≤ %g %% of requests answered 503 (%.2f %%)", TargetOverloadShare, cmp.Auto.Share503)
	}
	ew.printf(": %s\n", verdict)
	if n := len(cmp.Auto.Decisions); n > 0 {
		ew.printf("auto made %d decisions (%s)\n", n, limitsSeen(cmp.Auto.Decisions))
	}
	writeList(ew, "\nskipped:", skippedPoints(res.Points))
	writeList(ew, "\nassumptions (nobody measured these):", res.Assumptions)
	writeList(ew, "\nhow the sweep measures:", res.Notes)
	ew.printf("\nwall time %.1f s\n", res.Wall)
	return ew.err
}

// describe names a comparison run and its setting for the reports.
func (r EngineRun) describe() (name, setting string) {
	if r.Strategy == string(bulk.Auto) {
		return "turbowapi auto", fmt.Sprintf("ended at %d × %d", r.FinalLimit, r.FinalBatch)
	}
	return "best fixed setting", fmt.Sprintf("%d × %d", r.Concurrency, r.BatchSize)
}

// skippedPoints lists the points without a measurement and why.
func skippedPoints(ps []SweepPoint) []string {
	var out []string
	for _, p := range ps {
		if p.Skipped != "" {
			out = append(out, fmt.Sprintf("%d × %d: %s", p.Concurrency, p.BatchSize, p.Skipped))
		}
	}
	return out
}

// rateUnit names the unit of throughput.
func rateUnit(g GridInfo) string {
	if g.Simulator == nil {
		return "networks created per second (wall clock)"
	}
	return fmt.Sprintf("networks created per grid second (grid seconds = wall seconds × %g)", g.Speed())
}

// axes returns the concurrencies and batch sizes of the points, sorted.
func axes(ps []SweepPoint) ([]int, []int) {
	var cs, bs []int
	for _, p := range ps {
		if !slices.Contains(cs, p.Concurrency) {
			cs = append(cs, p.Concurrency)
		}
		if !slices.Contains(bs, p.BatchSize) {
			bs = append(bs, p.BatchSize)
		}
	}
	sort.Ints(cs)
	sort.Ints(bs)
	return cs, bs
}

func findPoint(ps []SweepPoint, c, b int) (SweepPoint, bool) {
	for _, p := range ps {
		if p.Concurrency == c && p.BatchSize == b {
			return p, true
		}
	}
	return SweepPoint{}, false
}

func cellText(ps []SweepPoint, best SweepPoint, c, b int) string {
	p, ok := findPoint(ps, c, b)
	switch {
	case !ok:
		return "·"
	case p.Skipped != "":
		return "×"
	}
	s := fmt.Sprintf("%.1f", p.Throughput)
	if p.Confirmed {
		s += "+"
	}
	if p.Sheds {
		s += "!"
	}
	if c == best.Concurrency && b == best.BatchSize {
		s = "[" + s + "]"
	}
	return s
}
