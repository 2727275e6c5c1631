package adaptive

import (
	"container/heap"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// This file holds a tiny deterministic closed-loop model of a grid, to run the controller in
// simulated time. It is not the real simulator (gridsim): it only has the cost model of
// concurrency-control.md §12.7,
//
//	S(n) = S1·(1 + σ(n−1) + κn(n−1) + τ·max(0, n−n_c)²)
//
// for a request admitted while n requests are in service, times the work of its batch, times
// log-normal noise; optional 503s above a number in service, a client timeout, a maximum
// batch size, and a change of costs halfway.

type profile struct {
	name              string
	s1                time.Duration
	sigma, kappa, tau float64
	nc                int
	overloadAt        int           // answer 503 to a request arriving with this many in service; 0 = never
	retryAfter        time.Duration // Retry-After of those 503s
	perRequest        float64       // share of a one-object call's cost paid once per request
	batchKnee         float64       // per-object cost grows as 1 + b/batchKnee; 0 = flat
	maxBatch          int           // larger batches are refused; 0 = no limit
	down              bool          // every request is answered 503 at once
	jitter            float64       // σ of the log-normal noise on each service time
}

// work is the cost of a batch of b objects relative to a one-object call.
func (p profile) work(b int) float64 {
	if p.perRequest == 0 && p.batchKnee == 0 {
		return float64(b)
	}
	per := float64(b)
	if p.batchKnee > 0 {
		per *= 1 + float64(b-1)/p.batchKnee
	}
	return p.perRequest + (1-p.perRequest)*per
}

// spread is the relative spread of the service time of a batch of b objects, relative to that
// of a one-object call: the batch costs a per-request part and b per-object parts, each with
// the same relative spread and independent.
func (p profile) spread(b int) float64 {
	if b <= 1 || (p.perRequest == 0 && p.batchKnee == 0) {
		return 1
	}
	sd := func(b int) float64 {
		q := (p.work(b) - p.perRequest) / float64(b) // cost of one object in the batch
		return math.Sqrt(p.perRequest*p.perRequest+float64(b)*q*q) / p.work(b)
	}
	return sd(b) / sd(1)
}

// service is the noiseless service time of a request of b objects admitted with n in service.
func (p profile) service(n, b int) time.Duration {
	d := 1 + p.sigma*float64(n-1) + p.kappa*float64(n*(n-1))
	if p.nc > 0 && n > p.nc {
		e := float64(n - p.nc)
		d += p.tau * e * e
	}
	return time.Duration(float64(p.s1) * d * p.work(b))
}

// Profiles. article is the least-squares fit to the part-4 figures (§12.7).
var (
	article = profile{name: "article", s1: 32800 * time.Microsecond, sigma: 0.47, kappa: 0.0065,
		tau: 0.064, nc: 10, jitter: 0.2}
	busy = profile{name: "busy", s1: 40 * time.Millisecond, sigma: 0.3, kappa: 0.05, tau: 0.2,
		nc: 3, jitter: 0.2}
	large = profile{name: "large", s1: 20 * time.Millisecond, sigma: 0.02, kappa: 0.0005,
		tau: 0.01, nc: 48, jitter: 0.2}
	serial = profile{name: "serial", s1: 30 * time.Millisecond, sigma: 0.95, jitter: 0.2}
	shed   = profile{name: "overload", s1: 32800 * time.Microsecond, sigma: 0.47, kappa: 0.0065,
		tau: 0.064, nc: 10, overloadAt: 6, jitter: 0.2}
	// shedRA scales well and sheds load past 12 in service with 503 and Retry-After: 1, like
	// gridsim's overload profile.
	shedRA = profile{name: "overload-retry-after", s1: 30 * time.Millisecond, sigma: 0.05,
		kappa: 0.001, overloadAt: 12, retryAfter: time.Second, jitter: 0.2}
)

type modelRun struct {
	prof      profile
	after     profile       // costs after switchAt
	switchAt  time.Duration // 0: no change
	restoreAt time.Duration // back to prof from then; 0: never
	objects   int
	timeout   time.Duration // client timeout; 0 = none
	maxTime   time.Duration
	seed      uint64
}

type modelResult struct {
	elapsed                       time.Duration
	done                          int
	requests, overloads, tooLarge int
	decisions                     []Decision
	goodput                       float64 // objects per second
	startTimes                    []time.Duration
}

type event struct {
	at, start  time.Duration
	seq        int
	objs       int
	inflight   int
	outcome    Outcome
	retryAfter time.Duration
	releases   bool // frees a place in service when it fires
	serverOnly bool // the end of a request the client gave up on
	wake       bool // the end of a pause
}

type events []*event

func (h events) Len() int { return len(h) }
func (h events) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h events) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *events) Push(x any)   { *h = append(*h, x.(*event)) }
func (h *events) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

var modelEpoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// simulate runs c against the model until all objects are created or maxTime passes.
func simulate(c *Controller, m modelRun) modelResult {
	rng := rand.New(rand.NewPCG(m.seed, 0x5eed))
	var (
		h                   events
		seq                 int
		now, pause          time.Duration
		remaining           = m.objects
		inflight, inService int
		res                 modelResult
		maxTime             = m.maxTime
		prof                = m.prof
		starts              []time.Duration
	)
	const fastReply = 2 * time.Millisecond // a 503 or a refused batch comes back at once
	push := func(e *event) {
		seq++
		e.seq = seq
		heap.Push(&h, e)
	}
	noise := func(b int) float64 {
		j := prof.jitter * prof.spread(b)
		return math.Exp(j*rng.NormFloat64() - j*j/2)
	}
	if maxTime == 0 {
		maxTime = time.Hour
	}
	for res.done < m.objects && now < maxTime {
		if m.switchAt > 0 && now >= m.switchAt {
			prof = m.after
		}
		if m.restoreAt > 0 && now >= m.restoreAt {
			prof = m.prof
		}
		limit := c.Limit()
		for remaining > 0 && inflight < limit && now >= pause {
			b := min(c.BatchSize(), remaining)
			remaining -= b
			inflight++
			res.requests++
			starts = append(starts, now)
			e := &event{start: now, objs: b, inflight: inflight}
			switch {
			case prof.maxBatch > 0 && b > prof.maxBatch:
				e.at, e.outcome = now+fastReply, OutcomeTooLarge
			case prof.down || (prof.overloadAt > 0 && inService >= prof.overloadAt):
				e.at, e.outcome, e.retryAfter = now+fastReply, OutcomeOverload, prof.retryAfter
			default:
				inService++
				s := time.Duration(float64(prof.service(inService, b)) * noise(b))
				if m.timeout > 0 && s > m.timeout {
					e.at, e.outcome = now+m.timeout, OutcomeOverload
					push(&event{at: now + s, serverOnly: true})
				} else {
					e.at, e.releases = now+s, true
				}
			}
			push(e)
		}
		if h.Len() == 0 {
			if remaining > 0 && pause > now {
				now = pause
				continue
			}
			break
		}
		e := heap.Pop(&h).(*event)
		now = e.at
		if e.wake {
			continue
		}
		if e.serverOnly {
			inService--
			continue
		}
		if e.releases {
			inService--
		}
		inflight--
		switch e.outcome {
		case OutcomeOK:
			res.done += e.objs
		case OutcomeOverload:
			res.overloads++
			remaining += e.objs
		case OutcomeTooLarge:
			res.tooLarge++
			remaining += e.objs
		}
		d, ok := c.Observe(Sample{Start: modelEpoch.Add(e.start), End: modelEpoch.Add(now),
			Objects: e.objs, InFlight: e.inflight, Outcome: e.outcome, RetryAfter: e.retryAfter})
		if ok {
			res.decisions = append(res.decisions, d)
			if p := d.PauseUntil.Sub(modelEpoch); p > pause {
				pause = p
				push(&event{at: pause, wake: true})
			}
		}
	}
	res.elapsed = now
	res.startTimes = starts
	if now > 0 {
		res.goodput = float64(res.done) / now.Seconds()
	}
	return res
}

// limitAt returns the limit in force at t (relative to modelEpoch).
func limitAt(initial int, ds []Decision, t time.Duration) int {
	l := initial
	for _, d := range ds {
		if d.Time.Sub(modelEpoch) > t {
			break
		}
		l = d.Limit
	}
	return l
}

// meanLimit returns the time-weighted mean limit over [from, to).
func meanLimit(initial int, ds []Decision, from, to time.Duration) float64 {
	sum := 0.0
	const step = 10 * time.Millisecond
	n := 0
	for t := from; t < to; t += step {
		sum += float64(limitAt(initial, ds, t))
		n++
	}
	return sum / float64(n)
}

func mustNew(t testing.TB, opts ...Option) *Controller {
	t.Helper()
	c, err := New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// bestFixed runs every fixed limit in [1, maxL] and returns the best goodput and its limit.
func bestFixed(t testing.TB, m modelRun, maxL, batch int) (float64, int) {
	best, bestL := 0.0, 0
	for l := 1; l <= maxL; l++ {
		c := mustNew(t, WithMaxConcurrency(maxL), WithFixedConcurrency(l), WithFixedBatchSize(batch))
		r := simulate(c, m)
		if r.goodput > best {
			best, bestL = r.goodput, l
		}
	}
	return best, bestL
}

// modelSeeds are the noise seeds every model test runs with: the figures must hold for each.
var modelSeeds = []uint64{1, 2, 3}

// TestModelGoodput runs the controller (batch size fixed at 1) on each profile and compares
// its goodput with the best fixed limit, found by running every fixed limit on the same model
// and noise. Runs last about a minute of model time.
func TestModelGoodput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		prof    profile
		maxL    int
		objects int
		want    float64 // least share of the best fixed limit's goodput
	}{
		{article, 16, 3000, 0.95},
		{busy, 16, 2400, 0.90},    // knee at 3
		{large, 64, 47000, 0.90},  // knee above 40, --max-concurrency 64
		{serial, 16, 2000, 0.90},  // writes serialised: flat goodput
		{shed, 16, 3000, 0.90},    // 503 above 6 in service
		{shedRA, 16, 20000, 0.90}, // 503 and Retry-After: 1 above 12 in service
	}
	for _, tt := range tests {
		t.Run(tt.prof.name, func(t *testing.T) {
			t.Parallel()
			for _, seed := range modelSeeds {
				m := modelRun{prof: tt.prof, objects: tt.objects, seed: seed}
				// Fixed limits reach their steady state at once: a third of the run suffices.
				fm := m
				fm.objects /= 3
				best, bestL := bestFixed(t, fm, tt.maxL, 1)
				c := mustNew(t, WithMaxConcurrency(tt.maxL), WithFixedBatchSize(1), WithSeed(seed))
				r := simulate(c, m)
				ratio := r.goodput / best
				late := meanLimit(DefaultInitialConcurrency, r.decisions, r.elapsed/2, r.elapsed)
				t.Logf("seed %d: best fixed L=%d %.1f/s; adaptive %.1f/s = %.1f %%; mean limit in the second half %.1f; overloaded %d of %d requests",
					seed, bestL, best, r.goodput, 100*ratio, late, r.overloads, r.requests)
				if ratio < tt.want {
					t.Errorf("seed %d: goodput %.1f %% of the best fixed limit, want at least %.0f %%", seed, 100*ratio, 100*tt.want)
				}
				if r.done != tt.objects {
					t.Errorf("seed %d: %d of %d objects done", seed, r.done, tt.objects)
				}
				if max := highestLimit(r.decisions); max > tt.maxL {
					t.Errorf("seed %d: limit %d above the maximum %d", seed, max, tt.maxL)
				}
				if share := float64(r.overloads) / float64(r.requests); share > 0.01 {
					t.Errorf("seed %d: %.2f %% of requests overloaded, want at most 1 %%", seed, 100*share)
				}
			}
		})
	}
}

func highestLimit(ds []Decision) int {
	m := 0
	for _, d := range ds {
		m = max(m, d.Limit)
	}
	return m
}

// TestModelCostChange changes the grid's costs halfway, as when a second load starts on it
// (article → busy: the knee moves from about 8 to 3) or stops (busy → article).
func TestModelCostChange(t *testing.T) {
	t.Parallel()
	const switchAt = 30 * time.Second
	for _, seed := range modelSeeds {
		// A second load starts.
		m := modelRun{prof: article, after: busy, switchAt: switchAt, objects: 1 << 30,
			maxTime: 90 * time.Second, seed: seed}
		c := mustNew(t, WithSeed(seed), WithFixedBatchSize(1))
		r := simulate(c, m)
		cut, knee := time.Duration(-1), time.Duration(-1)
		for _, d := range r.decisions {
			at := d.Time.Sub(modelEpoch)
			if at < switchAt {
				continue
			}
			if cut < 0 && d.Limit <= 5 {
				cut = at - switchAt
			}
			if knee < 0 && d.Limit <= 4 {
				knee = at - switchAt
			}
		}
		after := meanLimit(2, r.decisions, switchAt+15*time.Second, m.maxTime)
		t.Logf("seed %d, second load starts: limit ≤ 5 after %s, ≤ 4 after %s; mean limit from 15 s after: %.1f",
			seed, cut.Round(100*time.Millisecond), knee.Round(100*time.Millisecond), after)
		if cut < 0 || cut > 4*time.Second || knee < 0 || knee > 8*time.Second {
			t.Errorf("seed %d: the limit took %s to come down to 5 and %s to 4, want 4 s and 8 s", seed, cut, knee)
		}
		if after < 2 || after > 4.5 {
			t.Errorf("seed %d: mean limit %.1f at the new knee (3), want within [2, 4.5]", seed, after)
		}

		// It stops.
		m = modelRun{prof: busy, after: article, switchAt: switchAt, objects: 1 << 30,
			maxTime: 90 * time.Second, seed: seed}
		c = mustNew(t, WithSeed(seed), WithFixedBatchSize(1))
		r = simulate(c, m)
		up := time.Duration(-1)
		for _, d := range r.decisions {
			if at := d.Time.Sub(modelEpoch); at >= switchAt && up < 0 && d.Limit >= 5 {
				up = at - switchAt
			}
		}
		after = meanLimit(2, r.decisions, switchAt+30*time.Second, m.maxTime)
		t.Logf("seed %d, second load stops: limit ≥ 5 after %s; mean limit from 30 s after: %.1f",
			seed, up.Round(100*time.Millisecond), after)
		if up < 0 || up > 20*time.Second || after < 4.5 {
			t.Errorf("seed %d: limit reached 5 after %s (want 20 s), mean %.1f (want ≥ 4.5)", seed, up, after)
		}
	}
}

// batchy has a per-request cost (60 % of a one-object call) and a per-object cost that grows
// with the batch (a larger transaction): the cost per object is lowest near 24.
var batchy = profile{name: "batchy", s1: 32800 * time.Microsecond, sigma: 0.47, kappa: 0.0065,
	tau: 0.064, nc: 10, perRequest: 0.6, batchKnee: 400, jitter: 0.2}

// TestModelBatch adapts limit and batch together and checks that the batch converges to a
// size whose cost per object is within 5 % of the best, and that goodput over a long run
// (about 4.5 minutes of model time) is close to the best fixed pair.
func TestModelBatch(t *testing.T) {
	t.Parallel()
	perObject := func(b int) float64 { return batchy.work(b) / float64(b) }
	bestCost := math.Inf(1)
	for b := 1; b <= 1024; b++ {
		bestCost = min(bestCost, perObject(b))
	}
	for _, seed := range modelSeeds {
		m := modelRun{prof: batchy, objects: 30000, seed: seed}
		fm := m
		fm.objects = 10000
		best, bl, bb := 0.0, 0, 0
		for b := 8; b <= 128; b *= 2 {
			if g, l := bestFixed(t, fm, 16, b); g > best {
				best, bl, bb = g, l, b
			}
		}
		c := mustNew(t, WithSeed(seed))
		r := simulate(c, m)
		final := settled(t, r.decisions)
		reach := time.Duration(-1)
		for _, d := range r.decisions {
			if d.BatchSize >= 16 {
				reach = d.Time.Sub(modelEpoch)
				break
			}
		}
		ratio := r.goodput / best
		excess := perObject(final.BatchSize)/bestCost - 1
		t.Logf("seed %d: best fixed L=%d b=%d %.1f/s; adaptive %.1f/s = %.1f %%, settled at L=%d b=%d (cost per object +%.1f %% over the best), batch ≥ 16 after %s",
			seed, bl, bb, best, r.goodput, 100*ratio, final.Limit, final.BatchSize, 100*excess, reach.Round(time.Second))
		if excess > 0.05 {
			t.Errorf("seed %d: settled batch %d costs %.1f %% more per object than the best", seed, final.BatchSize, 100*excess)
		}
		if ratio < 0.90 {
			t.Errorf("seed %d: goodput %.1f %% of the best fixed pair, want at least 90 %%", seed, 100*ratio)
		}
		if reach < 0 || reach > 45*time.Second {
			t.Errorf("seed %d: batch reached 16 after %s, want within 45 s", seed, reach)
		}
	}
}

// TestModelLatencyBudget has batches that always pay, a 2 s client timeout, and a grid that
// becomes six times slower halfway: calls must stay within the budget (0.5 s at the 90th
// percentile) apart from a short transition, and time-outs stay rare.
func TestModelLatencyBudget(t *testing.T) {
	t.Parallel()
	fast := profile{name: "fast", s1: 10 * time.Millisecond, sigma: 0.1, perRequest: 0.5, jitter: 0.2}
	slow := fast
	slow.s1 *= 6
	const timeout = 2 * time.Second
	for _, seed := range modelSeeds {
		m := modelRun{prof: fast, after: slow, switchAt: 120 * time.Second, objects: 1 << 30,
			maxTime: 240 * time.Second, timeout: timeout, seed: seed}
		c := mustNew(t, WithSeed(seed), WithClientTimeout(timeout))
		r := simulate(c, m)
		var over, windows int
		var maxBatchBefore, lastBatch int
		for _, d := range r.decisions {
			at := d.Time.Sub(modelEpoch)
			if d.Window.OK == 0 {
				continue
			}
			windows++
			settling := at < 60*time.Second || (at > m.switchAt && at < m.switchAt+20*time.Second)
			if !settling && d.Window.LatencyP90 > timeout/4 {
				over++
			}
			if at < m.switchAt {
				maxBatchBefore = max(maxBatchBefore, d.BatchSize)
			}
			lastBatch = d.BatchSize
		}
		t.Logf("seed %d: %d windows, %d over budget outside transitions; batch up to %d before the slowdown, %d at the end; %d time-outs in %d requests",
			seed, windows, over, maxBatchBefore, lastBatch, r.overloads, r.requests)
		if over > windows/20 {
			t.Errorf("seed %d: %d of %d windows over the latency budget", seed, over, windows)
		}
		if maxBatchBefore < 8 || lastBatch >= maxBatchBefore {
			t.Errorf("seed %d: batch %d before, %d after a 6× slowdown: want growth, then a cut", seed, maxBatchBefore, lastBatch)
		}
		if r.overloads > 20 {
			t.Errorf("seed %d: %d time-outs", seed, r.overloads)
		}
	}
}

// TestModelMaxBatch has a grid that refuses batches above 100 while larger ones would pay.
func TestModelMaxBatch(t *testing.T) {
	t.Parallel()
	capped := profile{name: "capped", s1: 10 * time.Millisecond, sigma: 0.2, kappa: 0.01,
		perRequest: 0.9, maxBatch: 100, jitter: 0.2}
	for _, seed := range modelSeeds {
		m := modelRun{prof: capped, objects: 1 << 30, maxTime: 10 * time.Minute, seed: seed}
		c := mustNew(t, WithSeed(seed))
		r := simulate(c, m)
		final := settled(t, r.decisions)
		t.Logf("seed %d: settled at batch %d, limit %d; %d batches refused in %d requests", seed,
			final.BatchSize, final.Limit, r.tooLarge, r.requests)
		if final.BatchSize < 64 || final.BatchSize > 100 {
			t.Errorf("seed %d: batch %d, want within [64, 100]", seed, final.BatchSize)
		}
		if r.tooLarge == 0 || r.tooLarge > 10 {
			t.Errorf("seed %d: %d refusals, want a few", seed, r.tooLarge)
		}
	}
}

// TestModelOutage has the grid answer every request with 503 for 20 s: the controller must
// send few requests meanwhile (not a fast stream at the minimum limit), and come back after.
func TestModelOutage(t *testing.T) {
	t.Parallel()
	down := article
	down.down = true
	for _, seed := range modelSeeds {
		m := modelRun{prof: article, after: down, switchAt: 20 * time.Second, restoreAt: 40 * time.Second,
			objects: 1 << 30, maxTime: 160 * time.Second, seed: seed}
		c := mustNew(t, WithSeed(seed), WithFixedBatchSize(1))
		r := simulate(c, m)
		during := 0
		for _, st := range r.startTimes {
			if st >= m.switchAt && st < m.restoreAt {
				during++
			}
		}
		before := float64(0)
		for _, st := range r.startTimes {
			if st >= 10*time.Second && st < m.switchAt {
				before++
			}
		}
		back := time.Duration(-1)
		for _, d := range r.decisions {
			if at := d.Time.Sub(modelEpoch); at > m.restoreAt && d.Limit >= 4 && back < 0 {
				back = at - m.restoreAt
			}
		}
		t.Logf("seed %d: %d requests in the 20 s outage (%.0f in the 10 s before it); limit back to 4 after %s",
			seed, during, before, back.Round(time.Second))
		if during > 40 {
			t.Errorf("seed %d: %d requests during the outage, want at most 40", seed, during)
		}
		if back < 0 || back > backoffCap+15*time.Second {
			t.Errorf("seed %d: limit back to 4 after %s", seed, back)
		}
	}
}
