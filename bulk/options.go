package bulk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/turbowapi/turbowapi/adaptive"
)

// Strategy is how objects are sent.
type Strategy string

// Strategies.
const (
	// Sequential sends one object per request, one request at a time.
	Sequential Strategy = "sequential"
	// Concurrent sends one object per request, N requests at a time ([WithConcurrency]).
	Concurrent Strategy = "concurrent"
	// Batch sends M objects per `request` call ([WithBatchSize]), one call at a time, or N
	// at a time when [WithConcurrency] is given too.
	Batch Strategy = "batch"
	// Auto lets the adaptive controller choose the number of requests in flight and the
	// batch size, and change them as the grid answers (see the package documentation).
	Auto Strategy = "auto"
)

// ParseStrategy reads a strategy name.
func ParseStrategy(s string) (Strategy, error) {
	switch st := Strategy(s); st {
	case Sequential, Concurrent, Batch, Auto:
		return st, nil
	}
	return "", fmt.Errorf("unknown strategy %q (want sequential, concurrent, batch or auto)", s)
}

// ConflictPolicy is what to do with an object that is already on the grid.
type ConflictPolicy string

// Conflict policies.
const (
	// Skip records the object as existed (with its reference when a lookup found it).
	Skip ConflictPolicy = "skip"
	// Update looks the object up by its key and sets the input's fields on it (a PUT).
	Update ConflictPolicy = "update"
	// Fail records the object as failed.
	Fail ConflictPolicy = "fail"
)

// ParseConflictPolicy reads a conflict policy name.
func ParseConflictPolicy(s string) (ConflictPolicy, error) {
	switch p := ConflictPolicy(s); p {
	case Skip, Update, Fail:
		return p, nil
	}
	return "", fmt.Errorf("unknown conflict policy %q (want skip, update or fail)", s)
}

// Defaults of the engine's options.
const (
	// DefaultStrategy is the strategy without WithStrategy.
	DefaultStrategy = Auto
	// DefaultConcurrency is the number of requests in flight of the concurrent strategy when
	// no concurrency is given: the best setting of the founding article's grid.
	DefaultConcurrency = 8
	// DefaultBatchSize is the number of objects per `request` call of the batch strategy
	// when none is given: what established clients send.
	DefaultBatchSize = 1000
	// DefaultMaxConcurrency caps the auto strategy's requests in flight.
	DefaultMaxConcurrency = adaptive.DefaultMaxConcurrency
	// DefaultConflictPolicy is the conflict policy without WithConflictPolicy.
	DefaultConflictPolicy = Skip
	// DefaultRetryBase, DefaultRetryCap and DefaultMaxAttempts shape the retries of
	// transient failures: the n-th retry waits a random time in [0, min(cap, base·2^(n−1))]
	// ("full jitter"), and at least the grid's Retry-After; an object gets at most
	// DefaultMaxAttempts write attempts.
	DefaultRetryBase   = 500 * time.Millisecond
	DefaultRetryCap    = 30 * time.Second
	DefaultMaxAttempts = 8
)

// Option configures an [Engine]. Options validate their arguments; [New] returns the first
// error.
type Option func(*options) error

type options struct {
	strategy     Strategy
	conc, batch  int
	maxConc      int
	conflict     ConflictPolicy
	retryBase    time.Duration
	retryCap     time.Duration
	maxAttempts  int
	sleep        func(ctx context.Context, d time.Duration) error
	now          func() time.Time
	seed         uint64
	logger       *slog.Logger
	ctrlOpts     []adaptive.Option
	limiterClock adaptive.Clock
	clientTO     time.Duration
	conflictLook bool
}

func defaultOptions() options {
	return options{
		strategy:     DefaultStrategy,
		maxConc:      DefaultMaxConcurrency,
		conflict:     DefaultConflictPolicy,
		retryBase:    DefaultRetryBase,
		retryCap:     DefaultRetryCap,
		maxAttempts:  DefaultMaxAttempts,
		sleep:        sleepCtx,
		now:          time.Now,
		seed:         uint64(time.Now().UnixNano()),
		conflictLook: true,
	}
}

// buildOptions applies opts to the defaults and checks the result, for [New] and
// [CheckOptions].
func buildOptions(opts []Option) (options, error) {
	o := defaultOptions()
	for _, opt := range opts {
		if opt == nil {
			return options{}, errors.New("bulk: nil option")
		}
		if err := opt(&o); err != nil {
			return options{}, err
		}
	}
	if err := o.check(); err != nil {
		return options{}, err
	}
	return o, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// WithStrategy sets the strategy. Default: [DefaultStrategy] (auto).
func WithStrategy(s Strategy) Option {
	return func(o *options) error {
		if _, err := ParseStrategy(string(s)); err != nil {
			return err
		}
		o.strategy = s
		return nil
	}
}

// WithConcurrency sets the number of requests in flight: N for concurrent (default
// [DefaultConcurrency]), the number of concurrent batches for batch (default 1), and a pinned
// limit for auto (default: adapted). Sequential refuses it.
func WithConcurrency(n int) Option {
	return func(o *options) error {
		if n < 1 || n > 1024 {
			return fmt.Errorf("bulk: concurrency %d out of range [1, 1024]", n)
		}
		o.conc = n
		return nil
	}
}

// WithBatchSize sets the number of objects per `request` call: M for batch (default
// [DefaultBatchSize]) and a pinned batch size for auto (default: adapted). Sequential and
// concurrent refuse it.
func WithBatchSize(m int) Option {
	return func(o *options) error {
		if m < 1 || m > 100000 {
			return fmt.Errorf("bulk: batch size %d out of range [1, 100000]", m)
		}
		o.batch = m
		return nil
	}
}

// WithMaxConcurrency caps the auto strategy's requests in flight. Default:
// [DefaultMaxConcurrency].
func WithMaxConcurrency(n int) Option {
	return func(o *options) error {
		if n < 1 || n > 1024 {
			return fmt.Errorf("bulk: max concurrency %d out of range [1, 1024]", n)
		}
		o.maxConc = n
		return nil
	}
}

// WithConflictPolicy sets what happens to objects already on the grid. Default:
// [DefaultConflictPolicy] (skip).
func WithConflictPolicy(p ConflictPolicy) Option {
	return func(o *options) error {
		if _, err := ParseConflictPolicy(string(p)); err != nil {
			return err
		}
		o.conflict = p
		return nil
	}
}

// WithRetry shapes the retries of transient failures: base and cap of the exponential
// backoff with full jitter, and the most write attempts per object. Defaults:
// [DefaultRetryBase], [DefaultRetryCap], [DefaultMaxAttempts].
func WithRetry(base, maxDelay time.Duration, attempts int) Option {
	return func(o *options) error {
		if base <= 0 || maxDelay < base {
			return fmt.Errorf("bulk: retry base %v and cap %v: want 0 < base <= cap", base, maxDelay)
		}
		if attempts < 1 || attempts > 100 {
			return fmt.Errorf("bulk: retry attempts %d out of range [1, 100]", attempts)
		}
		o.retryBase, o.retryCap, o.maxAttempts = base, maxDelay, attempts
		return nil
	}
}

// WithSleep replaces the backoff's sleep (tests). It must return early with ctx's error when
// ctx ends. Default: a timer.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(o *options) error {
		if sleep == nil {
			return errors.New("bulk: nil sleep")
		}
		o.sleep = sleep
		return nil
	}
}

// WithClock replaces time.Now for latencies, samples and the summary (tests). Default:
// time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return errors.New("bulk: nil clock")
		}
		o.now = now
		return nil
	}
}

// WithLimiterClock sets the clock of the limiter's Retry-After pauses (tests). Default: the
// real clock.
func WithLimiterClock(c adaptive.Clock) Option {
	return func(o *options) error {
		if c == nil {
			return errors.New("bulk: nil limiter clock")
		}
		o.limiterClock = c
		return nil
	}
}

// WithSeed seeds the backoff's jitter and the controller's probes. Default: the time.
func WithSeed(seed uint64) Option {
	return func(o *options) error {
		o.seed = seed
		return nil
	}
}

// WithLogger logs the retries of [Engine.Retry] (and so of [Engine.SearchAll]) at debug
// level. Default: none.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		o.logger = l
		return nil
	}
}

// WithClientTimeout tells the auto strategy the client's per-request timeout, from which it
// takes its latency budget. Default: the wapi client's default.
func WithClientTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return fmt.Errorf("bulk: negative client timeout %v", d)
		}
		o.clientTO = d
		return nil
	}
}

// WithControllerOptions passes further options to the adaptive controller (strategy auto and
// the fixed strategies alike; the strategy's own settings come last and win).
func WithControllerOptions(opts ...adaptive.Option) Option {
	return func(o *options) error {
		o.ctrlOpts = append(o.ctrlOpts, opts...)
		return nil
	}
}

// WithConflictLookup turns the conflict lookup of failed batches on or off. On (the
// default), a batch refused because one of its objects already exists is resolved with one
// `request` call of searches by key for all its objects, whatever the number of objects that
// exist; off, it is bisected like any other failed batch.
func WithConflictLookup(on bool) Option {
	return func(o *options) error {
		o.conflictLook = on
		return nil
	}
}

func (o *options) check() error {
	switch o.strategy {
	case Sequential:
		if o.conc > 1 || o.batch > 1 {
			return errors.New("bulk: the sequential strategy sends one object at a time: drop the concurrency and batch size")
		}
	case Concurrent:
		if o.batch > 1 {
			return errors.New("bulk: the concurrent strategy sends one object per request: use the batch strategy for batches")
		}
	case Auto:
		if o.conc > o.maxConc {
			return fmt.Errorf("bulk: concurrency %d above the maximum concurrency %d", o.conc, o.maxConc)
		}
	}
	return nil
}

// plan returns the fixed concurrency and batch size (0: adapted) and the number of workers.
func (o *options) plan() (conc, batch, workers int) {
	switch o.strategy {
	case Sequential:
		return 1, 1, 1
	case Concurrent:
		c := o.conc
		if c == 0 {
			c = DefaultConcurrency
		}
		return c, 1, c
	case Batch:
		c, b := o.conc, o.batch
		if c == 0 {
			c = 1
		}
		if b == 0 {
			b = DefaultBatchSize
		}
		return c, b, c
	default:
		w := o.maxConc
		if o.conc > 0 {
			w = o.conc
		}
		return o.conc, o.batch, w
	}
}
