package bulk

import (
	"context"
	"errors"
	"iter"
	"math/rand/v2"
	"sync"

	"github.com/turbowapi/turbowapi/wapi"
)

// retrier repeats calls that are safe to repeat (reads, logins) with the engine's backoff.
type retrier struct {
	mu  sync.Mutex
	rng *rand.Rand
}

// Retry calls fn until it succeeds, fails with an error that is not transient (see
// [wapi.ErrTransient]; a failed login wrapping a transient failure is transient), or has
// been called as many times as an object's writes may be ([WithRetry]), waiting between calls
// as between write attempts: a random time in [0, min(cap, base·2^(n−1))], at least the
// grid's Retry-After. It returns fn's last error, or ctx's error if ctx ends while waiting.
//
// fn must be safe to repeat whatever happened to an earlier call: a login, a search, a read.
// Never a create: a create whose reply was lost is what [Engine.Load] looks up first.
// Retry is safe for concurrent use.
func (e *Engine) Retry(ctx context.Context, fn func(context.Context) error) error {
	for n := 1; ; n++ {
		err := fn(ctx)
		if err == nil || ctx.Err() != nil || !errors.Is(err, wapi.ErrTransient) || n >= e.o.maxAttempts {
			return err
		}
		e.retry.mu.Lock()
		d := e.o.backoff(n, err, e.retry.rng)
		e.retry.mu.Unlock()
		if e.o.logger != nil {
			e.o.logger.DebugContext(ctx, "bulk: retrying after a transient failure", "attempt", n, "wait", d, "err", err)
		}
		if serr := e.o.sleep(ctx, d); serr != nil {
			return err
		}
	}
}

// SearchAll is [wapi.Client.SearchAll] whose pages are read with [Engine.Retry]: a page whose
// read failed with a transient error is read again from the same page id, so an export or a
// delete by search rides through the faults a load rides through. The iteration stops at the
// first error that is not transient or outlasts the retries, which it yields with a nil
// Object; breaking out of the loop stops reading pages.
func (e *Engine) SearchAll(ctx context.Context, typ string, q *wapi.Query, pageSize int) iter.Seq2[wapi.Object, error] {
	return func(yield func(wapi.Object, error) bool) {
		pageID := ""
		for {
			var p wapi.Page[wapi.Object]
			err := e.Retry(ctx, func(ctx context.Context) error {
				var err error
				p, err = e.c.SearchPage(ctx, typ, q, pageSize, pageID)
				return err
			})
			if err != nil {
				yield(nil, err)
				return
			}
			for _, o := range p.Objects {
				if !yield(o, nil) {
					return
				}
			}
			if p.NextPageID == "" {
				return
			}
			pageID = p.NextPageID
		}
	}
}
