package adaptive

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// gridFunc gives the latency and outcome of an attempt of a batch of b objects made with a
// limit of l, at elapsed time t of the drive.
type gridFunc func(l, b int, t time.Duration) (time.Duration, Outcome)

// driver feeds a controller from an ideal saturated closed loop: with a limit L and a latency
// R, one attempt completes every R/L, started R before. It is deterministic: no noise.
type driver struct {
	c        *Controller
	t0, now  time.Time
	inflight int // InFlight reported; 0 = the limit (saturated)
	ds       []Decision
}

func newDriver(t *testing.T, opts ...Option) *driver {
	t.Helper()
	c := mustNew(t, opts...)
	t0 := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	return &driver{c: c, t0: t0, now: t0}
}

func (d *driver) elapsed() time.Duration { return d.now.Sub(d.t0) }

// observe reports one sample and keeps the decision, if any.
func (d *driver) observe(s Sample) (Decision, bool) {
	dec, ok := d.c.Observe(s)
	if ok {
		d.ds = append(d.ds, dec)
	}
	return dec, ok
}

// run drives the loop for dur and returns the decisions made meanwhile.
func (d *driver) run(dur time.Duration, g gridFunc) []Decision {
	first := len(d.ds)
	end := d.now.Add(dur)
	for d.now.Before(end) {
		if p := d.c.PauseUntil(); d.now.Before(p) {
			d.now = p
			continue
		}
		l, b := d.c.Limit(), d.c.BatchSize()
		r, out := g(l, b, d.elapsed())
		d.now = d.now.Add(r / time.Duration(l))
		inflight := d.inflight
		if inflight == 0 {
			inflight = l
		}
		d.observe(Sample{Start: d.now.Add(-r), End: d.now, Objects: b, InFlight: inflight, Outcome: out})
	}
	return d.ds[first:]
}

// until drives the loop until cond holds for a decision, or max elapses; it returns that
// decision and whether it came.
func (d *driver) until(max time.Duration, g gridFunc, cond func(Decision) bool) (Decision, bool) {
	end := d.now.Add(max)
	for d.now.Before(end) {
		n := len(d.ds)
		d.run(10*time.Millisecond, g)
		for _, dec := range d.ds[n:] {
			if cond(dec) {
				return dec, true
			}
		}
	}
	return Decision{}, false
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// settled returns the setting of the last hold: the one the controller cruises at, not a
// probe under way.
func settled(t *testing.T, ds []Decision) Decision {
	t.Helper()
	for i := len(ds) - 1; i >= 0; i-- {
		if ds[i].Reason == ReasonHold {
			return ds[i]
		}
	}
	t.Fatalf("no hold in\n%s", summary(ds))
	return Decision{}
}

func reasonIs(r Reason) func(Decision) bool { return func(d Decision) bool { return d.Reason == r } }

// usl returns a grid whose latency follows the USL service time of concurrency-control.md
// §12.7 with the given parameters, times the work of a batch (per-request share p).
func usl(s1 time.Duration, sigma, kappa, tau float64, nc int, p float64) gridFunc {
	prof := profile{s1: s1, sigma: sigma, kappa: kappa, tau: tau, nc: nc, perRequest: p}
	return func(l, b int, _ time.Duration) (time.Duration, Outcome) {
		return prof.service(l, b), OutcomeOK
	}
}

// constant returns a grid where every attempt takes r: goodput grows linearly with L.
func constant(r time.Duration) gridFunc {
	return func(int, int, time.Duration) (time.Duration, Outcome) { return r, OutcomeOK }
}

var articleGrid = usl(32800*time.Microsecond, 0.47, 0.0065, 0.064, 10, 0)

func summary(ds []Decision) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(d.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// TestControllerRules checks each rule of the controller on a deterministic loop.
func TestControllerRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []Option
		test func(t *testing.T, d *driver)
	}{
		{
			name: "startup grows by doubling while goodput grows, up to the maximum",
			opts: []Option{WithMaxConcurrency(16), WithFixedBatchSize(1)},
			test: func(t *testing.T, d *driver) {
				ds := d.run(20*time.Second, constant(50*time.Millisecond))
				var got []int
				for _, dec := range ds {
					if dec.Reason == ReasonStartupGrow || dec.Reason == ReasonStartupExit {
						got = append(got, dec.Limit)
					}
				}
				if want := []int{4, 8, 16, 16}; !slices.Equal(got, want) {
					t.Fatalf("startup limits %v, want %v\n%s", got, want, summary(ds))
				}
				for _, dec := range ds {
					if dec.Limit > 16 {
						t.Fatalf("limit %d above the maximum", dec.Limit)
					}
				}
			},
		},
		{
			name: "startup exits at the best level once goodput grows less than 10 %",
			opts: []Option{WithFixedBatchSize(1)},
			test: func(t *testing.T, d *driver) {
				// Article curve: 2→4 gains 19 %, 4→8 gains 7 %: exit at 8, the best seen.
				dec, ok := d.until(30*time.Second, articleGrid, reasonIs(ReasonStartupExit))
				if !ok || dec.Limit != 8 {
					t.Fatalf("startup exit %v (limit %d), want limit 8\n%s", ok, dec.Limit, summary(d.ds))
				}
				// A grid that loses past 4 exits back at 4.
				d2 := newDriver(t, WithFixedBatchSize(1))
				cliff := func(l, b int, _ time.Duration) (time.Duration, Outcome) {
					if l <= 4 {
						return 100 * time.Millisecond, OutcomeOK
					}
					return time.Duration(l) * 50 * time.Millisecond, OutcomeOK // goodput 20/s above 4
				}
				dec, ok = d2.until(30*time.Second, cliff, reasonIs(ReasonStartupExit))
				if !ok || dec.Limit != 4 {
					t.Fatalf("startup exit %v (limit %d), want limit 4\n%s", ok, dec.Limit, summary(d2.ds))
				}
			},
		},
		{
			name: "attempts grouped under another batch size are not measurements of the current one",
			opts: []Option{WithFixedConcurrency(4)},
			test: func(t *testing.T, d *driver) {
				g := constant(50 * time.Millisecond)
				grown := func(dec Decision) bool { return dec.BatchSize > 1 }
				if _, ok := d.until(30*time.Second, g, grown); !ok {
					t.Fatalf("the batch never grew\n%s", summary(d.ds))
				}
				// A second controller in the same state (the drive is deterministic).
				d2 := newDriver(t, WithFixedConcurrency(4))
				d2.until(30*time.Second, g, grown)
				if d2.c.BatchSize() != d.c.BatchSize() || !d2.now.Equal(d.now) {
					t.Fatalf("the drives differ: batch %d and %d", d.c.BatchSize(), d2.c.BatchSize())
				}
				// 5 s of one-object attempts grouped before the change: tagged with the old
				// batch size they decide nothing; untagged they close windows of their own.
				stale := func(d *driver, formed int) int {
					n := len(d.ds)
					for range 400 {
						d.now = d.now.Add(50 * time.Millisecond / 4)
						d.observe(Sample{Start: d.now.Add(-50 * time.Millisecond), End: d.now, Objects: 1, InFlight: 4,
							Outcome: OutcomeOK, BatchSize: formed})
					}
					return len(d.ds) - n
				}
				if n := stale(d, 1); n != 0 {
					t.Fatalf("%d decisions from attempts of the old batch size\n%s", n, summary(d.ds))
				}
				if n := stale(d2, 0); n == 0 {
					t.Fatal("untagged attempts closed no window: the check above proves nothing")
				}
				// Attempts of the current size measure again.
				if ds := d.run(5*time.Second, g); len(ds) == 0 {
					t.Fatal("no decision from attempts of the current batch size")
				}
			},
		},
		{
			name: "an overload during startup does not skip the search that follows it: the batch comes first",
			opts: []Option{WithMaxConcurrency(32)},
			test: func(t *testing.T, d *driver) {
				// Latency does not grow with the batch (batching pays), and more than 6 in
				// flight is refused: startup overloads at 8.
				g := func(l, b int, _ time.Duration) (time.Duration, Outcome) {
					if l > 6 {
						return time.Millisecond, OutcomeOverload
					}
					return 40 * time.Millisecond, OutcomeOK
				}
				if _, ok := d.until(30*time.Second, g, reasonIs(ReasonOverload)); !ok {
					t.Fatalf("no overload in startup\n%s", summary(d.ds))
				}
				// After the freeze and the climb back, the first other probe is the batch's.
				dec, ok := d.until(60*time.Second, g, func(dec Decision) bool {
					return dec.Reason == ReasonBatchUp || dec.Reason == ReasonProbeDown || dec.Reason == ReasonBatchDown
				})
				if !ok || dec.Reason != ReasonBatchUp {
					t.Fatalf("first probe after the climb back: %v %v, want batch-up\n%s", ok, dec.Reason, summary(d.ds))
				}
			},
		},
		{
			name: "hold: cruise windows keep the setting between probes",
			opts: []Option{WithMaxConcurrency(8), WithFixedBatchSize(1)},
			test: func(t *testing.T, d *driver) {
				// Linear grid: startup reaches the maximum, probes down lose, probes up are
				// impossible. Most windows are holds at 8.
				ds := d.run(120*time.Second, constant(50*time.Millisecond))
				holds, streak, longest := 0, 0, 0
				for _, dec := range ds[len(ds)/2:] {
					if dec.Reason == ReasonHold && dec.Limit == 8 {
						holds++
						streak++
						longest = max(longest, streak)
					} else {
						streak = 0
					}
				}
				if holds < len(ds)/4 || longest < DefaultProbeInterval*3/4-1 {
					t.Fatalf("%d holds at 8 (longest run %d) in %d decisions\n%s", holds, longest, len(ds)/2, summary(ds))
				}
				if d.c.Limit() != 8 {
					t.Fatalf("limit %d, want 8", d.c.Limit())
				}
			},
		},
		{
			name: "application-limited windows hold: no growth, no probes",
			opts: []Option{WithFixedBatchSize(1), WithInitialConcurrency(8)},
			test: func(t *testing.T, d *driver) {
				d.inflight = 2 // the engine keeps only 2 of 8 permits busy
				ds := d.run(60*time.Second, constant(50*time.Millisecond))
				if len(ds) < 10 {
					t.Fatalf("only %d decisions", len(ds))
				}
				for _, dec := range ds {
					if dec.Reason != ReasonHold || dec.Limit != 8 {
						t.Fatalf("decision %v, want holds at 8", dec)
					}
				}
			},
		},
		{
			name: "probe: after cruising, the controller probes, and keeps what pays",
			opts: []Option{WithMaxConcurrency(32), WithFixedBatchSize(1), WithInitialConcurrency(4)},
			test: func(t *testing.T, d *driver) {
				// Goodput grows up to 24 and is flat above: probes up are accepted to 24,
				// and the search comes back down from the flat top (elasticity 0.05).
				g := func(l, b int, _ time.Duration) (time.Duration, Outcome) {
					return time.Duration(max(l, 24)) * 10 * time.Millisecond, OutcomeOK
				}
				ds := d.run(120*time.Second, g)
				var ups, downs int
				for _, dec := range ds {
					switch dec.Reason {
					case ReasonProbeUp:
						ups++
					case ReasonProbeDown:
						downs++
					}
				}
				if ups == 0 || downs == 0 {
					t.Fatalf("%d probes up, %d down\n%s", ups, downs, summary(ds))
				}
				if l := settled(t, ds).Limit; l != 24 {
					t.Fatalf("settled at %d, want 24\n%s", l, summary(ds))
				}
			},
		},
		{
			name: "throughput guard: a probe past the knee is reverted after one window",
			opts: []Option{WithFixedBatchSize(1), WithMaxConcurrency(16)},
			test: func(t *testing.T, d *driver) {
				// Goodput 10/s per request in flight up to 4, 26.7/s above: the knee is at 4.
				cliff := func(l, b int, _ time.Duration) (time.Duration, Outcome) {
					if l <= 4 {
						return 100 * time.Millisecond, OutcomeOK
					}
					return time.Duration(l) * 37500 * time.Microsecond, OutcomeOK
				}
				ds := d.run(120*time.Second, cliff)
				rejected := 0
				for i, dec := range ds {
					if dec.Reason == ReasonProbeUp && dec.Limit > 4 {
						if i+1 >= len(ds) {
							break
						}
						next := ds[i+1]
						if next.Reason != ReasonReject || next.Limit != 4 {
							t.Fatalf("probe to %d followed by %v, want a rejection back to 4\n%s", dec.Limit, next, summary(ds))
						}
						rejected++
					}
				}
				if rejected == 0 {
					t.Fatalf("no probe above the knee\n%s", summary(ds))
				}
				// Time spent above the knee after startup: probes only.
				above := time.Duration(0)
				for i := 1; i < len(ds); i++ {
					if ds[i-1].Limit > 4 && ds[i-1].Reason != ReasonStartupGrow {
						above += ds[i].Time.Sub(ds[i-1].Time)
					}
				}
				if above > 12*time.Second {
					t.Fatalf("%s above the knee in 120 s", above)
				}
			},
		},
		{
			name: "delay back-off: latency rising at an unchanged setting cuts in proportion",
			opts: []Option{WithFixedBatchSize(1), WithMaxConcurrency(8)},
			test: func(t *testing.T, d *driver) {
				slow := false
				g := func(l, b int, _ time.Duration) (time.Duration, Outcome) {
					if slow {
						return 250 * time.Millisecond, OutcomeOK
					}
					return 50 * time.Millisecond, OutcomeOK
				}
				d.run(40*time.Second, g)
				if d.c.Limit() != 8 {
					t.Fatalf("limit %d before the slowdown, want 8", d.c.Limit())
				}
				slow = true
				start := d.elapsed()
				dec, ok := d.until(10*time.Second, g, func(x Decision) bool { return x.Limit < 8 })
				if !ok || dec.Reason != ReasonDelay || dec.Limit != 4 {
					t.Fatalf("after a 5× slowdown: %v %v, want a delay cut to 4 (at most halving)\n%s", ok, dec, summary(d.ds))
				}
				if took := dec.Time.Sub(d.t0) - start; took > 3*time.Second {
					t.Fatalf("delay cut took %s", took)
				}
			},
		},
		{
			name: "overload cuts at once, once per epoch, and remembers the knee",
			opts: []Option{WithFixedBatchSize(1), WithMaxConcurrency(16)},
			test: func(t *testing.T, d *driver) {
				g := constant(50 * time.Millisecond)
				if _, ok := d.until(30*time.Second, g, func(x Decision) bool {
					return x.Reason == ReasonHold && x.Limit == 16
				}); !ok {
					t.Fatalf("no hold at 16\n%s", summary(d.ds))
				}
				start := d.now.Add(-10 * time.Millisecond)
				d.now = d.now.Add(time.Millisecond)
				dec, ok := d.observe(Sample{Start: start, End: d.now, Objects: 1, InFlight: 16, Outcome: OutcomeOverload})
				if !ok || dec.Reason != ReasonOverload || dec.Limit != 8 {
					t.Fatalf("first overload: %v %v, want a cut to 8", ok, dec)
				}
				// Attempts in flight before the cut do not cut again.
				d.now = d.now.Add(time.Millisecond)
				if dec, ok := d.observe(Sample{Start: start, End: d.now, Objects: 1, InFlight: 16, Outcome: OutcomeOverload}); ok {
					t.Fatalf("stale overload made a decision: %v", dec)
				}
				// A new one does.
				d.now = d.now.Add(time.Millisecond)
				dec, ok = d.observe(Sample{Start: d.now.Add(-time.Microsecond), End: d.now, Objects: 1, InFlight: 8, Outcome: OutcomeOverload})
				if !ok || dec.Limit != 4 {
					t.Fatalf("second overload: %v %v, want a cut to 4", ok, dec)
				}
				// Knee memory: for a minute the limit stays at or below 7 (the level that
				// overloaded, 8, minus one), although the grid would take 16.
				ds := d.run(DefaultKneeMemory-5*time.Second, g)
				for _, x := range ds {
					if x.Limit > 7 {
						t.Fatalf("limit %d within the knee memory\n%s", x.Limit, summary(ds))
					}
				}
				if l := settled(t, ds).Limit; l != 7 {
					t.Fatalf("recovered to %d within the knee memory, want 7\n%s", l, summary(ds))
				}
				// After it, the search goes past it again.
				d.run(60*time.Second, g)
				if d.c.Limit() <= 7 {
					t.Fatalf("limit %d after the knee memory expired, want above 7", d.c.Limit())
				}
			},
		},
		{
			name: "Retry-After pauses admissions, capped; measurements restart after it",
			opts: []Option{WithFixedBatchSize(1), WithMaxPause(time.Minute)},
			test: func(t *testing.T, d *driver) {
				g := constant(50 * time.Millisecond)
				d.run(10*time.Second, g)
				end := d.now.Add(time.Millisecond)
				dec, ok := d.observe(Sample{Start: d.now, End: end, Objects: 1, InFlight: 2,
					Outcome: OutcomeOverload, RetryAfter: 5 * time.Second})
				if !ok || !dec.PauseUntil.Equal(end.Add(5*time.Second)) {
					t.Fatalf("Retry-After 5 s: %v pause until %s, want %s", ok, dec.PauseUntil, end.Add(5*time.Second))
				}
				if !d.c.PauseUntil().Equal(dec.PauseUntil) {
					t.Fatalf("PauseUntil %s, decision %s", d.c.PauseUntil(), dec.PauseUntil)
				}
				// A stale 429 (started before the cut) still extends the pause, capped.
				dec, ok = d.observe(Sample{Start: d.now, End: end, Objects: 1, InFlight: 2,
					Outcome: OutcomeOverload, RetryAfter: time.Hour})
				if !ok || dec.Reason != ReasonRetryAfter || !dec.PauseUntil.Equal(end.Add(time.Minute)) {
					t.Fatalf("Retry-After 1 h: %v %v, want a pause capped at 1 minute", ok, dec)
				}
				// A shorter one does not shorten it.
				if dec, ok := d.observe(Sample{Start: d.now, End: end, Objects: 1, Outcome: OutcomeOverload,
					RetryAfter: time.Second}); ok && dec.PauseUntil.Before(end.Add(time.Minute)) {
					t.Fatalf("pause shortened to %s", dec.PauseUntil)
				}
				// Attempts started during the pause are not measurements.
				d.now = end
				n := len(d.ds)
				for i := 0; i < 200; i++ {
					d.now = d.now.Add(10 * time.Millisecond)
					d.observe(Sample{Start: d.now.Add(-50 * time.Millisecond), End: d.now, Objects: 1, InFlight: 1})
				}
				if len(d.ds) != n {
					t.Fatalf("decisions from attempts inside the pause: %v", d.ds[n:])
				}
			},
		},
		{
			name: "Retry-After pauses a fixed setting too, which never moves",
			opts: []Option{WithFixedConcurrency(5), WithFixedBatchSize(7)},
			test: func(t *testing.T, d *driver) {
				g := constant(50 * time.Millisecond)
				d.run(10*time.Second, g)
				end := d.now.Add(time.Millisecond)
				dec, ok := d.observe(Sample{Start: d.now, End: end, Objects: 7, InFlight: 5,
					Outcome: OutcomeOverload, RetryAfter: 3 * time.Second})
				if !ok || dec.Limit != 5 || dec.BatchSize != 7 || !dec.PauseUntil.Equal(end.Add(3*time.Second)) {
					t.Fatalf("fixed mode overload with Retry-After: %v %v", ok, dec)
				}
				ds := d.run(60*time.Second, g)
				for _, x := range ds {
					if x.Limit != 5 || x.BatchSize != 7 || x.Reason != ReasonHold {
						t.Fatalf("fixed mode decision %v", x)
					}
				}
				if len(ds) < 10 {
					t.Fatalf("fixed mode still reports windows: got %d decisions", len(ds))
				}
			},
		},
		{
			name: "at the minimum limit, overloads pause admissions with growing backoff",
			opts: []Option{WithFixedBatchSize(1), WithMaxConcurrency(1)},
			test: func(t *testing.T, d *driver) {
				var pauses []time.Duration
				for i := 0; i < 8; i++ {
					start := later(d.now, d.c.PauseUntil())
					d.now = start.Add(5 * time.Millisecond)
					dec, ok := d.observe(Sample{Start: start, End: d.now, Objects: 1, InFlight: 1, Outcome: OutcomeOverload})
					if !ok || dec.Reason != ReasonBackoff || dec.Limit != 1 {
						t.Fatalf("overload %d at the floor: %v %v", i, ok, dec)
					}
					pauses = append(pauses, dec.PauseUntil.Sub(d.now))
				}
				for i, p := range pauses {
					lo := min(backoffCap, backoffBase<<i) / 2
					hi := min(backoffCap, backoffBase<<i)
					if p < lo || p > hi {
						t.Fatalf("pause %d = %s, want within [%s, %s]: %v", i, p, lo, hi, pauses)
					}
				}
				// An OK window resets the backoff.
				d.run(time.Minute, constant(50*time.Millisecond))
				start := later(d.now, d.c.PauseUntil())
				d.now = start.Add(5 * time.Millisecond)
				dec, _ := d.observe(Sample{Start: start, End: d.now, Objects: 1, InFlight: 1, Outcome: OutcomeOverload})
				if p := dec.PauseUntil.Sub(d.now); p > backoffBase {
					t.Fatalf("pause after recovery %s, want at most %s", p, backoffBase)
				}
			},
		},
		{
			name: "relief: a faster grid is probed upwards",
			opts: []Option{WithFixedBatchSize(1), WithMaxConcurrency(16)},
			test: func(t *testing.T, d *driver) {
				fast := false
				g := func(l, b int, _ time.Duration) (time.Duration, Outcome) {
					switch {
					case fast:
						return 25 * time.Millisecond, OutcomeOK
					case l <= 4:
						return 50 * time.Millisecond, OutcomeOK
					}
					return time.Duration(l) * 25 * time.Millisecond, OutcomeOK // 40/s above 4
				}
				d.run(60*time.Second, g)
				if l := d.c.Limit(); l != 4 {
					t.Fatalf("limit %d on a knee at 4\n%s", l, summary(d.ds))
				}
				// Another load stops: every call takes half as long; the search goes up.
				fast = true
				if _, ok := d.until(10*time.Second, g, reasonIs(ReasonRelief)); !ok {
					t.Fatalf("no relief\n%s", summary(d.ds))
				}
				if _, ok := d.until(30*time.Second, g, func(x Decision) bool { return x.Limit == 16 }); !ok {
					t.Fatalf("limit did not reach 16 after the grid got faster\n%s", summary(d.ds))
				}
			},
		},
		{
			name: "degraded: goodput falling at an unchanged setting starts a search downwards",
			opts: []Option{WithFixedBatchSize(1), WithMaxConcurrency(16)},
			test: func(t *testing.T, d *driver) {
				slow := 1.0
				g := func(l, b int, _ time.Duration) (time.Duration, Outcome) {
					return time.Duration(float64(100+5*l) * slow * float64(time.Millisecond)), OutcomeOK
				}
				d.run(60*time.Second, g)
				if l := d.c.Limit(); l != 16 {
					t.Fatalf("limit %d on a near-linear grid, want 16\n%s", l, summary(d.ds))
				}
				// Every call takes 30 % longer: below the delay tolerance, but goodput at 16
				// falls by 23 %. The second window that shows it starts a probe down.
				slow = 1.3
				dec, ok := d.until(10*time.Second, g, reasonIs(ReasonDegraded))
				if !ok || dec.Limit >= 16 {
					t.Fatalf("%v %v, want a search down\n%s", ok, dec, summary(d.ds))
				}
				// Here the knee did not move: the probe is rejected and the limit comes back.
				d.run(10*time.Second, g)
				if l := d.c.Limit(); l != 16 {
					t.Fatalf("limit %d after a uniform slowdown, want 16\n%s", l, summary(d.ds))
				}
				// A second load that makes every request past 4 cost more than it gives: the
				// delay rule cuts and the search follows the knee down to 4.
				busy := func(l, b int, _ time.Duration) (time.Duration, Outcome) {
					r := float64(100+5*l) * float64(time.Millisecond)
					if l > 4 {
						r *= math.Pow(float64(l)/4, 1.5)
					}
					return time.Duration(r), OutcomeOK
				}
				start := d.elapsed()
				dec, ok = d.until(30*time.Second, busy, func(x Decision) bool { return x.Limit <= 4 })
				if !ok {
					t.Fatalf("limit did not come down to the new knee\n%s", summary(d.ds))
				}
				if took := dec.Time.Sub(d.t0) - start; took > 10*time.Second {
					t.Fatalf("following the knee down took %s\n%s", took, summary(d.ds))
				}
				d.run(30*time.Second, busy)
				if l := d.c.Limit(); l != 4 {
					t.Fatalf("limit %d, want the new knee 4\n%s", l, summary(d.ds))
				}
			},
		},
		{
			name: "batch grows while the cost per object falls by more than 2 % per doubling",
			opts: []Option{WithFixedConcurrency(4)},
			test: func(t *testing.T, d *driver) {
				// Half of a one-object call is per request: doubling from 16 to 32 gains 3 %,
				// from 32 to 64 1.5 %. The batch settles at 32.
				g := usl(20*time.Millisecond, 0, 0, 0, 0, 0.5)
				ds := d.run(300*time.Second, g)
				var sizes []int
				for _, x := range ds {
					if x.Reason == ReasonBatchUp {
						sizes = append(sizes, x.BatchSize)
					}
				}
				if len(sizes) < 6 || !slices.Equal(sizes[:6], []int{2, 4, 8, 16, 32, 64}) {
					t.Fatalf("batch probes %v, want doubling from 2 to 64\n%s", sizes, summary(ds))
				}
				if b := settled(t, ds).BatchSize; b != 32 {
					t.Fatalf("batch settled at %d, want 32\n%s", b, summary(ds))
				}
				if d.c.Limit() != 4 {
					t.Fatalf("fixed limit moved to %d", d.c.Limit())
				}
			},
		},
		{
			name: "batch stays within the latency budget and shrinks when calls get slow",
			opts: []Option{WithFixedConcurrency(4), WithClientTimeout(4 * time.Second)},
			test: func(t *testing.T, d *driver) {
				// 50 ms per call and 25 ms per object: each doubling up to 64 gains more than
				// 2 %, but the budget (25 % of 4 s) stops growth at 32 (0.85 s; a probe to 64
				// would take 1.7 s).
				per := 100 * time.Millisecond
				g := func(l, b int, _ time.Duration) (time.Duration, Outcome) {
					return per/2 + per*time.Duration(b)/4, OutcomeOK
				}
				if b := settled(t, d.run(300*time.Second, g)).BatchSize; b != 32 {
					t.Fatalf("batch %d, want 32 (the largest under a 1 s budget)\n%s", b, summary(d.ds))
				}
				for _, x := range d.ds {
					if x.Window.LatencyP90 > time.Second {
						t.Fatalf("window p90 %s over the budget: %v", x.Window.LatencyP90, x)
					}
				}
				// The grid slows down 4×: calls take 3.4 s; the batch is cut in proportion.
				per = 400 * time.Millisecond
				dec, ok := d.until(10*time.Second, g, reasonIs(ReasonLatencyBudget))
				if !ok || dec.BatchSize > 8 {
					t.Fatalf("after a slowdown: %v %v, want the batch cut to 8 or less\n%s", ok, dec, summary(d.ds))
				}
			},
		},
		{
			name: "batch halves when a quarter of batches fail",
			opts: []Option{WithFixedConcurrency(4), WithInitialBatchSize(64)},
			test: func(t *testing.T, d *driver) {
				i := 0
				g := func(l, b int, _ time.Duration) (time.Duration, Outcome) {
					i++
					if i%3 == 0 { // a third of the calls fail on a conflict
						return 10 * time.Millisecond, OutcomeIgnore
					}
					return 200 * time.Millisecond, OutcomeOK
				}
				dec, ok := d.until(30*time.Second, g, reasonIs(ReasonBatchFailures))
				if !ok || dec.BatchSize != 32 {
					t.Fatalf("%v %v, want the batch halved to 32", ok, dec)
				}
				d.run(60*time.Second, g)
				if b := d.c.BatchSize(); b > 2 {
					t.Fatalf("batch %d while a third of the batches fail, want it down to 1 or 2", b)
				}
			},
		},
		{
			name: "a batch refused as too large caps the batch, and probes bisect below it",
			opts: []Option{WithFixedConcurrency(4)},
			test: func(t *testing.T, d *driver) {
				// Nothing per object: bigger is always better, until the grid refuses > 100.
				g := func(l, b int, _ time.Duration) (time.Duration, Outcome) {
					if b > 100 {
						return 5 * time.Millisecond, OutcomeTooLarge
					}
					return 100 * time.Millisecond, OutcomeOK
				}
				ds := d.run(600*time.Second, g)
				// Every refusal lowers the cap: the sizes tried above 100 strictly decrease.
				var refused []int
				for _, x := range ds {
					if x.Reason == ReasonBatchUp && x.BatchSize > 100 {
						refused = append(refused, x.BatchSize)
					}
				}
				if len(refused) == 0 || len(refused) > 8 || !slices.IsSortedFunc(refused, func(a, b int) int { return b - a }) {
					t.Fatalf("sizes tried above the grid's maximum: %v\n%s", refused, summary(ds))
				}
				for i := 1; i < len(refused); i++ {
					if refused[i] == refused[i-1] {
						t.Fatalf("size %d tried twice: %v", refused[i], refused)
					}
				}
				if b := settled(t, ds).BatchSize; b < 90 || b > 100 {
					t.Fatalf("batch %d, want just under the grid's 100\n%s", b, summary(ds))
				}
				// A known maximum caps it at once.
				dec, ok := d.c.ObserveMaxBatch(50, d.now)
				if !ok || dec.BatchSize != 50 || dec.Reason != ReasonMaxBatch || d.c.BatchSize() != 50 {
					t.Fatalf("ObserveMaxBatch(50): %v %v", ok, dec)
				}
				if _, ok := d.c.ObserveMaxBatch(80, d.now); ok {
					t.Fatal("a larger maximum changed the batch")
				}
				for _, x := range d.run(300*time.Second, g) {
					if x.BatchSize > 50 {
						t.Fatalf("batch %d above the reported maximum", x.BatchSize)
					}
				}
				if d.c.BatchSize() > 50 {
					t.Fatalf("batch %d above the reported maximum 50", d.c.BatchSize())
				}
			},
		},
		{
			name: "a fixed batch is capped by the grid's maximum",
			opts: []Option{WithFixedBatchSize(500), WithFixedConcurrency(2)},
			test: func(t *testing.T, d *driver) {
				dec, ok := d.observe(Sample{Start: d.now, End: d.now.Add(time.Millisecond), Objects: 500,
					InFlight: 1, Outcome: OutcomeTooLarge})
				if !ok || dec.BatchSize != 250 {
					t.Fatalf("too large at 500: %v %v, want 250", ok, dec)
				}
				if dec, ok := d.c.ObserveMaxBatch(100, d.now); !ok || dec.BatchSize != 100 {
					t.Fatalf("ObserveMaxBatch(100): %v %v", ok, dec)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.test(t, newDriver(t, tt.opts...))
		})
	}
}

// TestControllerBounds feeds random attempts and checks the limits that must always hold.
func TestControllerBounds(t *testing.T) {
	t.Parallel()
	for seed := uint64(1); seed <= 4; seed++ {
		rng := rand.New(rand.NewPCG(seed, 99))
		c := mustNew(t, WithMaxConcurrency(12), WithMaxBatchSize(64), WithSeed(seed))
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		maxBatch := 64
		for i := 0; i < 50000; i++ {
			lat := time.Duration(rng.ExpFloat64() * float64(100*time.Millisecond))
			now = now.Add(time.Duration(rng.IntN(30)) * time.Millisecond)
			s := Sample{Start: now.Add(-lat), End: now, Objects: c.BatchSize(), InFlight: rng.IntN(c.Limit()) + 1}
			switch r := rng.IntN(100); {
			case r < 2:
				s.Outcome = OutcomeOverload
				if rng.IntN(2) == 0 {
					s.RetryAfter = time.Duration(rng.IntN(3000)) * time.Millisecond
				}
			case r < 8:
				s.Outcome = OutcomeIgnore
			case r < 9:
				s.Outcome = OutcomeTooLarge
			}
			if s.Outcome == OutcomeTooLarge && s.Objects > 1 {
				maxBatch = min(maxBatch, s.Objects-1)
			}
			d, ok := c.Observe(s)
			if !ok {
				continue
			}
			if d.Limit < 1 || d.Limit > 12 || d.BatchSize < 1 || d.BatchSize > maxBatch {
				t.Fatalf("seed %d sample %d: decision out of bounds: %v (batch cap %d)", seed, i, d, maxBatch)
			}
			if d.PauseUntil.After(now.Add(DefaultMaxPause)) {
				t.Fatalf("pause %s beyond the maximum", d.PauseUntil.Sub(now))
			}
			if math.IsNaN(d.Window.Estimate) || math.IsInf(d.Window.Estimate, 0) {
				t.Fatalf("estimate %v", d.Window.Estimate)
			}
		}
	}
}

func TestOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []Option
		ok   bool
	}{
		{"defaults", nil, true},
		{"max concurrency 0", []Option{WithMaxConcurrency(0)}, false},
		{"max concurrency 64", []Option{WithMaxConcurrency(64)}, true},
		{"initial above max", []Option{WithMaxConcurrency(4), WithInitialConcurrency(8)}, false},
		{"default initial lowered to max 1", []Option{WithMaxConcurrency(1)}, true},
		{"fixed above max", []Option{WithFixedConcurrency(17)}, false},
		{"fixed batch above max batch", []Option{WithMaxBatchSize(10), WithFixedBatchSize(11)}, false},
		{"initial batch above max batch", []Option{WithMaxBatchSize(10), WithInitialBatchSize(11)}, false},
		{"batch 0", []Option{WithFixedBatchSize(0)}, false},
		{"timeout 0", []Option{WithClientTimeout(0)}, false},
		{"budget 0", []Option{WithLatencyBudget(0)}, false},
		{"budget NaN", []Option{WithLatencyBudget(math.NaN())}, false},
		{"elasticity 1.5", []Option{WithMinElasticity(1.5)}, false},
		{"elasticity 0", []Option{WithMinElasticity(0), WithBatchElasticity(0)}, true},
		{"backoff 1", []Option{WithBackoff(1)}, false},
		{"delay tolerance 1", []Option{WithDelayTolerance(1)}, false},
		{"probe interval 1", []Option{WithProbeInterval(1)}, false},
		{"knee memory 0", []Option{WithKneeMemory(0)}, false},
		{"window inverted", []Option{WithWindow(2*time.Second, time.Second)}, false},
		{"window samples 0", []Option{WithWindowSamples(0)}, false},
		{"max pause negative", []Option{WithMaxPause(-time.Second)}, false},
		{"nil option", []Option{nil}, false},
		{"everything", []Option{WithMaxConcurrency(32), WithInitialConcurrency(1), WithInitialBatchSize(4),
			WithMaxBatchSize(500), WithClientTimeout(time.Minute), WithLatencyBudget(0.3), WithMinElasticity(0.1),
			WithBatchElasticity(0.05), WithBackoff(0.7), WithDelayTolerance(2), WithProbeInterval(10),
			WithKneeMemory(time.Minute), WithWindow(time.Second, 10*time.Second), WithWindowSamples(50),
			WithMaxPause(time.Minute), WithSeed(3)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.opts...)
			if (err == nil) != tt.ok {
				t.Fatalf("New: %v, want ok=%v", err, tt.ok)
			}
			if err != nil {
				if !strings.HasPrefix(err.Error(), "adaptive: ") {
					t.Fatalf("error %q does not say where", err)
				}
				return
			}
			if c.Limit() < 1 || c.BatchSize() < 1 {
				t.Fatalf("limit %d batch %d", c.Limit(), c.BatchSize())
			}
		})
	}
	c := mustNew(t)
	if c.Limit() != DefaultInitialConcurrency || c.BatchSize() != DefaultInitialBatchSize {
		t.Fatalf("defaults: limit %d batch %d", c.Limit(), c.BatchSize())
	}
}

func TestOutcomeAndReasonStrings(t *testing.T) {
	t.Parallel()
	for o, want := range map[Outcome]string{OutcomeOK: "ok", OutcomeIgnore: "ignore",
		OutcomeOverload: "overload", OutcomeTooLarge: "too-large", Outcome(9): "Outcome(9)"} {
		if got := o.String(); got != want {
			t.Errorf("%d: %q, want %q", o, got, want)
		}
	}
	d := Decision{Time: time.Date(2026, 1, 1, 1, 2, 3, 0, time.UTC), Limit: 3, BatchSize: 4,
		Reason: ReasonOverload, PauseUntil: time.Date(2026, 1, 1, 1, 2, 5, 0, time.UTC)}
	if s := d.String(); !strings.Contains(s, "limit=3 batch=4 reason=overload") || !strings.Contains(s, "pause=2s") {
		t.Errorf("Decision.String() = %q", s)
	}
}

func BenchmarkControllerObserve(b *testing.B) {
	c := mustNew(b)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(5 * time.Millisecond)
		c.Observe(Sample{Start: now.Add(-40 * time.Millisecond), End: now, Objects: 1, InFlight: 8})
	}
}
