// Package bench replays the founding experiment of turbowapi, part 4 of "Turbocharge your
// Infoblox RESTful API calls" (ddiguru, 2021; ../shared/reference/seed-series.md), on a
// simulated or real grid, and measures how close the adaptive mode comes to the best fixed
// setting of a grid.
//
// # The experiment
//
// [Bench.Run] creates the founding workload (1,024 /24 networks carved from 10.0.0.0/8,
// comment "test-network"; [FoundingWorkload]) once per technique and pass, each time in a
// network view of its own that it creates before and deletes afterwards: on NIOS, as in the
// simulator, deleting a network view deletes its networks, so nothing is left behind and
// every run starts on a clean grid. The techniques ([DefaultTechniques]) are the article's
// scripts, replayed with raw HTTP as they sent their requests, and turbowapi's own mode:
//
//   - [Sequential] (wapi-network.py): one POST network at a time, JSON without a
//     Content-Type, the ibapauth cookie of a Basic login on GET grid, keep-alive;
//   - [Threads] (wapi-threaded.py): 16 workers sharing one session whose pool keeps at most
//     10 idle connections, opening more when all are busy;
//   - [Request] (wapi-request.py): one `request` call carrying every network;
//   - [Async] (wapi-async.py): 2, 4, 8, 16 and 32 POSTs in flight under a semaphore,
//     form-encoded bodies, the login inside the timer as in the script;
//   - [Auto]: the bulk engine's auto strategy (package bulk, controller from package
//     adaptive), through the wapi client.
//
// Only the async script's timer covers its login; the others start after it. Times are
// positive durations of the timed region. Passes run one after another over every technique,
// so that a slow spell of a shared machine spreads over all of them.
//
// # Grid seconds and assumptions
//
// On a simulated grid ([WithSimulator]) the benchmark reads the cost profile, its
// assumptions and the speed from GET /_sim/profile and reports grid seconds: wall seconds ×
// speed. The package never imports the simulator: turbowapi bench starts it and hands over
// its URL and CA, as for any grid. The bulk engine, its controller and its limiter run on the
// grid's clock (wall time × speed), so that their time constants (measurement windows, knee
// memory, pauses, retry backoff, the latency budget) and the Retry-After the grid asks for
// last in grid time what they would on a real grid; only the HTTP client's timeout is set in
// wall time (the timeout divided by the speed).
//
// Only the article's part-4 table is a published measurement. Rows the article never
// measured (16 threads, one request call, auto) rest on the profile's assumed costs and are
// labelled as new measurements, not reproductions; every profile assumption is listed in the
// reports ([Result.Assumptions]).
//
// # The sweep
//
// [Bench.Sweep] measures throughput over a grid of requests in flight and batch sizes
// (1 to 32 and 1 to 1,024 by default), refines around the best point, measures the three best
// points again for longer (the best of many short, noisy measurements is biased up), fits the
// Universal Scalability Law to the batch-1 points ([FitUSL], concurrency-control.md §10), then
// loads one workload twice through the bulk engine: with the best setting fixed, and with
// auto, which starts knowing nothing of the grid and may go up to the sweep's largest
// concurrency. The workload is sized by time ([DefaultSweepSeconds]: the networks the best
// setting creates in ten grid minutes), because the controller spends about a minute of grid
// time finding its setting and a shorter run would measure that search rather than the
// setting found. [Comparison] gives auto's throughput as a share of both the fixed run and
// the best point and whether it reached issue 6's target ([TargetArticle], [TargetOther],
// [TargetOverloadShare]).
//
// # Reports
//
// Measurement and rendering are separate: [Result] and [SweepResult] hold every figure, and
// [WriteText], [WriteJSON], [WriteHTML], [WriteSweepText] and [WriteSweepHTML] render them
// (golden files in testdata guard the output). The HTML reports are self-contained (inline
// styles and SVG charts, no fetch): throughput against requests in flight beside the
// article's points, one bar per technique, and auto's limit and batch size over time.
package bench
