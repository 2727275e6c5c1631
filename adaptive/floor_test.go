package adaptive

import (
	"testing"
	"time"
)

// At the minimum limit the backoff pause grows only with consecutive overloads: one attempt
// answered after the pause starts it over. Before, it was reset only by a whole OK window, so
// a grid failing one attempt in seven at random (resets, lost replies, 503s: no outage) kept
// the auto strategy at its 30 s cap, about a hundred times slower than the fixed strategies.
func TestFloorBackoffResetsOnSuccess(t *testing.T) {
	t.Parallel()
	d := newDriver(t, WithFixedBatchSize(1), WithMaxConcurrency(1))
	fail := func() time.Duration {
		t.Helper()
		start := later(d.now, d.c.PauseUntil())
		d.now = start.Add(5 * time.Millisecond)
		dec, ok := d.observe(Sample{Start: start, End: d.now, Objects: 1, InFlight: 1, Outcome: OutcomeOverload})
		if !ok || dec.Reason != ReasonBackoff || dec.Limit != 1 {
			t.Fatalf("overload at the floor: %v %v", ok, dec)
		}
		return dec.PauseUntil.Sub(d.now)
	}
	succeed := func(started time.Time) {
		d.now = later(d.now, d.c.PauseUntil()).Add(5 * time.Millisecond)
		d.observe(Sample{Start: started, End: d.now, Objects: 1, InFlight: 1})
	}
	// Four overloads in a row: the pause grows to 4 × the base.
	for range 4 {
		fail()
	}
	if p := fail(); p < 4*backoffBase {
		t.Fatalf("fifth consecutive overload paused %s, want at least %s", p, 4*backoffBase)
	}
	// A success of an attempt started before the last cut says nothing of the grid now.
	succeed(d.now.Add(-time.Second))
	if p := fail(); p < 8*backoffBase {
		t.Fatalf("after a success from before the cut the pause went down to %s", p)
	}
	// One attempt made after the pause succeeds: the next overload pauses from the base.
	succeed(later(d.now, d.c.PauseUntil()))
	if p := fail(); p > backoffBase {
		t.Fatalf("pause after a success %s, want at most %s", p, backoffBase)
	}
	// Failing one attempt in seven, no pause exceeds the base.
	for i := 1; i <= 70; i++ {
		if i%7 == 0 {
			if p := fail(); p > backoffBase {
				t.Fatalf("attempt %d: pause %s with successes in between", i, p)
			}
			continue
		}
		succeed(later(d.now, d.c.PauseUntil()))
	}
}
