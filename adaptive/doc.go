// Package adaptive decides how many WAPI requests turbowapi keeps in flight and how many
// objects it puts in each `request` call, and enforces the first with a resizable limiter.
//
// It has two parts, kept apart:
//
//   - [Controller] is pure logic. It reads no clock and does no I/O: time comes from the
//     samples it is given ([Sample.Start], [Sample.End]) and from now arguments, as in
//     golang.org/x/time/rate. It returns a [Decision] whenever its setting may change.
//   - [Limiter] is a resizable FIFO semaphore with a pause ([Limiter.PauseUntil]) for
//     Retry-After. [Limiter.Apply] enforces a decision.
//
// The engine's loop is:
//
//	ctrl, _ := adaptive.New(adaptive.WithMaxConcurrency(16))
//	lim, _ := adaptive.NewLimiter(ctrl.Limit())
//	for each call:
//		batch := next ctrl.BatchSize() objects
//		p, err := lim.Acquire(ctx)
//		start := time.Now()
//		... one attempt (one HTTP exchange; retries are further attempts) ...
//		d, ok := ctrl.Observe(adaptive.Sample{Start: start, End: time.Now(),
//			Objects: len(batch), InFlight: p.InFlight(), Outcome: class, RetryAfter: ra})
//		if ok {
//			lim.Apply(d)
//		}
//		p.Release()
//		if ok {
//			journal(d)
//		}
//
// Every attempt is reported, retried or not (a 503 that a retry later turns into a success
// is still back-pressure), and a retry takes a fresh permit, never sleeping while it holds one.
// The permit is released after the decision is applied: released first, it would admit a
// waiting attempt under the old limit, whose overload would then cut a second time for the
// same congestion.
// Outcomes: [OutcomeOK]; [OutcomeIgnore] for conflicts, validation errors, 404 and 401 (no
// latency measurement: fast failures would drag it down); [OutcomeOverload] for 429, 502,
// 503, 504, client timeouts, refused or reset connections and "database is locked";
// [OutcomeTooLarge] for a batch refused because of its size.
//
// # Why this algorithm
//
// The founding article's grid (../shared/reference/seed-series.md §5) gains 1.73× from 1 to
// 8 requests in flight and then falls off a cliff: 32 in flight is 1.65× slower than one at a
// time. Past the knee, the grid's failure is retrograde goodput, not merely latency. So the
// controller climbs on goodput itself (objects per second), as BBR and failsafe-go do, rather
// than on a latency target:
//
//   - A Vegas-style queue estimate q = L·(1 − R_base/R) equals L − C(L) (C the speed-up
//     over one request in flight). On a grid with heavy contention (σ ≈ 0.47 on the article's
//     grid) q passes any fixed threshold long before goodput stops growing: with the
//     reference's α = 3 and β = 6 it holds a large appliance at 13 to 17 while goodput keeps
//     rising to about 44 (about 70 % of the best, computed on the test model's large
//     profile). Latency therefore only serves as a fast alarm here (the delay rule).
//   - A fitted USL curve cannot describe the cliff (concurrency-control.md §11); the
//     controller measures instead of fitting.
//
// The controller maximises a utility U = ln(goodput) − e·ln(L) − e_b·ln(batch) by hill
// climbing: a change is kept when it raises U. Put differently, a limit L′ > L is worth it
// when goodput grows at least as fast as (L′/L)^e: ten per cent more requests in flight must
// buy half a per cent more objects per second ([DefaultMinElasticity] e = 0.05). With e = 0
// it would climb to the top of the curve, where goodput is flat and small errors push it over
// the cliff; with e = 0.5 it maximises Kleinrock's power (goodput over latency) and stays
// well below the top. On the article's curve e = 0.05 settles between 5 and 8, at 97 to 98 %
// of the best fixed limit over a one-minute run, and well before the cliff at 11. Between two
// settings of equal goodput the smaller wins, so a grid that serialises writes is driven at
// 1 to 4 requests, not 16.
//
// # Measurement
//
// Windows. Only attempts that started after the last change of setting (the epoch, as in
// Envoy's gradient controller) are measurements, and of those only the ones grouped under the
// current batch size when the engine says so ([Sample.BatchSize]): an engine that groups
// objects ahead of sending them keeps sending groups of the old size for a while after a
// change, and counting them would judge a batch probe on the old size and widen the spread of
// latencies that sizes the next window. The first measurement opens the window. A
// window closes at the first completion at least max([DefaultMinWindow], 2 latencies)
// after it opened, once it holds enough OK attempts: (CV/0.02)², CV the spread of the
// latencies in the last window that did not straddle a change, at least 16 and at least L,
// at most [DefaultWindowSamples] (100, enough for 2 % at a spread of 20 %).
// [DefaultMaxWindow] (30 s) ends it in any case; a window with fewer than 8 OK attempts
// decides nothing.
//
// Goodput estimate. Decisions use Little's law: objects of OK attempts × mean in-flight /
// busy time (the sum of the latencies of OK and ignored attempts). A count of completions
// over the window is reported too ([Window.Throughput]), but after a change requests
// admitted together complete together for a while, which biases a count over a short window
// by 20–30 %. Little's estimate measures each attempt on its own and is not biased by it.
//
// Noise. The controller keeps the variance of ln(goodput) between windows at one setting
// (EWMA, weight 0.2; 5 % at first, never taken below 1 %). A probe lasts one window, or up to
// three while its result is within one standard deviation of its threshold. A window whose answer is
// already clear ends early (after two latencies and at least max(16, 2L) attempts): a probe
// or a cruise window below 0.8 or above 1.25 times its reference, a startup step below 0.8
// times the growth it needs (startup never ends early on a win, since stopping on a win
// overstates it). A probe accepted narrowly (within two standard deviations) or early is
// followed by one window of its own before the next step in the same direction, because the
// window that accepted it probably overstates it (the winner's curse).
//
// # Rules
//
// Startup. L starts at [DefaultInitialConcurrency] (2) and doubles each window while goodput
// grows by at least 10 % (BBR's 25 % and the reference's 15 % proved too close to the real
// growth on the article's curve, 19 % from 2 to 4, to survive measurement noise). Then L goes
// to the level with the best goodput and a search starts. Overshooting costs one window; the
// early stop makes it short.
//
// Search and probes. A search is a queue of probes: the batch up then down (right after
// startup, since batching usually gains far more than tuning L), then L down then up (down
// first: a lower L that costs nothing is preferred). A probe moves L by max(1, ⌊L/4⌋), or
// doubles or halves the batch. An accepted probe is followed at once by another in the same
// direction (a ramp); a rejected one restores the previous setting, and the next probe of the
// queue follows after one window there. An accepted move in the batch starts a new search of
// L, since the best L may move with it. After a search has moved L down, one probe up
// follows, because a reference taken before the grid became faster makes a down-probe look
// better than it is. Once settled, the controller cruises [DefaultProbeInterval] windows
// (6, jittered ±25 % with [WithSeed]) between probes, in the rotation L down, L up, batch up,
// L down, L up, batch down: the batch is tuned on a slower loop than L. A slot whose probe is
// impossible (at a bound or under the knee memory) passes, so the others do not come more
// often; pinned dimensions are left out. A probe is the throughput guard of the reference
// design: whatever it does to goodput, the setting comes back unless U rose. The limit is never above the maximum ([WithMaxConcurrency], default
// [DefaultMaxConcurrency]), nor the batch above [WithMaxBatchSize].
//
// Hold. Between probes, and whenever the limit is not used (mean in-flight below L/2: the
// engine, not the grid, is the bottleneck), the setting holds and no reference is taken.
//
// Overload. Any overload from an attempt that started after the last cut cuts L at once
// (attempts already in flight under the old limit do not cut again). During a probe up, the
// limit goes back to the level the probe started from, which had just cruised without
// overload: the probe found the knee. Otherwise L is multiplied by [DefaultBackoff] (0.5):
// this grid falls off a cliff, and the requests it sheds should drain fast (Netflix's and
// Vector's 0.9 would leave it past the cliff for several windows). The knee memory then keeps
// L at or below the highest level known to be free of overload (the probe's base, or the
// level that overloaded minus one) for [DefaultKneeMemory] (1 minute), doubled, up to 16
// times, each time a probe after it expires finds the same knee again (a knee below 2 is an
// outage, not a knee, and is not remembered). This is the only knee
// the controller remembers: before any overload nothing caps the search but the maximum (the
// reference's L_knee, read as "the best level seen", would have blocked the climb after
// startup; see §13 of concurrency-control.md). Probes pause for two windows, then the limit
// climbs back up to the ceiling; an overload that came before the search that follows
// startup had begun (startup overshooting the knee, typically) leaves that search to follow
// the climb, so the batch is still tried first. At L = 1, where nothing is left to cut, each further overload
// pauses admissions for 0.5 s, doubling up to 30 s, jittered: a failing grid gets fewer
// requests, not a fast stream of single ones. A slow overload (an attempt that took longer
// than the latency budget, typically a timeout) also halves the batch.
//
// Retry-After. Admissions pause until End + Retry-After (at most [DefaultMaxPause], 2
// minutes), in fixed mode too; measurements restart after the pause.
//
// Delay. A cruise window whose median latency exceeds [DefaultDelayTolerance] (1.5) times the
// lowest median seen at the same setting cuts L in proportion (to L·R_ref/R, but at most by
// half and at least by one) and starts a search downwards: latency is the fast alarm of a
// grid that got slower or busier.
//
// Shift. A cruise window whose goodput differs from the reference by more than
// max(10 %, 3 standard deviations), or whose latency fell below the reference by the delay
// tolerance, is a sign that the grid changed (another load started or stopped). The first such
// window only raises suspicion (it may straddle the change, and the delay rule needs the old
// reference); a second one in the same direction resets the reference and probes towards the
// change at once ("relief": up, clearing the knee memory; "degraded": down).
//
// # Batch size
//
// The batch grows by doubling while each doubling buys at least about 2 % more goodput
// ([DefaultBatchElasticity] e_b = 0.03): the cost per object must keep falling. Safety comes
// first: when the 90th percentile of call latency exceeds [DefaultLatencyBudget] (25 %) of
// the client timeout ([DefaultClientTimeout], 60 s), the batch is cut in proportion (at least
// halved), or at a batch of one the limit is halved; a probe up is not tried when the latency
// would grow past the budget. When a quarter or more of the multi-object calls of a window
// fail (conflicts, validation; at least four such calls), the batch halves, since each failed
// batch is retried smaller. [OutcomeTooLarge] halves the batch and caps it below the refused
// size, and later probes bisect towards that size; [Controller.ObserveMaxBatch] caps it at a
// known maximum. The grid's maximum caps a fixed batch too, since a larger one cannot
// succeed. Every change of batch size starts a new epoch and a new reference, because latency
// scales with the batch.
//
// # Fixed mode
//
// [WithFixedConcurrency] (--concurrency N) and [WithFixedBatchSize] (--batch-size M) pin
// either or both. Pinned values never move: overloads do not cut a pinned limit. Retry-After
// still pauses admissions and the grid's maximum still caps the batch. Windows are still
// measured and reported.
//
// # Visibility
//
// Every closed window yields a [Decision] (time, limit, batch size, pause, [Reason], and the
// window's goodput, estimate, latency and in-flight), and so does every signal that changes
// the setting. [Controller.Observe] returns it; the engine journals it and the benchmark
// draws Limit and BatchSize over Time. There is one decision per window (about one per
// second or a few seconds) plus one per signal; they cost nothing to produce.
//
// # Defaults
//
// Every option's default is an exported constant: [DefaultMaxConcurrency],
// [DefaultInitialConcurrency], [DefaultInitialBatchSize], [DefaultMaxBatchSize] (1,000, what
// established clients send; WAPI documents no maximum), [DefaultClientTimeout],
// [DefaultLatencyBudget], [DefaultMinElasticity], [DefaultBatchElasticity], [DefaultBackoff],
// [DefaultDelayTolerance], [DefaultProbeInterval], [DefaultKneeMemory], [DefaultMinWindow],
// [DefaultMaxWindow], [DefaultWindowSamples] and [DefaultMaxPause]. The fixed parameters are
// stated above: startup growth 10 %, probe step ⌊L/4⌋, saturation at L/2, two windows of
// freeze after an overload, shift threshold max(10 %, 3σ), early stop at 0.8 and 1.25,
// batch failure share 25 %, floor backoff 0.5 s to 30 s.
//
// # Tested behaviour
//
// The tests run the controller against a small closed-loop model of a grid with service time
// S(n) = S1·(1 + σ(n−1) + κn(n−1) + τ·max(0, n−n_c)²) (concurrency-control.md §12.7) and
// log-normal noise (σ 0.2), in simulated time, and compare its goodput with the best fixed
// setting found by running every fixed limit on the same model and noise (seeds 1 to 3, run
// with go test -v -run TestModel to see the figures):
//
//	profile    shape                               check              measured
//	article    S1 32.8 ms σ .47 κ .0065 τ .064 n_c 10  ≥ 95 %           97.0–98.4 %
//	busy       knee at 3                          ≥ 90 %             96.2–98.1 %
//	large      knee near 44, maximum 64           ≥ 90 %             94.2–94.3 % (startup ramp)
//	serial     writes serialised, flat goodput    ≥ 90 %             97.7–98.0 %
//	overload   503 above 6 in service             ≥ 90 %, ≤ 1 % 503  97.0–97.9 %, 0.1 %
//	overload   503 + Retry-After: 1 above 12      ≥ 90 %, ≤ 1 % 503  92.9–93.6 %, 0.05 %
//	article → busy halfway (a second load)        limit ≤ 4 within 8 s: 1.1–2.0 s
//	busy → article halfway (it stops)             limit ≥ 5 within 20 s: 8.6–13.3 s
//	article, every call 503 for 20 s (outage)     9–11 requests in the outage (about 1,000
//	                                              in 20 s before it); limit back to 4 13–20 s
//	                                              after it
//	batching (60 % of a call per request)         ≥ 90 % of the best (L, batch) pair over
//	                                              4.5 minutes: 94.5–95.7 %; batch 16, +1 % per
//	                                              object over the best size, reached in ~20 s
package adaptive
