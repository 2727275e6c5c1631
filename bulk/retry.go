package bulk

import (
	"context"
	"errors"
	"iter"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/turbowapi/turbowapi/wapi"
)

// jitter is the random source of a backoff, safe for concurrent use.
type jitter struct {
	mu  sync.Mutex
	rng *rand.Rand
}

// backoff returns the wait before retry n (1 for the first) after err: a random time in
// [0, min(cap, base·2^(n−1))], and at least the Retry-After the grid asked for.
func (j *jitter) backoff(o *options, n int, err error) time.Duration {
	d := o.retryCap
	if n-1 < 30 {
		if x := o.retryBase << (n - 1); x > 0 && x < d {
			d = x
		}
	}
	j.mu.Lock()
	d = time.Duration(j.rng.Int64N(int64(d) + 1))
	j.mu.Unlock()
	if ra, ok := wapi.RetryAfter(err); ok && ra > d {
		d = ra
	}
	return d
}

// retry calls fn until it succeeds, fails with an error that is not transient, ctx ends, or
// it has been called attempts times, and returns fn's last error. Before each further call it
// calls wait with the number of the call that failed and its error; an error from wait (ctx
// ended while waiting) stops it.
func retry(ctx context.Context, attempts int, fn func(context.Context) error, wait func(n int, err error) error) error {
	for n := 1; ; n++ {
		err := fn(ctx)
		if err == nil || ctx.Err() != nil || !errors.Is(err, wapi.ErrTransient) || n >= attempts {
			return err
		}
		if wait(n, err) != nil {
			return err
		}
	}
}

// Retry calls fn until it succeeds, fails with an error that is not transient (see
// [wapi.ErrTransient]; a failed login wrapping a transient failure is transient), or has
// been called as many times as an object's writes may be ([WithRetry]), waiting between calls
// as between write attempts: a random time in [0, min(cap, base·2^(n−1))], at least the
// grid's Retry-After. It returns fn's last error, also when ctx ends (while fn runs or while
// it waits).
//
// fn must be safe to repeat whatever happened to an earlier call: a login, a search, a read.
// Never a create: a create whose reply was lost is what [Engine.Load] looks up first.
// Retry is safe for concurrent use.
func (e *Engine) Retry(ctx context.Context, fn func(context.Context) error) error {
	return retry(ctx, e.o.maxAttempts, fn, func(n int, err error) error {
		d := e.jitter.backoff(&e.o, n, err)
		if e.o.logger != nil {
			e.o.logger.DebugContext(ctx, "bulk: retrying after a transient failure", "attempt", n, "wait", d, "err", err)
		}
		return e.o.sleep(ctx, d)
	})
}

// SearchAll is [wapi.Client.SearchAll] whose pages are read with [Engine.Retry]: a page whose
// read failed with a transient error is read again from the same page id, so an export or a
// delete by search rides through the faults a load rides through. The iteration stops at the
// first error that is not transient or outlasts the retries, which it yields with a nil
// Object; breaking out of the loop stops reading pages.
func (e *Engine) SearchAll(ctx context.Context, typ string, q *wapi.Query, pageSize int) iter.Seq2[wapi.Object, error] {
	return wapi.FollowPages(func(pageID string) (wapi.Page[wapi.Object], error) {
		var p wapi.Page[wapi.Object]
		err := e.Retry(ctx, func(ctx context.Context) error {
			var err error
			p, err = e.c.SearchPage(ctx, typ, q, pageSize, pageID)
			return err
		})
		return p, err
	})
}
