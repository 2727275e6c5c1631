package adaptive

import (
	"fmt"
	"time"
)

// Outcome classifies one attempt for the controller.
type Outcome uint8

const (
	// OutcomeOK is a successful attempt: its latency is a measurement and its objects count
	// towards goodput. It is the zero value.
	OutcomeOK Outcome = iota

	// OutcomeIgnore is an attempt that failed for a reason unrelated to the grid's load: a
	// conflict ("already exists"), a validation error, 404, 401. It carries no latency
	// measurement (fast rejections would drag the baseline down) and no goodput. When it is a
	// batch of more than one object it counts as a failed batch (see [Controller]).
	OutcomeIgnore

	// OutcomeOverload is a sign that the grid is past its capacity: HTTP 429, 502, 503, 504,
	// a client timeout, a refused or reset connection, or a WAPI "database is locked" or
	// "too many sessions" reply. It cuts the limit at once.
	OutcomeOverload

	// OutcomeTooLarge is a batch the grid refused because of its size. The controller stops
	// sending batches that large. Use [Controller.ObserveMaxBatch] when the grid says what the
	// maximum is.
	OutcomeTooLarge
)

var outcomeNames = [...]string{"ok", "ignore", "overload", "too-large"}

// String returns "ok", "ignore", "overload" or "too-large".
func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("Outcome(%d)", uint8(o))
}

// Sample describes one attempt: one HTTP exchange, not one operation with its retries. The
// engine reports every attempt, including the ones it retries, so that a 503 later turned into
// a success by a retry still registers as back-pressure, and backoff sleeps never count as
// latency.
type Sample struct {
	// Start is when the attempt was sent (after its permit was granted); End is when its
	// reply (or error) arrived. End − Start is the attempt's latency.
	Start, End time.Time

	// Objects is the number of objects in the request: 1 for a single call, the number of
	// items for a batch. Values below 1 count as 1.
	Objects int

	// InFlight is the number of requests in flight when this one started, itself included
	// ([Permit.InFlight]). The controller uses it to tell a saturated limit from an
	// application-limited one.
	InFlight int

	// Outcome classifies the attempt.
	Outcome Outcome

	// RetryAfter is the delay the grid asked for in a Retry-After header, or 0.
	RetryAfter time.Duration

	// BatchSize is the batch size ([Controller.BatchSize]) in force when the engine grouped
	// the attempt's objects, or 0 when unknown. An engine that groups objects ahead of
	// sending them still sends groups of the old size for a while after the batch size
	// changed; such an attempt is not a measurement of the new setting, so the controller
	// leaves it out of its windows (it still counts for overload and Retry-After).
	BatchSize int
}

// Latency returns End − Start, or 0 if End is before Start.
func (s Sample) Latency() time.Duration {
	if d := s.End.Sub(s.Start); d > 0 {
		return d
	}
	return 0
}

// Reason says why the controller made a [Decision].
type Reason string

// Reasons of decisions. Their string values are stable: journals and reports store them.
const (
	// ReasonHold: a window closed and nothing changed (cruising between probes, or
	// application-limited, or fixed mode).
	ReasonHold Reason = "hold"
	// ReasonStartupGrow: startup doubled the limit because goodput grew by at least 10 %.
	ReasonStartupGrow Reason = "startup-grow"
	// ReasonStartupExit: goodput stopped growing; the limit went to the best level seen.
	ReasonStartupExit Reason = "startup-exit"
	// ReasonProbeUp and ReasonProbeDown: a probe of one step above or below the current
	// limit started.
	ReasonProbeUp   Reason = "probe-up"
	ReasonProbeDown Reason = "probe-down"
	// ReasonBatchUp and ReasonBatchDown: a probe of a larger or smaller batch started.
	ReasonBatchUp   Reason = "batch-up"
	ReasonBatchDown Reason = "batch-down"
	// ReasonProbeExtend: the probe's goodput was too close to call; it runs one more window.
	ReasonProbeExtend Reason = "probe-extended"
	// ReasonAccept: the probe's goodput justified its load; the probed setting was kept.
	ReasonAccept Reason = "probe-accepted"
	// ReasonReject: the throughput guard rejected the probe; the previous setting came back.
	ReasonReject Reason = "probe-rejected"
	// ReasonOverload: an overload signal cut the limit at once.
	ReasonOverload Reason = "overload"
	// ReasonDelay: latency at an unchanged setting rose past the tolerance; the limit was cut.
	ReasonDelay Reason = "delay"
	// ReasonRelief: goodput at an unchanged setting rose well beyond the noise, or latency
	// fell well below its reference: the grid has more room. The knee memory is cleared and
	// the limit is probed upwards after one window at the setting.
	ReasonRelief Reason = "relief"
	// ReasonDegraded: goodput at an unchanged setting fell well beyond the noise (but latency
	// not past the delay tolerance): the limit is probed downwards after one window.
	ReasonDegraded Reason = "degraded"
	// ReasonRetryAfter: the grid sent Retry-After; admissions pause until PauseUntil.
	ReasonRetryAfter Reason = "retry-after"
	// ReasonBackoff: overload persisted at the minimum limit; admissions pause.
	ReasonBackoff Reason = "backoff"
	// ReasonLatencyBudget: calls took longer than the latency budget; the batch (or, at a
	// batch of one, the limit) was cut.
	ReasonLatencyBudget Reason = "latency-budget"
	// ReasonBatchFailures: too many batches failed (conflicts, validation); the batch was
	// halved.
	ReasonBatchFailures Reason = "batch-failures"
	// ReasonMaxBatch: the grid refused a batch as too large, or reported its maximum.
	ReasonMaxBatch Reason = "max-batch"
)

// Window summarises the measurements of one window: the attempts that started after the last
// change of setting and ended inside it.
type Window struct {
	Start, End time.Time
	// Throughput is goodput as counted: objects of OK attempts per second of window.
	Throughput float64
	// Estimate is goodput by Little's law: objects of OK attempts × mean in-flight / busy
	// time. The controller decides on it: it does not suffer from the bunching of
	// completions that follows a change in a closed loop.
	Estimate float64
	// Latency and LatencyP90 are the median and 90th percentile latency of OK attempts.
	Latency, LatencyP90 time.Duration
	// InFlight is the mean number of requests in flight when OK attempts started.
	InFlight float64
	// Attempts by outcome, and the objects of OK attempts.
	OK, Ignored, Overloaded, Objects int
}

// Decision is the controller's state after a window closed or a signal arrived: what the
// limiter should enforce, what batch size to send, and why. Decisions are cheap values; the
// engine journals them and the benchmark draws Limit and BatchSize over Time.
type Decision struct {
	Time time.Time
	// Limit is the number of requests allowed in flight; BatchSize the number of objects per
	// call.
	Limit, BatchSize int
	// PauseUntil, when after Time, asks the limiter to admit nothing before it.
	PauseUntil time.Time
	Reason     Reason
	// Window holds the measurements behind the decision (zero for decisions that did not
	// close a window, such as a reported maximum batch size).
	Window Window
}

// String formats the decision on one line, for logs.
func (d Decision) String() string {
	s := fmt.Sprintf("%s limit=%d batch=%d reason=%s goodput=%.1f/s est=%.1f/s p50=%s",
		d.Time.Format("15:04:05.000"), d.Limit, d.BatchSize, d.Reason,
		d.Window.Throughput, d.Window.Estimate, d.Window.Latency.Round(time.Millisecond))
	if d.PauseUntil.After(d.Time) {
		s += fmt.Sprintf(" pause=%s", d.PauseUntil.Sub(d.Time).Round(time.Millisecond))
	}
	return s
}
