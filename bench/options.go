package bench

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Defaults of the benchmark's options.
const (
	// DefaultPasses is the number of passes over every technique: the article ran each
	// setting three times.
	DefaultPasses = 3
)

// DefaultSweepConcurrency and DefaultSweepBatches are the sweep's coarse grid; the sweep then
// refines around the best point.
var (
	DefaultSweepConcurrency = []int{1, 2, 4, 8, 16, 32}
	DefaultSweepBatches     = []int{1, 4, 16, 64, 256, 1024}
)

// Option configures a Bench. Options validate their arguments; New returns the first error.
type Option func(*options) error

type options struct {
	techniques   []Technique
	passes       int
	workload     Workload
	simulator    bool
	embedded     bool
	seed         uint64
	progress     func(Progress)
	logger       *slog.Logger
	maxConc      int
	maxConcSet   bool
	timeout      time.Duration
	tempDir      string
	sweepObjects int
	sweepSeconds float64
	sweepConc    []int
	sweepBatches []int
	refine       bool
}

// WithTechniques sets the techniques to run, in order. Default: DefaultTechniques.
func WithTechniques(ts ...Technique) Option {
	return func(o *options) error {
		if len(ts) == 0 {
			return errors.New("bench: no technique")
		}
		for _, t := range ts {
			if (t.Kind == Threads || t.Kind == Async) && (t.N < 1 || t.N > 256) {
				return fmt.Errorf("bench: technique %s: N out of range [1, 256]", t.Name())
			}
		}
		o.techniques = append([]Technique(nil), ts...)
		return nil
	}
}

// WithPasses sets the number of passes over every technique. Default: DefaultPasses.
func WithPasses(n int) Option {
	return func(o *options) error {
		if n < 1 || n > 100 {
			return fmt.Errorf("bench: passes %d out of range [1, 100]", n)
		}
		o.passes = n
		return nil
	}
}

// WithWorkload sets what each run creates. Default: FoundingWorkload (1,024 /24 networks
// from 10.0.0.0/8, comment "test-network").
func WithWorkload(w Workload) Option {
	return func(o *options) error {
		if _, err := w.CIDRs(); err != nil {
			return err
		}
		o.workload = w
		return nil
	}
}

// WithObjects sets the number of networks of the workload (the founding workload's other
// fields are kept). Default: ArticleObjects (1,024).
func WithObjects(n int) Option {
	return func(o *options) error {
		w := o.workload
		w.Objects = n
		if _, err := w.CIDRs(); err != nil {
			return err
		}
		o.workload = w
		return nil
	}
}

// WithSimulator says the grid is a simulated grid (turbowapi sim): the benchmark reads its
// profile, assumptions and speed from GET /_sim/profile and reports grid seconds (wall
// seconds × speed). embedded says turbowapi bench started it itself. Default: a real grid,
// whose grid seconds are wall seconds.
func WithSimulator(embedded bool) Option {
	return func(o *options) error {
		o.simulator, o.embedded = true, embedded
		return nil
	}
}

// WithSeed seeds the auto strategy (its backoff jitter and probe rotation). Default: 1.
func WithSeed(seed uint64) Option {
	return func(o *options) error {
		o.seed = seed
		return nil
	}
}

// WithProgress calls f after each timed run and each sweep point (from the benchmark's
// goroutine). Default: none.
func WithProgress(f func(Progress)) Option {
	return func(o *options) error {
		o.progress = f
		return nil
	}
}

// WithLogger logs setup and cleanup at debug level and failures to clean up at warning
// level. Default: none.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		o.logger = l
		return nil
	}
}

// WithMaxConcurrency caps auto's requests in flight. Default: the bulk engine's
// (bulk.DefaultMaxConcurrency, 16) in the experiment, and the largest concurrency of the
// sweep's grid (32) in the sweep's comparison, so that auto searches the range the sweep
// measured.
func WithMaxConcurrency(n int) Option {
	return func(o *options) error {
		if n < 1 || n > 1024 {
			return fmt.Errorf("bench: max concurrency %d out of range [1, 1024]", n)
		}
		o.maxConc, o.maxConcSet = n, true
		return nil
	}
}

// WithClientTimeout sets the per-request timeout of the wapi client used by auto and the
// sweep, in grid time (it is divided by a simulator's speed). Default: wapi.DefaultTimeout
// (60 s).
func WithClientTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("bench: client timeout %v: want > 0", d)
		}
		o.timeout = d
		return nil
	}
}

// WithTempDir sets where the bulk engine spools its input. Default: the system's temporary
// directory.
func WithTempDir(dir string) Option {
	return func(o *options) error {
		o.tempDir = dir
		return nil
	}
}

// WithSweepObjects sets the number of networks of the sweep's comparison of the best fixed
// setting with auto (0: sized by WithSweepSeconds). Default: 0.
func WithSweepObjects(n int) Option {
	return func(o *options) error {
		if n < 0 || n > MaxSweepObjects {
			return fmt.Errorf("bench: sweep objects %d out of range [0, %d]", n, MaxSweepObjects)
		}
		o.sweepObjects = n
		return nil
	}
}

// WithSweepSeconds sizes the sweep's comparison: as many networks as the best setting
// creates in this many grid seconds (at least MinSweepObjects, at most MaxSweepObjects).
// Default: DefaultSweepSeconds (600).
func WithSweepSeconds(sec float64) Option {
	return func(o *options) error {
		if !(sec >= 1 && sec <= 86400) {
			return fmt.Errorf("bench: sweep seconds %g out of range [1, 86400]", sec)
		}
		o.sweepSeconds = sec
		return nil
	}
}

// WithSweepGrid sets the sweep's coarse grid of concurrencies and batch sizes, and whether
// it refines around the best point. Default: DefaultSweepConcurrency,
// DefaultSweepBatches, refined.
func WithSweepGrid(concurrency, batches []int, refine bool) Option {
	return func(o *options) error {
		if len(concurrency) == 0 || len(batches) == 0 {
			return errors.New("bench: empty sweep grid")
		}
		for _, c := range concurrency {
			if c < 1 || c > 256 {
				return fmt.Errorf("bench: sweep concurrency %d out of range [1, 256]", c)
			}
		}
		for _, b := range batches {
			if b < 1 || b > 10000 {
				return fmt.Errorf("bench: sweep batch size %d out of range [1, 10000]", b)
			}
		}
		o.sweepConc = append([]int(nil), concurrency...)
		o.sweepBatches = append([]int(nil), batches...)
		o.refine = refine
		return nil
	}
}
