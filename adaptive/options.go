package adaptive

import (
	"errors"
	"fmt"
	"time"
)

// Defaults of the controller's options. Package documentation explains each choice.
const (
	// DefaultMaxConcurrency is the limit never exceeded (--max-concurrency).
	DefaultMaxConcurrency = 16
	// DefaultInitialConcurrency is the limit of the first startup window.
	DefaultInitialConcurrency = 2
	// DefaultInitialBatchSize is the batch size before any measurement.
	DefaultInitialBatchSize = 1
	// DefaultMaxBatchSize is the largest batch ever sent: WAPI documents no limit, and 1,000
	// items per call is what established clients send.
	DefaultMaxBatchSize = 1000
	// DefaultClientTimeout is the client's per-call timeout the latency budget is taken from
	// (the wapi client's default).
	DefaultClientTimeout = 60 * time.Second
	// DefaultLatencyBudget is the share of the client timeout a call may take: the 90th
	// percentile of call latency is kept below it.
	DefaultLatencyBudget = 0.25
	// DefaultMinElasticity is the least relative goodput gain per relative gain in
	// concurrency worth having: ten per cent more requests in flight must buy half a per cent
	// more objects per second. Probes are accepted when they raise goodput·L^(−elasticity).
	DefaultMinElasticity = 0.05
	// DefaultBatchElasticity is the same for the batch size: doubling a batch must buy about
	// 2 % more objects per second.
	DefaultBatchElasticity = 0.03
	// DefaultBackoff is the factor an overload signal multiplies the limit by.
	DefaultBackoff = 0.5
	// DefaultDelayTolerance is how far the median latency at an unchanged setting may rise
	// above its reference before the limit is cut (and how far it must fall to count as
	// relief).
	DefaultDelayTolerance = 1.5
	// DefaultProbeInterval is the number of windows spent cruising at a setting between
	// probes, before ±25 % jitter.
	DefaultProbeInterval = 6
	// DefaultKneeMemory is how long an overload keeps the limit at or below the highest level
	// known to be free of overload; it doubles, up to 16 times, each time a probe after it
	// expires finds the same knee.
	DefaultKneeMemory = time.Minute
	// DefaultMinWindow and DefaultMaxWindow bound a window's length; within them a window
	// lasts at least two smoothed latencies.
	DefaultMinWindow = time.Second
	DefaultMaxWindow = 30 * time.Second
	// DefaultWindowSamples is the most OK attempts a window waits for. A window collects
	// enough to measure goodput within about 2 %: (CV/0.02)² attempts, CV the spread of the
	// last window's latencies, at least 16 and at least the limit, at most this many (enough
	// for a spread of 20 %); DefaultMaxWindow ends it in any case.
	DefaultWindowSamples = 100
	// DefaultMaxPause caps a pause, whether from Retry-After or from backoff at the minimum
	// limit.
	DefaultMaxPause = 2 * time.Minute
)

// Fixed parameters of the algorithm, stated in the package documentation.
const (
	startupGain       = 1.10                   // startup doubles while goodput grows this much
	probeStep         = 0.25                   // a probe moves the limit by max(1, ⌊L/4⌋)
	utilised          = 0.5                    // a window is saturated if mean in-flight ≥ L/2
	overloadFreeze    = 2                      // windows without probes after an overload cut
	refAlpha          = 0.25                   // EWMA weight of cruise windows in the reference
	smoothAlpha       = 0.4                    // EWMA weight of window medians in R̃
	noiseAlpha        = 0.2                    // EWMA weight of squared deviations in the noise
	initialNoise      = 0.05                   // window-to-window spread of goodput, at first
	minNoise          = 0.01                   // floor of that spread in probe judgements
	maxProbeWindows   = 3                      // longest probe, when its result is ambiguous
	thinSamples       = 8                      // fewer OK attempts in a window: no judgement
	earlySamples      = 16                     // OK attempts before a losing window may end early
	earlyLoss         = 0.8                    // a window below this share of its reference loses
	shiftMin          = 0.10                   // least change of ln(goodput) that is a shift
	shiftSigmas       = 3                      // and at least this many standard deviations
	windowPrecision   = 0.02                   // relative precision a window aims for
	batchFailureRatio = 0.25                   // share of failed batches that halves the batch
	minBatchAttempts  = 4                      // batches in a window before that share counts
	backoffBase       = 500 * time.Millisecond // first pause at the minimum limit
	backoffCap        = 30 * time.Second       // longest backoff pause at the minimum limit
	maxKneeDoublings  = 4                      // knee memory grows to 16× when the knee holds
	maxLimit          = 1 << 16                // sanity bound on any limit option
	maxBatchLimit     = 1 << 20                // sanity bound on any batch option
)

// Option configures a [Controller]. Options validate their arguments; [New] returns the first
// error.
type Option func(*options) error

type options struct {
	maxConc, initConc, fixedConc     int
	initBatch, maxBatch, fixedBatch  int
	clientTimeout                    time.Duration
	budget                           float64
	elasticity, batchElasticity      float64
	backoff, delayTolerance          float64
	probeInterval                    int
	kneeMemory, minWindow, maxWindow time.Duration
	windowSamples                    int
	maxPause                         time.Duration
	seed                             uint64
	initConcSet, initBatchSet        bool
}

func defaultOptions() options {
	return options{
		maxConc:         DefaultMaxConcurrency,
		initConc:        DefaultInitialConcurrency,
		initBatch:       DefaultInitialBatchSize,
		maxBatch:        DefaultMaxBatchSize,
		clientTimeout:   DefaultClientTimeout,
		budget:          DefaultLatencyBudget,
		elasticity:      DefaultMinElasticity,
		batchElasticity: DefaultBatchElasticity,
		backoff:         DefaultBackoff,
		delayTolerance:  DefaultDelayTolerance,
		probeInterval:   DefaultProbeInterval,
		kneeMemory:      DefaultKneeMemory,
		minWindow:       DefaultMinWindow,
		maxWindow:       DefaultMaxWindow,
		windowSamples:   DefaultWindowSamples,
		maxPause:        DefaultMaxPause,
		seed:            1,
	}
}

func intIn(name string, v, lo, hi int) error {
	if v < lo || v > hi {
		return fmt.Errorf("adaptive: %s %d out of range [%d, %d]", name, v, lo, hi)
	}
	return nil
}

func floatIn(name string, v, lo, hi float64) error {
	if !(v >= lo && v <= hi) { // also rejects NaN
		return fmt.Errorf("adaptive: %s %g out of range [%g, %g]", name, v, lo, hi)
	}
	return nil
}

func positive(name string, d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("adaptive: %s %s must be positive", name, d)
	}
	return nil
}

// WithMaxConcurrency sets the limit that is never exceeded (default [DefaultMaxConcurrency]).
func WithMaxConcurrency(n int) Option {
	return func(o *options) error {
		if err := intIn("max concurrency", n, 1, maxLimit); err != nil {
			return err
		}
		o.maxConc = n
		return nil
	}
}

// WithInitialConcurrency sets the limit of the first startup window (default
// [DefaultInitialConcurrency], lowered to the maximum if that is smaller).
func WithInitialConcurrency(n int) Option {
	return func(o *options) error {
		if err := intIn("initial concurrency", n, 1, maxLimit); err != nil {
			return err
		}
		o.initConc, o.initConcSet = n, true
		return nil
	}
}

// WithFixedConcurrency pins the limit to n (--concurrency N): overload signals no longer cut
// it and no probe moves it. Retry-After still pauses admissions. Default: adaptive.
func WithFixedConcurrency(n int) Option {
	return func(o *options) error {
		if err := intIn("fixed concurrency", n, 1, maxLimit); err != nil {
			return err
		}
		o.fixedConc = n
		return nil
	}
}

// WithInitialBatchSize sets the batch size before any measurement (default
// [DefaultInitialBatchSize]).
func WithInitialBatchSize(n int) Option {
	return func(o *options) error {
		if err := intIn("initial batch size", n, 1, maxBatchLimit); err != nil {
			return err
		}
		o.initBatch, o.initBatchSet = n, true
		return nil
	}
}

// WithMaxBatchSize sets the largest batch ever sent (default [DefaultMaxBatchSize]).
func WithMaxBatchSize(n int) Option {
	return func(o *options) error {
		if err := intIn("max batch size", n, 1, maxBatchLimit); err != nil {
			return err
		}
		o.maxBatch = n
		return nil
	}
}

// WithFixedBatchSize pins the batch size to n (--batch-size M). The grid's maximum, when it
// reports one or refuses a batch as too large, still lowers it, since a larger batch cannot
// succeed. Default: adaptive.
func WithFixedBatchSize(n int) Option {
	return func(o *options) error {
		if err := intIn("fixed batch size", n, 1, maxBatchLimit); err != nil {
			return err
		}
		o.fixedBatch = n
		return nil
	}
}

// WithClientTimeout tells the controller the client's per-call timeout (default
// [DefaultClientTimeout]); the latency budget is a share of it.
func WithClientTimeout(d time.Duration) Option {
	return func(o *options) error {
		if err := positive("client timeout", d); err != nil {
			return err
		}
		o.clientTimeout = d
		return nil
	}
}

// WithLatencyBudget sets the share of the client timeout the 90th percentile of call latency
// must stay under (default [DefaultLatencyBudget]; from 0.01 to 1).
func WithLatencyBudget(share float64) Option {
	return func(o *options) error {
		if err := floatIn("latency budget", share, 0.01, 1); err != nil {
			return err
		}
		o.budget = share
		return nil
	}
}

// WithMinElasticity sets the least goodput elasticity a higher limit must show to be kept
// (default [DefaultMinElasticity]; from 0 to 1). 0 climbs to the top of the throughput curve;
// 0.5 is Kleinrock's power (goodput over latency) and keeps well below it.
func WithMinElasticity(e float64) Option {
	return func(o *options) error {
		if err := floatIn("min elasticity", e, 0, 1); err != nil {
			return err
		}
		o.elasticity = e
		return nil
	}
}

// WithBatchElasticity sets the least goodput elasticity a larger batch must show to be kept
// (default [DefaultBatchElasticity]; from 0 to 1).
func WithBatchElasticity(e float64) Option {
	return func(o *options) error {
		if err := floatIn("batch elasticity", e, 0, 1); err != nil {
			return err
		}
		o.batchElasticity = e
		return nil
	}
}

// WithBackoff sets the factor an overload multiplies the limit by (default [DefaultBackoff];
// from 0.1 to 0.9).
func WithBackoff(f float64) Option {
	return func(o *options) error {
		if err := floatIn("backoff", f, 0.1, 0.9); err != nil {
			return err
		}
		o.backoff = f
		return nil
	}
}

// WithDelayTolerance sets how far median latency at an unchanged setting may rise over its
// reference before the limit is cut (default [DefaultDelayTolerance]; from 1.1 to 10).
func WithDelayTolerance(f float64) Option {
	return func(o *options) error {
		if err := floatIn("delay tolerance", f, 1.1, 10); err != nil {
			return err
		}
		o.delayTolerance = f
		return nil
	}
}

// WithProbeInterval sets the number of windows between probes once settled (default
// [DefaultProbeInterval]; from 2 to 1000), jittered by ±25 %.
func WithProbeInterval(windows int) Option {
	return func(o *options) error {
		if err := intIn("probe interval", windows, 2, 1000); err != nil {
			return err
		}
		o.probeInterval = windows
		return nil
	}
}

// WithKneeMemory sets how long an overload keeps the limit below the level that hit it
// (default [DefaultKneeMemory]; doubled, up to 16 times, while the knee holds).
func WithKneeMemory(d time.Duration) Option {
	return func(o *options) error {
		if err := positive("knee memory", d); err != nil {
			return err
		}
		o.kneeMemory = d
		return nil
	}
}

// WithWindow bounds the length of a measurement window (defaults [DefaultMinWindow] and
// [DefaultMaxWindow]).
func WithWindow(minLen, maxLen time.Duration) Option {
	return func(o *options) error {
		if err := positive("min window", minLen); err != nil {
			return err
		}
		if maxLen < minLen {
			return fmt.Errorf("adaptive: max window %s below min window %s", maxLen, minLen)
		}
		o.minWindow, o.maxWindow = minLen, maxLen
		return nil
	}
}

// WithWindowSamples sets the most OK attempts a window waits for (default
// [DefaultWindowSamples]; from 1 to 100,000). Windows wait for fewer when latencies are
// regular; see [DefaultWindowSamples].
func WithWindowSamples(n int) Option {
	return func(o *options) error {
		if err := intIn("window samples", n, 1, 100000); err != nil {
			return err
		}
		o.windowSamples = n
		return nil
	}
}

// WithMaxPause caps the pauses the controller asks for (default [DefaultMaxPause]).
func WithMaxPause(d time.Duration) Option {
	return func(o *options) error {
		if err := positive("max pause", d); err != nil {
			return err
		}
		o.maxPause = d
		return nil
	}
}

// WithSeed seeds the generator of probe and backoff jitter (default 1), so that runs are
// reproducible; give clients sharing a grid different seeds.
func WithSeed(seed uint64) Option {
	return func(o *options) error {
		o.seed = seed
		return nil
	}
}

// check validates the combination of options.
func (o *options) check() error {
	if o.fixedConc > o.maxConc {
		return fmt.Errorf("adaptive: fixed concurrency %d above max concurrency %d", o.fixedConc, o.maxConc)
	}
	if o.fixedBatch > o.maxBatch {
		return fmt.Errorf("adaptive: fixed batch size %d above max batch size %d", o.fixedBatch, o.maxBatch)
	}
	if o.initConc > o.maxConc {
		if o.initConcSet {
			return fmt.Errorf("adaptive: initial concurrency %d above max concurrency %d", o.initConc, o.maxConc)
		}
		o.initConc = o.maxConc
	}
	if o.initBatch > o.maxBatch {
		if o.initBatchSet {
			return fmt.Errorf("adaptive: initial batch size %d above max batch size %d", o.initBatch, o.maxBatch)
		}
		o.initBatch = o.maxBatch
	}
	return nil
}

var errNilOption = errors.New("adaptive: nil option")
