package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/turbowapi/turbowapi/bulk"
	"github.com/turbowapi/turbowapi/wapi"
)

// A sweep point is measured in a closed loop: c workers each send batches of b networks back
// to back. The first request of each worker is a warm-up (connections, arrivals); then each
// worker's goodput is the objects of its requests divided by the time they covered (sleeps
// for Retry-After included), and the point's throughput is the sum over workers. The point
// stops, cancelling what is in flight, once every worker has finished sweepMeasured
// requests after its warm-up and sweepMinSeconds of grid time have been measured, so that
// every measured request ran with all c workers busy.
//
// The best of many short, noisy measurements is biased up (the winner's curse), so the
// sweepConfirm best points are measured again, longer (confirmMeasured requests per worker
// and confirmMinSeconds), and the best setting is the best of those second measurements.
const (
	sweepMeasured     = 2
	sweepMinSeconds   = 5.0
	sweepConfirm      = 3
	confirmMeasured   = 5
	confirmMinSeconds = 20.0
	// sweepMaxObjects bounds the networks of one point and of the comparison: every /26 of
	// 10.0.0.0/8.
	sweepMaxObjects = 1 << 18
)

// Defaults of the comparison's workload, sized by time: DefaultSweepSeconds at the best
// setting's throughput, rounded up to a multiple of 1,024, within [MinSweepObjects,
// MaxSweepObjects].
const (
	// DefaultSweepSeconds is ten grid minutes: a bulk load worth tuning, on which the
	// adaptive controller's startup and batch ramp (about a minute of grid time) weigh little.
	DefaultSweepSeconds = 600.0
	MinSweepObjects     = 4096
	MaxSweepObjects     = sweepMaxObjects
)

// SweepWorkload returns the workload of n networks the sweep uses: /24s of 10.0.0.0/8 as in
// the founding workload up to 65,536, then /25s or /26s, so that up to 262,144 fit.
func SweepWorkload(n int, comment string) Workload {
	prefix := DefaultPrefixLen
	for n > 1<<(prefix-8) && prefix < 26 {
		prefix++
	}
	return Workload{Objects: n, Network: DefaultNetwork, PrefixLen: prefix, Comment: comment}
}

// Sweep targets: auto's throughput as a share of the best setting's (issue 6).
const (
	TargetArticle = 95.0 // on the article's profile
	TargetOther   = 90.0 // on every other profile
	// TargetOverloadShare is the most of auto's requests that may be answered 503 on a grid
	// that sheds load (per cent).
	TargetOverloadShare = 1.0
)

// SweepPoint is one setting measured by the sweep.
type SweepPoint struct {
	Concurrency int `json:"concurrency"`
	BatchSize   int `json:"batch_size"`
	// Throughput is the steady-state goodput, in objects per grid second (0 when skipped).
	Throughput float64 `json:"throughput"`
	// Latency is the median latency of the measured requests, in grid seconds.
	Latency float64 `json:"latency"`
	// Requests is the number of requests sent, Overloaded those answered 429 or 503, Failed
	// the others that failed (timeouts, refusals).
	Requests   int `json:"requests"`
	Overloaded int `json:"overloaded,omitempty"`
	Failed     int `json:"failed,omitempty"`
	// Sheds is set when more than TargetOverloadShare per cent of the requests were answered
	// 429 or 503: the setting gets its throughput by having the grid refuse work, so it is
	// not eligible as the best setting (auto is held to the same limit).
	Sheds bool `json:"sheds_load,omitempty"`
	// Seconds is the grid time the point took.
	Seconds float64 `json:"seconds"`
	// Refined marks a point added around the coarse grid's best.
	Refined bool `json:"refined,omitempty"`
	// Confirmed marks one of the best points measured a second time, longer: Throughput,
	// Latency, Requests and Seconds are then the second measurement's, and First the first
	// measurement's throughput.
	Confirmed bool    `json:"confirmed,omitempty"`
	First     float64 `json:"first_throughput,omitempty"`
	// Skipped says why the point has no measurement.
	Skipped string `json:"skipped,omitempty"`
}

// SweepResult is what a sweep measured: the grid of settings, the best one, the USL fit of
// the batch-1 points, and the comparison of the best setting with auto on one workload.
type SweepResult struct {
	Version int       `json:"version"`
	Grid    GridInfo  `json:"grid"`
	Started time.Time `json:"started"`
	Wall    float64   `json:"wall_seconds"`
	// Points in the order measured.
	Points []SweepPoint `json:"points"`
	// Best is the point with the most throughput.
	Best SweepPoint `json:"best"`
	// USL is the fit of the batch-1 points (nil when there are too few).
	USL *USL `json:"usl,omitempty"`
	// Comparison is the best setting and auto on the same workload.
	Comparison Comparison `json:"comparison"`
	// Assumptions and Notes as in Result.
	Assumptions []string `json:"assumptions"`
	Notes       []string `json:"notes"`
}

// Comparison puts auto beside the best setting of the sweep, on the same workload.
type Comparison struct {
	// Workload is what both runs created, each in a network view of its own.
	Workload Workload `json:"workload"`
	// AutoMaxConcurrency is auto's cap on requests in flight.
	AutoMaxConcurrency int `json:"auto_max_concurrency"`
	// Fixed is the sweep's best setting run through the bulk engine over the workload; Auto
	// the auto strategy over the same workload. With several passes, the pass with the
	// median time of each.
	Fixed EngineRun   `json:"fixed"`
	Auto  EngineRun   `json:"auto"`
	Runs  []EngineRun `json:"runs,omitempty"`
	// AutoVsFixed is auto's throughput in per cent of Fixed's, AutoVsSweep in per cent of
	// the best point's steady-state throughput.
	AutoVsFixed float64 `json:"auto_vs_fixed"`
	AutoVsSweep float64 `json:"auto_vs_sweep"`
	// Target is the share auto must reach (per cent, of the better of the two references);
	// Met says whether it did, with the 503 limit when the profile sheds load.
	Target float64 `json:"target"`
	Met    bool    `json:"met"`
}

// EngineRun is one load of the comparison's workload through the bulk engine.
type EngineRun struct {
	Strategy    string `json:"strategy"`
	Concurrency int    `json:"concurrency,omitempty"`
	BatchSize   int    `json:"batch_size,omitempty"`
	// Seconds in grid time, Wall in wall time; Throughput created objects per grid second.
	Seconds    float64 `json:"seconds"`
	Wall       float64 `json:"wall_seconds"`
	Throughput float64 `json:"throughput"`
	Created    int     `json:"created"`
	Failed     int     `json:"failed,omitempty"`
	// Requests counts every HTTP request of the run, Status their replies.
	Requests int            `json:"requests"`
	Status   map[string]int `json:"status,omitempty"`
	// Share503 is the per cent of requests answered 503.
	Share503 float64 `json:"share_503"`
	Retries  int64   `json:"retries,omitempty"`
	// Decisions are the controller's decisions (auto), in grid seconds from the start.
	Decisions []Decision `json:"decisions,omitempty"`
	// FinalLimit and FinalBatch are the setting at the end of the run.
	FinalLimit int `json:"final_limit"`
	FinalBatch int `json:"final_batch"`
}

// sample is one request of a sweep point.
type sample struct {
	worker     int
	seq        int
	start, end time.Time
	objects    int
	overloaded bool
	failed     bool
}

// errPointAbort ends a point early: its calls cannot succeed.
type errPointAbort struct {
	reason   string
	timeout  bool
	tooLarge bool
}

func (e *errPointAbort) Error() string { return e.reason }

// Sweep measures throughput across concurrency and batch size, refines around the best
// point, fits the USL to the batch-1 points, and runs the best setting and auto on the same
// workload (WithSweepObjects) side by side.
func (b *Bench) Sweep(ctx context.Context) (*SweepResult, error) {
	started := time.Now()
	c, err := b.start(ctx)
	if err != nil {
		return nil, err
	}
	defer closeClient(ctx, c)
	all, err := SweepWorkload(sweepMaxObjects, b.o.workload.Comment).CIDRs()
	if err != nil {
		return nil, err
	}
	res := &SweepResult{Version: ResultVersion, Grid: b.gridInfo(), Started: started.UTC().Truncate(time.Second)}
	maxBatch := 0
	if b.sim != nil {
		maxBatch = b.sim.MaxBatch
	}
	measured := map[[2]int]bool{}
	var tooSlow [][2]int // (c, b) whose calls timed out: anything at least as large is skipped
	tooLarge := 0        // smallest batch size refused as too large
	measure := func(conc, batch int, refined bool) error {
		key := [2]int{conc, batch}
		if measured[key] {
			return nil
		}
		measured[key] = true
		p := SweepPoint{Concurrency: conc, BatchSize: batch, Refined: refined}
		switch {
		case tooLarge > 0 && batch >= tooLarge:
			p.Skipped = fmt.Sprintf("the grid refused batches of %d", tooLarge)
		case conc*batch*(1+sweepMeasured) > sweepMaxObjects:
			p.Skipped = fmt.Sprintf("needs more than %d networks", sweepMaxObjects)
		default:
			for _, s := range tooSlow {
				if conc >= s[0] && batch >= s[1] {
					p.Skipped = fmt.Sprintf("calls at %d × %d already exceeded the client timeout", s[0], s[1])
					break
				}
			}
		}
		if p.Skipped == "" {
			view := fmt.Sprintf("%s%s-sweep-c%d-b%d", ViewPrefix, b.id, conc, batch)
			err := b.withView(ctx, c, view, func(view string) error {
				var err error
				p, err = b.point(ctx, view, all, p, sweepMeasured, sweepMinSeconds)
				return err
			})
			var abort *errPointAbort
			switch {
			case errors.As(err, &abort):
				p.Skipped = abort.reason
				if abort.timeout {
					tooSlow = append(tooSlow, key)
				}
				if abort.tooLarge && (tooLarge == 0 || batch < tooLarge) {
					tooLarge = batch
				}
			case err != nil:
				return err
			}
		}
		res.Points = append(res.Points, p)
		if b.o.progress != nil {
			pp := p
			b.o.progress(Progress{Sweep: &pp, Seconds: p.Seconds})
		}
		return nil
	}
	concs := slices.Clone(b.o.sweepConc)
	sort.Ints(concs)
	batches := capBatches(b.o.sweepBatches, maxBatch)
	for _, bs := range batches {
		for _, cc := range concs {
			if err := measure(cc, bs, false); err != nil {
				return nil, err
			}
		}
	}
	if b.o.refine {
		best := bestPoint(res.Points)
		for _, cc := range refineAround(best.Concurrency, concs, 1, 256) {
			if err := measure(cc, best.BatchSize, true); err != nil {
				return nil, err
			}
		}
		best = bestPoint(res.Points)
		for _, bs := range refineAround(best.BatchSize, batches, 1, capOr(maxBatch, 10000)) {
			if err := measure(best.Concurrency, bs, true); err != nil {
				return nil, err
			}
		}
	}
	if bestPoint(res.Points).Throughput == 0 {
		return nil, errors.New("bench: no sweep point could be measured")
	}
	if err := b.confirm(ctx, c, all, res); err != nil {
		return nil, err
	}
	var ones []Point
	for _, p := range res.Points {
		if p.BatchSize == 1 && p.Throughput > 0 {
			ones = append(ones, Point{N: float64(p.Concurrency), X: p.Throughput})
		}
	}
	res.USL, _ = FitUSL(ones)
	cmp, err := b.compare(ctx, c, res.Best)
	if err != nil {
		return nil, err
	}
	res.Comparison = *cmp
	res.Assumptions = b.assumptions(false)
	res.Notes = SweepNotes()
	res.Wall = time.Since(started).Seconds()
	return res, nil
}

func capOr(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// capBatches keeps the batch sizes a grid with this maximum accepts, adding the maximum
// itself when larger sizes were dropped.
func capBatches(batches []int, maxBatch int) []int {
	out := slices.Clone(batches)
	sort.Ints(out)
	if maxBatch <= 0 {
		return out
	}
	kept := out[:0]
	dropped := false
	for _, b := range out {
		if b <= maxBatch {
			kept = append(kept, b)
		} else {
			dropped = true
		}
	}
	if dropped && !slices.Contains(kept, maxBatch) {
		kept = append(kept, maxBatch)
	}
	return kept
}

// refineAround returns the values to try around v: the geometric midpoints towards its
// neighbours in grid, and v ± 1 when the grid is that fine near v, within [lo, hi].
func refineAround(v int, grid []int, lo, hi int) []int {
	var out []int
	add := func(x int) {
		if x >= lo && x <= hi && x != v && !slices.Contains(grid, x) && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	i := slices.Index(grid, v)
	if i > 0 {
		add(int(math.Round(math.Sqrt(float64(grid[i-1] * v)))))
	}
	if i >= 0 && i < len(grid)-1 {
		add(int(math.Round(math.Sqrt(float64(grid[i+1] * v)))))
	}
	if v <= 16 {
		add(v - 1)
		add(v + 1)
	}
	sort.Ints(out)
	return out
}

// bestPoint returns the measured point with the most throughput (the smaller setting on a
// tie) among those that do not shed load.
func bestPoint(ps []SweepPoint) SweepPoint {
	var best SweepPoint
	for _, p := range ps {
		if !p.Sheds && p.Throughput > best.Throughput {
			best = p
		}
	}
	return best
}

// confirm measures the sweepConfirm best points again, longer, and sets res.Best to the best
// of the second measurements. A point whose second measurement fails keeps its first.
func (b *Bench) confirm(ctx context.Context, c *wapi.Client, all []string, res *SweepResult) error {
	order := make([]int, 0, len(res.Points))
	for i, p := range res.Points {
		if p.Throughput > 0 && !p.Sheds {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(i, j int) int { return cmp.Compare(res.Points[j].Throughput, res.Points[i].Throughput) })
	order = order[:min(len(order), sweepConfirm)]
	var best SweepPoint
	for _, i := range order {
		first := res.Points[i]
		if first.Concurrency*first.BatchSize*(1+confirmMeasured) > len(all) {
			continue
		}
		view := fmt.Sprintf("%s%s-confirm-c%d-b%d", ViewPrefix, b.id, first.Concurrency, first.BatchSize)
		var p SweepPoint
		err := b.withView(ctx, c, view, func(view string) error {
			var err error
			p, err = b.point(ctx, view, all, first, confirmMeasured, confirmMinSeconds)
			return err
		})
		var abort *errPointAbort
		switch {
		case errors.As(err, &abort):
			continue
		case err != nil:
			return err
		}
		if p.Throughput > 0 {
			p.Confirmed, p.First = true, first.Throughput
			res.Points[i] = p
			if b.o.progress != nil {
				pp := p
				b.o.progress(Progress{Sweep: &pp, Seconds: p.Seconds})
			}
		}
		if !res.Points[i].Sheds && res.Points[i].Throughput > best.Throughput {
			best = res.Points[i]
		}
	}
	if best.Throughput == 0 {
		best = bestPoint(res.Points)
	}
	res.Best = best
	return nil
}

// point measures one setting in view: measured requests per worker after its warm-up and at
// least minSeconds of grid time.
func (b *Bench) point(ctx context.Context, view string, cidrs []string, p SweepPoint, measured int, minSeconds float64) (SweepPoint, error) {
	conc, batch := p.Concurrency, p.BatchSize
	t, _ := b.grid.transport(conc, conc)
	defer t.CloseIdleConnections()
	cl, err := b.grid.wapiClient(t, b.clientTimeout())
	if err != nil {
		return p, err
	}
	defer closeClient(ctx, cl)
	if err := cl.Login(ctx); err != nil {
		return p, fmt.Errorf("bench: login: %w", err)
	}
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	var (
		next    atomic.Int64
		mu      sync.Mutex
		samples []sample
		done    = make([]int, conc) // requests finished per worker
		abort   *errPointAbort
		wg      sync.WaitGroup
		warm    time.Time // when the last worker finished its warm-up
		warmN   int
	)
	speed := b.speed()
	started := time.Now()
	enough := func(now time.Time) bool {
		if warmN < conc || now.Sub(warm).Seconds()*speed < minSeconds {
			return false
		}
		for _, d := range done {
			if d < 1+measured {
				return false
			}
		}
		return true
	}
	for w := range conc {
		wg.Go(func() {
			for seq := 0; pctx.Err() == nil; seq++ {
				hi := int(next.Add(int64(batch)))
				if hi > len(cidrs) {
					stop()
					return
				}
				s := sample{worker: w, seq: seq, start: time.Now()}
				ok, err := b.send(pctx, cl, view, cidrs[hi-batch:hi])
				s.end = time.Now()
				if pctx.Err() != nil {
					return // cancelled: not a measurement
				}
				var ra time.Duration
				switch {
				case err == nil:
					s.objects = ok
				case isOverload(err):
					s.overloaded = true
					ra, _ = wapi.RetryAfter(err)
				default:
					s.failed = true
				}
				mu.Lock()
				samples = append(samples, s)
				done[w]++
				if seq == 0 {
					if err != nil && !s.overloaded && abort == nil {
						abort = classifyAbort(err, conc, batch)
						stop()
					}
					warmN++
					if warmN == conc {
						warm = s.end
					}
				}
				if enough(s.end) {
					stop()
				}
				mu.Unlock()
				if ra > 0 {
					// Retry-After is grid time, as every time the grid gives.
					if sleep(pctx, time.Duration(float64(ra)/speed)) != nil {
						return
					}
				}
			}
		})
	}
	wg.Wait()
	p.Seconds = time.Since(started).Seconds() * speed
	p.Requests = len(samples)
	for _, s := range samples {
		if s.overloaded {
			p.Overloaded++
		}
		if s.failed {
			p.Failed++
		}
	}
	if abort != nil {
		return p, abort
	}
	if err := ctx.Err(); err != nil {
		return p, err
	}
	p.Sheds = float64(p.Overloaded) > TargetOverloadShare/100*float64(p.Requests)
	p.Throughput, p.Latency = steady(samples, conc, speed)
	if p.Throughput == 0 {
		p.Skipped = "no request completed after the warm-up"
	}
	return p, nil
}

// steady computes a point's throughput (objects per grid second) and median latency (grid
// seconds) from its samples: per worker, the objects of the requests after its first one over
// the time from the end of the first to the end of the last; summed over workers.
func steady(samples []sample, conc int, speed float64) (float64, float64) {
	first := make([]time.Time, conc)
	last := make([]time.Time, conc)
	objs := make([]int, conc)
	var lats []float64
	for _, s := range samples {
		if s.seq == 0 {
			first[s.worker] = s.end
		}
	}
	for _, s := range samples {
		if s.seq == 0 {
			continue
		}
		if s.end.After(last[s.worker]) {
			last[s.worker] = s.end
		}
		objs[s.worker] += s.objects
		if !s.overloaded && !s.failed {
			lats = append(lats, s.end.Sub(s.start).Seconds()*speed)
		}
	}
	x := 0.0
	for w := range conc {
		if d := last[w].Sub(first[w]).Seconds(); d > 0 && !first[w].IsZero() {
			x += float64(objs[w]) / (d * speed)
		}
	}
	lat := 0.0
	if len(lats) > 0 {
		lat = Median(lats)
	}
	return x, lat
}

// send creates the networks of one request: a POST for one, a request call for more. It
// returns the number created.
func (b *Bench) send(ctx context.Context, c *wapi.Client, view string, cidrs []string) (int, error) {
	if len(cidrs) == 1 {
		_, err := c.Create(ctx, wapi.TypeNetwork, wapi.Network{Network: cidrs[0], NetworkView: view, Comment: b.o.workload.Comment})
		if err != nil {
			return 0, err
		}
		return 1, nil
	}
	bt := wapi.NewBatch(len(cidrs))
	for _, cidr := range cidrs {
		bt.Create(wapi.TypeNetwork, wapi.Network{Network: cidr, NetworkView: view, Comment: b.o.workload.Comment})
	}
	rs, err := c.SendBatch(ctx, bt)
	if err != nil {
		return 0, err
	}
	return len(rs), nil
}

func isOverload(err error) bool {
	var we *wapi.Error
	return errors.As(err, &we) && (we.StatusCode == 429 || we.StatusCode == 503)
}

// classifyAbort explains why a worker's first request failed.
func classifyAbort(err error, conc, batch int) *errPointAbort {
	var we *wapi.Error
	if errors.As(err, &we) && we.StatusCode == 400 && batch > 1 {
		return &errPointAbort{reason: fmt.Sprintf("the grid refused a batch of %d: %s", batch, we.Text), tooLarge: true}
	}
	if errors.Is(err, wapi.ErrTransient) {
		return &errPointAbort{reason: fmt.Sprintf("calls of %d networks at %d in flight exceeded the client timeout or failed: %v", batch, conc, err), timeout: true}
	}
	return &errPointAbort{reason: err.Error()}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// comparisonObjects returns the size of the comparison's workload: WithSweepObjects, or
// enough networks to keep the best setting busy for the sweep's seconds.
func (b *Bench) comparisonObjects(best SweepPoint) int {
	if b.o.sweepObjects > 0 {
		return b.o.sweepObjects
	}
	n := int(math.Ceil(best.Throughput*b.o.sweepSeconds/1024)) * 1024
	return min(max(n, MinSweepObjects), MaxSweepObjects)
}

// autoMaxConcurrency is auto's cap in the comparison: WithMaxConcurrency, or the largest
// concurrency of the sweep, so that auto searches the range the sweep measured.
func (b *Bench) autoMaxConcurrency() int {
	if b.o.maxConcSet {
		return b.o.maxConc
	}
	return slices.Max(b.o.sweepConc)
}

// compare runs the best setting and auto over the comparison workload, passes times each,
// alternating, and keeps the median pass of each.
func (b *Bench) compare(ctx context.Context, c *wapi.Client, best SweepPoint) (*Comparison, error) {
	w := SweepWorkload(b.comparisonObjects(best), b.o.workload.Comment)
	cidrs, err := w.CIDRs()
	if err != nil {
		return nil, err
	}
	autoMax := b.autoMaxConcurrency()
	cmp := &Comparison{Workload: w, AutoMaxConcurrency: autoMax}
	var fixed, auto []EngineRun
	for pass := 1; pass <= b.o.passes; pass++ {
		for _, isAuto := range []bool{false, true} {
			name := "fixed"
			var opts []bulk.Option
			workers := best.Concurrency
			switch {
			case isAuto:
				name = "auto"
				opts = []bulk.Option{bulk.WithStrategy(bulk.Auto), bulk.WithMaxConcurrency(autoMax)}
				workers = autoMax
			case best.BatchSize > 1:
				opts = []bulk.Option{bulk.WithStrategy(bulk.Batch), bulk.WithConcurrency(best.Concurrency), bulk.WithBatchSize(best.BatchSize)}
			case best.Concurrency > 1:
				opts = []bulk.Option{bulk.WithStrategy(bulk.Concurrent), bulk.WithConcurrency(best.Concurrency)}
			default:
				opts = []bulk.Option{bulk.WithStrategy(bulk.Sequential)}
			}
			view := fmt.Sprintf("%s%s-cmp%d-%s", ViewPrefix, b.id, pass, name)
			var run EngineRun
			err := b.withView(ctx, c, view, func(view string) error {
				er, err := b.engineLoad(ctx, view, w.Comment, cidrs, workers, opts...)
				if err != nil {
					return err
				}
				run = b.engineResult(er)
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("bench: comparison, %s: %w", name, err)
			}
			if !isAuto {
				run.Concurrency, run.BatchSize = best.Concurrency, best.BatchSize
				fixed = append(fixed, run)
			} else {
				auto = append(auto, run)
			}
			cmp.Runs = append(cmp.Runs, run)
			if b.o.progress != nil {
				b.o.progress(Progress{Pass: pass, Passes: b.o.passes, Seconds: run.Seconds, Wall: run.Wall, Created: run.Created,
					Message: fmt.Sprintf("%s over %d networks: %.1f grid s, %.1f networks per grid second", name, w.Objects, run.Seconds, run.Throughput)})
			}
		}
	}
	cmp.Fixed, cmp.Auto = medianRun(fixed), medianRun(auto)
	if len(cmp.Runs) == 2 {
		cmp.Runs = nil // the two runs are Fixed and Auto
	}
	cmp.AutoVsFixed = 100 * cmp.Auto.Throughput / cmp.Fixed.Throughput
	cmp.AutoVsSweep = 100 * cmp.Auto.Throughput / best.Throughput
	cmp.Target = TargetOther
	if b.sim != nil && b.sim.Profile.Name == "article" {
		cmp.Target = TargetArticle
	}
	cmp.Met = min(cmp.AutoVsFixed, cmp.AutoVsSweep) >= cmp.Target
	if b.sim != nil && b.sim.Profile.OverloadAt > 0 {
		cmp.Met = cmp.Met && cmp.Auto.Share503 <= TargetOverloadShare
	}
	return cmp, nil
}

// medianRun returns the run with the median time (the lower middle for an even count).
func medianRun(runs []EngineRun) EngineRun {
	s := slices.Clone(runs)
	slices.SortFunc(s, func(a, b EngineRun) int { return cmp.Compare(a.Seconds, b.Seconds) })
	return s[(len(s)-1)/2]
}

func (b *Bench) engineResult(er *engineRun) EngineRun {
	wall := er.end.Sub(er.start).Seconds()
	r := EngineRun{
		Strategy: string(er.summary.Strategy), Seconds: wall * b.speed(), Wall: wall,
		Created: er.created, Failed: int(er.summary.Failed()), Requests: er.requests,
		Retries: er.summary.Retries, FinalLimit: er.summary.Concurrency, FinalBatch: er.summary.BatchSize,
	}
	r.Throughput = Rate(r.Created, r.Seconds)
	r.Status = statusNames(er.status)
	if r.Requests > 0 {
		r.Share503 = 100 * float64(er.status[503]) / float64(r.Requests)
	}
	if er.summary.Strategy == bulk.Auto {
		r.Decisions = b.decisions(er)
	}
	return r
}

// SweepNotes says how the sweep measures.
func SweepNotes() []string {
	return []string{
		"each point and each comparison run creates its networks in a network view of its own, deleted afterwards",
		fmt.Sprintf("a point is a closed loop of c workers sending batches of b networks back to back (a POST per network for b = 1, "+
			"a request call otherwise) through the wapi client; the first request of each worker is a warm-up; the point stops, "+
			"cancelling what is in flight, once every worker has finished %d more requests and %g grid seconds were measured; "+
			"its throughput is the sum over workers of the networks created over the time their requests covered", sweepMeasured, sweepMinSeconds),
		fmt.Sprintf("a 429 or 503 is followed by a sleep for its Retry-After (grid time), which counts in the time; a point whose first requests time out "+
			"(the client timeout, %g grid seconds by default) or are refused as too large is skipped, and so is every larger point", wapi.DefaultTimeout.Seconds()),
		"the coarse grid is refined around its best point: midpoints towards its neighbours and ±1 in flight, then the same for the batch size",
		fmt.Sprintf("a point with more than %g %% of its requests answered 429 or 503 sheds load: it gets its throughput by having the grid "+
			"refuse work, and is not eligible as the best setting (auto is held to the same limit)", TargetOverloadShare),
		fmt.Sprintf("the best of many short measurements is biased up (the winner's curse): the %d best points are measured again, "+
			"%d requests per worker and at least %g grid seconds, and the best setting is the best of these second measurements", sweepConfirm, confirmMeasured, confirmMinSeconds),
		"the comparison loads one workload twice through the bulk engine: once with the best setting fixed " +
			"(strategy concurrent or batch), once with strategy auto, which starts knowing nothing of the grid; auto's throughput is " +
			"compared with that run's and with the best point's steady state, and the target is met when both ratios reach it",
		fmt.Sprintf("the comparison's workload is sized by time: the networks the best setting creates in %g grid seconds "+
			"(at least %s, at most %s), because auto spends its first minute or so of grid time finding the setting, "+
			"and a run much shorter than that measures the search rather than the setting it finds", DefaultSweepSeconds, thousands(MinSweepObjects), thousands(MaxSweepObjects)),
		"auto is capped at the sweep's largest concurrency unless --max-concurrency is given, so that it searches the range the sweep measured; " +
			"both runs use the engine on the grid's clock, so that its time constants and the grid's Retry-After are grid time",
	}
}
