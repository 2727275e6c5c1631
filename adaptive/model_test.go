package adaptive

import (
	"container/heap"
	"flag"
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
)

type modelRun struct {
	prof     profile
	after    profile       // costs after switchAt
	switchAt time.Duration // 0: no change
	objects  int
	timeout  time.Duration // client timeout; 0 = none
	maxTime  time.Duration
	seed     uint64
}

type modelResult struct {
	elapsed                       time.Duration
	done                          int
	requests, overloads, tooLarge int
	decisions                     []Decision
	goodput                       float64 // objects per second
}

type event struct {
	at, start   time.Duration
	seq         int
	objs        int
	inflight    int
	outcome     Outcome
	retryAfter  time.Duration
	releases    bool // frees a place in service when it fires
	serverOnly  bool // the end of a request the client gave up on
	wake        bool // the end of a pause
	inService   int
	serviceTime time.Duration
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
		lastLimit           = -1
		maxTime             = m.maxTime
		prof                = m.prof
		noise               func(b int) float64
		push                              = func(e *event) { seq++; e.seq = seq; heap.Push(&h, e) }
		fastReply           time.Duration = 2 * time.Millisecond
	)
	if maxTime == 0 {
		maxTime = time.Hour
	}
	noise = func(b int) float64 {
		j := prof.jitter * prof.spread(b)
		return math.Exp(j*rng.NormFloat64() - j*j/2)
	}
	for res.done < m.objects && now < maxTime {
		if m.switchAt > 0 && now >= m.switchAt {
			prof = m.after
		}
		limit := c.Limit()
		if limit != lastLimit {
			lastLimit = limit
		}
		for remaining > 0 && inflight < limit && now >= pause {
			b := min(c.BatchSize(), remaining)
			remaining -= b
			inflight++
			res.requests++
			e := &event{start: now, objs: b, inflight: inflight}
			switch {
			case prof.maxBatch > 0 && b > prof.maxBatch:
				e.at, e.outcome = now+fastReply, OutcomeTooLarge
			case prof.overloadAt > 0 && inService >= prof.overloadAt:
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

var (
	exploreProfile = flag.String("explore", "", "profile whose decisions TestModelExplore prints")
	exploreSeed    = flag.Uint64("seed", 7, "seed of TestModelExplore")
)

func TestModelExplore(t *testing.T) {
	for _, p := range []profile{article, busy, large, serial, shed} {
		maxL := 16
		if p.name == "large" {
			maxL = 64
		}
		objs := map[string]int{"article": 3000, "busy": 2400, "large": 47000, "serial": 2000, "overload": 3000}[p.name]
		m := modelRun{prof: p, objects: objs, seed: *exploreSeed}
		best, bestL := bestFixed(t, m, maxL, 1)
		c := mustNew(t, WithMaxConcurrency(maxL), WithFixedBatchSize(1), WithSeed(*exploreSeed))
		r := simulate(c, m)
		t.Logf("%-8s best fixed L=%d %.1f/s; auto %.1f/s (%.1f%%) elapsed %s overloads %d/%d mean L(2nd half) %.1f",
			p.name, bestL, best, r.goodput, 100*r.goodput/best, r.elapsed.Round(time.Second), r.overloads, r.requests,
			meanLimit(2, r.decisions, r.elapsed/2, r.elapsed))
		if testing.Verbose() && p.name == *exploreProfile {
			for _, d := range r.decisions {
				t.Log(d)
			}
		}
	}
}

var variant = flag.String("variant", "", "option variant for TestModelSeeds")

func TestModelSeeds(t *testing.T) {
	if *exploreProfile == "" {
		t.Skip("exploration: -explore all")
	}
	var extra []Option
	switch *variant {
	case "w2":
		extra = append(extra, WithWindow(2*time.Second, 30*time.Second))
	case "e05":
		extra = append(extra, WithMinElasticity(0.05))
	case "s100":
		extra = append(extra, WithWindowSamples(100))
	case "s100e07":
		extra = append(extra, WithWindowSamples(100), WithMinElasticity(0.07))
	case "s100e10":
		extra = append(extra, WithWindowSamples(100), WithMinElasticity(0.10))
	case "s64":
		extra = append(extra, WithWindowSamples(64))
	case "s64e05":
		extra = append(extra, WithWindowSamples(64), WithMinElasticity(0.05))
	case "w2e05":
		extra = append(extra, WithWindow(2*time.Second, 30*time.Second), WithMinElasticity(0.05))
	}
	for _, p := range []profile{article, busy, large, serial, shed} {
		maxL := 16
		if p.name == "large" {
			maxL = 64
		}
		objs := map[string]int{"article": 3000, "busy": 2400, "large": 47000, "serial": 2000, "overload": 3000}[p.name]
		lo, sum, n := 2.0, 0.0, 0
		var ratios []float64
		for seed := uint64(1); seed <= 8; seed++ {
			m := modelRun{prof: p, objects: objs, seed: seed}
			best, _ := bestFixed(t, m, maxL, 1)
			c := mustNew(t, append([]Option{WithMaxConcurrency(maxL), WithFixedBatchSize(1), WithSeed(seed)}, extra...)...)
			r := simulate(c, m)
			q := r.goodput / best
			ratios = append(ratios, math.Round(q*1000)/10)
			lo = min(lo, q)
			sum += q
			n++
		}
		t.Logf("%-8s min %.1f%% mean %.1f%% %v", p.name, 100*lo, 100*sum/float64(n), ratios)
	}
}

var batchObjects = flag.Int("objects", 8000, "objects of TestModelExploreBatch")

var batchy = profile{name: "batchy", s1: 32800 * time.Microsecond, sigma: 0.47, kappa: 0.0065,
	tau: 0.064, nc: 10, perRequest: 0.6, batchKnee: 400, jitter: 0.2}

func TestModelExploreBatch(t *testing.T) {
	if *exploreProfile == "" {
		t.Skip("exploration")
	}
	for seed := uint64(1); seed <= 4; seed++ {
		m := modelRun{prof: batchy, objects: *batchObjects, seed: seed}
		best, bl, bb := 0.0, 0, 0
		for b := 1; b <= 128; b *= 2 {
			g, l := bestFixed(t, m, 16, b)
			if g > best {
				best, bl, bb = g, l, b
			}
		}
		c := mustNew(t, WithSeed(seed))
		r := simulate(c, m)
		t.Logf("seed %d best fixed L=%d b=%d %.1f/s; auto %.1f/s (%.1f%%) elapsed %s final L=%d b=%d",
			seed, bl, bb, best, r.goodput, 100*r.goodput/best, r.elapsed.Round(time.Second), c.Limit(), c.BatchSize())
		if *exploreProfile == "batchy" && seed == *exploreSeed {
			for _, d := range r.decisions {
				if d.Reason != ReasonHold {
					t.Log(d)
				}
			}
		}
	}
}

func TestModelExploreChange(t *testing.T) {
	if *exploreProfile == "" {
		t.Skip("exploration")
	}
	for _, pair := range [][2]profile{{article, busy}, {busy, article}} {
		for seed := uint64(1); seed <= 4; seed++ {
			m := modelRun{prof: pair[0], after: pair[1], switchAt: 30 * time.Second, objects: 1 << 30,
				maxTime: 90 * time.Second, seed: seed}
			c := mustNew(t, WithSeed(seed), WithFixedBatchSize(1))
			r := simulate(c, m)
			var trace []int
			for s := 25; s < 90; s += 1 {
				trace = append(trace, limitAt(2, r.decisions, time.Duration(s)*time.Second))
			}
			t.Logf("%s→%s seed %d limits from 25 s: %v", pair[0].name, pair[1].name, seed, trace)
			if *exploreProfile == "change" && seed == *exploreSeed {
				for _, d := range r.decisions {
					if d.Time.Sub(modelEpoch) > 20*time.Second && d.Time.Sub(modelEpoch) < 50*time.Second {
						t.Log(d)
					}
				}
			}
		}
	}
}
