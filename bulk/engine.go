package bulk

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/turbowapi/turbowapi/adaptive"
	"github.com/turbowapi/turbowapi/wapi"
)

// Engine runs loads and deletes against one grid through one shared [wapi.Client] (one
// session, one pool of connections sized by the caller with [wapi.WithMaxConns] to
// [Engine.Workers]). It is safe to use from one goroutine at a time per run; runs may follow
// each other.
type Engine struct {
	c        *wapi.Client
	o        options
	progress *Progress
	jitter   jitter // of [Engine.Retry]
}

// New returns an engine sending through c.
func New(c *wapi.Client, opts ...Option) (*Engine, error) {
	if c == nil {
		return nil, errors.New("bulk: nil client")
	}
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	e := &Engine{c: c, o: o, progress: new(Progress)}
	e.jitter.rng = rand.New(rand.NewPCG(o.seed^0x5851f42d4c957f2d, o.seed))
	return e, nil
}

// CheckOptions validates opts as [New] does, without a client, and returns the number of
// workers an engine with them would run ([Engine.Workers]): a command line checks its flags
// (and sizes the client's connection pool) before it connects.
func CheckOptions(opts ...Option) (workers int, err error) {
	o, err := buildOptions(opts)
	if err != nil {
		return 0, err
	}
	_, _, w := o.plan()
	return w, nil
}

// Workers returns the most requests the engine will ever have in flight: the size to give
// the client's connection pool.
func (e *Engine) Workers() int {
	_, _, w := e.o.plan()
	return w
}

// Progress returns the live counters of the current (or last) run.
func (e *Engine) Progress() *Progress { return e.progress }

// ErrRecorder wraps the error of a [Recorder]: the run stopped because its journal could
// not be written.
var ErrRecorder = errors.New("bulk: journal")

// Load creates the objects of s, phase after phase, recording every event with rec (nil:
// none). Invalid rows of s get an invalid outcome first: the caller decides beforehand
// whether to load at all when s holds invalid rows. With resume (nil: none), objects whose
// outcome is final are skipped and objects in flight are looked up before anything is sent.
//
// Load returns when every object has an outcome, or ctx ends (the summary's Pending counts
// the objects left), or rec fails (the error wraps [ErrRecorder]).
func (e *Engine) Load(ctx context.Context, s *Spool, rec Recorder, resume Resume) (Summary, error) {
	return e.run(ctx, s, rec, resume, false)
}

// Delete deletes the objects of s (their Ref), phase after phase: give later phases to the
// objects that must go first (the reverse of the load order). Deleted objects are recorded as
// deleted, objects already gone as not_found. Network containers are deleted with
// remove_subnets=false, so that objects the load did not create survive.
func (e *Engine) Delete(ctx context.Context, s *Spool, rec Recorder) (Summary, error) {
	return e.run(ctx, s, rec, nil, true)
}

func (e *Engine) run(ctx context.Context, s *Spool, rec Recorder, resume Resume, del bool) (Summary, error) {
	if s == nil || s.closed {
		return Summary{}, errors.New("bulk: no spool")
	}
	if rec == nil {
		rec = nopRecorder{}
	}
	if err := s.finish(); err != nil {
		return Summary{}, err
	}
	r, err := e.newRun(rec, resume, del)
	if err != nil {
		return Summary{}, err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r.cancel = cancel
	r.start = e.o.now()
	r.sum.Total = s.Total()
	e.progress.total.Store(s.Total())

	if r.auto {
		d := r.ctrl.Decision(r.start)
		r.decided(d)
	}
	// Invalid rows first: they need no request.
	if err := s.each(-1, func(it *Item) error {
		if resume != nil && resume.Final(it.Ordinal) {
			r.resumed(1)
			return nil
		}
		return r.finish(&task{it: it}, Outcome{Status: StatusInvalid, Text: string(it.Body)})
	}); err != nil {
		r.fail(err)
	}
	for _, ph := range s.Phases() {
		if ctx.Err() != nil {
			break
		}
		r.phase(ctx, s, ph)
	}
	return r.summary(s), r.err()
}

// run is the state of one Load or Delete.
type run struct {
	o      *options
	c      *wapi.Client
	rec    Recorder
	resume Resume
	del    bool
	auto   bool
	ctrl   *adaptive.Controller
	lim    *adaptive.Limiter
	jitter jitter // of the backoff between attempts

	cancel  context.CancelCauseFunc
	errMu   sync.Mutex
	fatal   error
	start   time.Time
	sum     Summary
	counts  [7]atomic.Int64
	resumeN atomic.Int64
	reqs    atomic.Int64
	writes  atomic.Int64
	lookups atomic.Int64
	retries atomic.Int64
	isol    atomic.Int64
	backoff atomic.Int64
	decs    atomic.Int64
	lat     hist

	setMu            sync.Mutex
	minL, maxL, minB int
	maxB, curL, curB int
	workers          int
	progress         *Progress
}

func (e *Engine) newRun(rec Recorder, resume Resume, del bool) (*run, error) {
	o := &e.o
	conc, batch, workers := o.plan()
	copts := append([]adaptive.Option{}, o.ctrlOpts...)
	copts = append(copts, adaptive.WithSeed(o.seed|1))
	if o.clientTO > 0 {
		copts = append(copts, adaptive.WithClientTimeout(o.clientTO))
	}
	auto := o.strategy == Auto
	if auto {
		copts = append(copts, adaptive.WithMaxConcurrency(o.maxConc))
		if o.maxConc < adaptive.DefaultInitialConcurrency {
			copts = append(copts, adaptive.WithInitialConcurrency(o.maxConc))
		}
	} else {
		copts = append(copts, adaptive.WithMaxConcurrency(max(conc, 1)))
	}
	if conc > 0 {
		copts = append(copts, adaptive.WithFixedConcurrency(conc))
	}
	if batch > 0 {
		if batch > adaptive.DefaultMaxBatchSize {
			copts = append(copts, adaptive.WithMaxBatchSize(batch))
		}
		copts = append(copts, adaptive.WithFixedBatchSize(batch))
	}
	ctrl, err := adaptive.New(copts...)
	if err != nil {
		return nil, fmt.Errorf("bulk: controller: %w", err)
	}
	var lopts []adaptive.LimiterOption
	if o.limiterClock != nil {
		lopts = append(lopts, adaptive.WithClock(o.limiterClock))
	}
	lim, err := adaptive.NewLimiter(ctrl.Limit(), lopts...)
	if err != nil {
		return nil, fmt.Errorf("bulk: limiter: %w", err)
	}
	p := e.progress
	*p = Progress{}
	r := &run{
		o: o, c: e.c, rec: rec, resume: resume, del: del, auto: auto,
		ctrl: ctrl, lim: lim, workers: workers, progress: p,
		jitter: jitter{rng: rand.New(rand.NewPCG(o.seed, o.seed^0x9e3779b97f4a7c15))},
	}
	r.sum.Strategy = o.strategy
	r.sum.Operation = "load"
	if del {
		r.sum.Operation = "delete"
	}
	l, b := ctrl.Limit(), ctrl.BatchSize()
	r.minL, r.maxL, r.minB, r.maxB = l, l, b, b
	r.setting(l, b)
	return r, nil
}

// phase loads one phase: a dispatcher reads the phase's objects and hands groups of the
// current batch size to the workers; it returns when every group is done.
func (r *run) phase(ctx context.Context, s *Spool, ph int) {
	groups := make(chan []*task, r.workers)
	var wg sync.WaitGroup
	for range r.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for g := range groups {
				if ctx.Err() != nil {
					continue // drain: the objects stay pending
				}
				r.group(ctx, g, false)
			}
		}()
	}
	var cur []*task
	// Groups of the controller's batch size (pinned to 1 for sequential and concurrent), which
	// each task keeps: a group formed before a change of batch size is no measurement of it.
	formed := r.ctrl.BatchSize()
	err := s.each(ph, func(it *Item) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		t := &task{it: it}
		if r.resume != nil {
			if r.resume.Final(it.Ordinal) {
				r.resumed(1)
				return nil
			}
			if r.resume.InFlight(it.Ordinal) {
				t.unknown, t.maybe = true, true
			}
		}
		t.formed = formed
		cur = append(cur, t)
		if len(cur) >= formed {
			select {
			case groups <- cur:
			case <-ctx.Done():
				return ctx.Err()
			}
			cur = nil
			formed = r.ctrl.BatchSize()
		}
		return nil
	})
	if len(cur) > 0 && err == nil {
		select {
		case groups <- cur:
		case <-ctx.Done():
		}
	}
	close(groups)
	wg.Wait()
	if err != nil && ctx.Err() == nil {
		r.fail(err)
	}
}

func (r *run) resumed(n int64) {
	r.resumeN.Add(n)
	r.progress.done.Add(n)
}

// fail stops the run with err (the first error wins).
func (r *run) fail(err error) {
	r.errMu.Lock()
	if r.fatal == nil {
		r.fatal = err
	}
	r.errMu.Unlock()
	r.cancel(err)
}

func (r *run) err() error {
	r.errMu.Lock()
	defer r.errMu.Unlock()
	return r.fatal
}

func (r *run) setting(limit, batch int) {
	r.setMu.Lock()
	defer r.setMu.Unlock()
	r.minL, r.maxL = min(r.minL, limit), max(r.maxL, limit)
	r.minB, r.maxB = min(r.minB, batch), max(r.maxB, batch)
	r.curL, r.curB = limit, batch
	r.progress.limit.Store(int64(limit))
	r.progress.batch.Store(int64(batch))
}

func (r *run) decided(d adaptive.Decision) {
	r.setting(d.Limit, d.BatchSize)
	if !r.auto {
		return
	}
	r.decs.Add(1)
	if err := r.rec.Decision(d); err != nil {
		r.fail(fmt.Errorf("%w: %w", ErrRecorder, err))
	}
}

func (r *run) summary(s *Spool) Summary {
	sum := r.sum
	sum.Elapsed = r.o.now().Sub(r.start)
	sum.Outcomes = map[Status]int64{}
	var n int64
	for i, st := range allStatuses {
		if c := r.counts[i].Load(); c > 0 {
			sum.Outcomes[st] = c
			n += c
		}
	}
	sum.Resumed = r.resumeN.Load()
	sum.Pending = max(s.Total()-n-sum.Resumed, 0)
	if sec := sum.Elapsed.Seconds(); sec > 0 {
		sum.Rate = float64(n) / sec
	}
	sum.Requests, sum.Writes, sum.Lookups = r.reqs.Load(), r.writes.Load(), r.lookups.Load()
	sum.Retries, sum.Isolation = r.retries.Load(), r.isol.Load()
	sum.Backoff = time.Duration(r.backoff.Load())
	sum.P50, sum.P95, sum.P99 = r.lat.quantile(0.50), r.lat.quantile(0.95), r.lat.quantile(0.99)
	r.setMu.Lock()
	sum.Concurrency, sum.MinConcurrency, sum.MaxConcurrency = r.curL, r.minL, r.maxL
	sum.BatchSize, sum.MinBatchSize, sum.MaxBatchSize = r.curB, r.minB, r.maxB
	r.setMu.Unlock()
	sum.Decisions = r.decs.Load()
	return sum
}

var allStatuses = [...]Status{StatusCreated, StatusExisted, StatusUpdated, StatusFailed, StatusInvalid, StatusDeleted, StatusNotFound}

func statusIndex(s Status) int {
	for i, x := range allStatuses {
		if x == s {
			return i
		}
	}
	return 3
}
