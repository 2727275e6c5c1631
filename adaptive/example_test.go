package adaptive_test

import (
	"context"
	"fmt"
	"time"

	"github.com/turbowapi/turbowapi/adaptive"
)

// The controller in a loop, with time supplied by the samples. The pretend grid answers every
// call in 40 ms up to 8 in flight; beyond that each extra call slows all the others, so
// goodput stops growing at 8 (200 objects per second).
func ExampleController() {
	ctrl, err := adaptive.New(adaptive.WithMaxConcurrency(16), adaptive.WithFixedBatchSize(1))
	if err != nil {
		fmt.Println(err)
		return
	}
	latency := func(inFlight int) time.Duration {
		if inFlight <= 8 {
			return 40 * time.Millisecond
		}
		return time.Duration(inFlight) * 5 * time.Millisecond
	}
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for i := 0; i < 5000; i++ {
		limit := ctrl.Limit()
		lat := latency(limit)
		now = now.Add(lat / time.Duration(limit)) // a saturated closed loop
		d, ok := ctrl.Observe(adaptive.Sample{
			Start: now.Add(-lat), End: now, Objects: 1, InFlight: limit, Outcome: adaptive.OutcomeOK,
		})
		if ok && d.Reason != adaptive.ReasonHold && d.Reason != adaptive.ReasonProbeExtend {
			fmt.Printf("%-14s limit %2d  (window: %.0f objects/s)\n", d.Reason, d.Limit, d.Window.Estimate)
		}
	}
	// Output:
	// startup-grow   limit  4  (window: 50 objects/s)
	// startup-grow   limit  8  (window: 100 objects/s)
	// startup-grow   limit 16  (window: 200 objects/s)
	// startup-exit   limit  8  (window: 200 objects/s)
	// probe-down     limit  6  (window: 200 objects/s)
	// probe-rejected limit  8  (window: 150 objects/s)
	// probe-up       limit 10  (window: 200 objects/s)
	// probe-rejected limit  8  (window: 200 objects/s)
	// probe-down     limit  6  (window: 200 objects/s)
	// probe-rejected limit  8  (window: 150 objects/s)
	// probe-up       limit 10  (window: 200 objects/s)
	// probe-rejected limit  8  (window: 200 objects/s)
}

// The limiter enforces decisions: shrinking lets requests in flight finish, and admits no
// one until fewer than the new limit are in use.
func ExampleLimiter() {
	lim, err := adaptive.NewLimiter(2)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	a, _ := lim.Acquire(ctx)
	b, _ := lim.Acquire(ctx)
	fmt.Println("in flight:", a.InFlight(), b.InFlight())

	lim.Apply(adaptive.Decision{Limit: 1})
	_, ok := lim.TryAcquire()
	fmt.Println("admitted over the new limit:", ok)

	a.Release()
	_, ok = lim.TryAcquire()
	fmt.Println("admitted with one still in flight:", ok)

	b.Release()
	p, ok := lim.TryAcquire()
	fmt.Println("admitted once all finished:", ok, p.InFlight())
	p.Release()
	// Output:
	// in flight: 1 2
	// admitted over the new limit: false
	// admitted with one still in flight: false
	// admitted once all finished: true 1
}

// Fixed mode (--concurrency 8 --batch-size 100): an overload does not move the setting, but
// Retry-After still pauses admissions.
func ExampleWithFixedConcurrency() {
	ctrl, err := adaptive.New(adaptive.WithFixedConcurrency(8), adaptive.WithFixedBatchSize(100))
	if err != nil {
		fmt.Println(err)
		return
	}
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	d, _ := ctrl.Observe(adaptive.Sample{
		Start: start, End: start.Add(time.Second), Objects: 100, InFlight: 8,
		Outcome: adaptive.OutcomeOverload, RetryAfter: 5 * time.Second,
	})
	fmt.Println(d.Limit, d.BatchSize, d.Reason, "pause", d.PauseUntil.Sub(d.Time))
	// Output: 8 100 overload pause 5s
}

// When the grid says how large a batch may be, the batch never exceeds it again.
func ExampleController_ObserveMaxBatch() {
	ctrl, err := adaptive.New(adaptive.WithInitialBatchSize(500))
	if err != nil {
		fmt.Println(err)
		return
	}
	d, ok := ctrl.ObserveMaxBatch(200, time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))
	fmt.Println(ok, d.BatchSize, d.Reason)
	// Output: true 200 max-batch
}
