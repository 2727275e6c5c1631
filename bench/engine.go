package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/turbowapi/turbowapi/adaptive"
	"github.com/turbowapi/turbowapi/bulk"
	"github.com/turbowapi/turbowapi/wapi"
)

// counter is a RoundTripper that counts replies by status and requests without a reply.
type counter struct {
	rt       http.RoundTripper
	mu       sync.Mutex
	status   map[int]int
	errors   int
	firstErr string
	requests atomic.Int64
}

func (c *counter) RoundTrip(req *http.Request) (*http.Response, error) {
	c.requests.Add(1)
	resp, err := c.rt.RoundTrip(req)
	c.mu.Lock()
	if err != nil {
		c.errors++
		if c.firstErr == "" {
			c.firstErr = err.Error()
		}
	} else {
		c.status[resp.StatusCode]++
	}
	c.mu.Unlock()
	return resp, err
}

// decisionRecorder keeps the controller's decisions; the benchmark needs no journal.
type decisionRecorder struct {
	mu        sync.Mutex
	decisions []adaptive.Decision
}

func (r *decisionRecorder) Intent([]int64) error       { return nil }
func (r *decisionRecorder) Outcome(bulk.Outcome) error { return nil }
func (r *decisionRecorder) Decision(d adaptive.Decision) error {
	r.mu.Lock()
	r.decisions = append(r.decisions, d)
	r.mu.Unlock()
	return nil
}

// engineRun is one load of the workload through the bulk engine.
type engineRun struct {
	measure
	summary   bulk.Summary
	decisions []adaptive.Decision
}

// engineLoad loads cidrs into view through the bulk engine with opts (a strategy and its
// settings), after logging in outside the timer. The engine's and the controller's time
// constants are divided by speed, so that on a simulated grid they last in grid time what
// they would last on a real one.
func (b *Bench) engineLoad(ctx context.Context, view, comment string, cidrs []string, workers int, opts ...bulk.Option) (*engineRun, error) {
	t, dials := b.grid.transport(workers, workers)
	defer t.CloseIdleConnections()
	cnt := &counter{rt: t, status: map[int]int{}}
	timeout := b.clientTimeout()
	c, err := wapi.New(b.grid.base(),
		wapi.WithHTTPClient(&http.Client{Transport: cnt}),
		wapi.WithCredentials(b.grid.User, b.grid.Password),
		wapi.WithVersion(b.grid.version()),
		wapi.WithTimeout(timeout),
		wapi.WithUserAgent(userAgent),
	)
	if err != nil {
		return nil, err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = c.Close(cctx)
	}()
	if err := c.Login(ctx); err != nil {
		return nil, fmt.Errorf("bench: login: %w", err)
	}
	sp, err := bulk.NewSpool(b.o.tempDir)
	if err != nil {
		return nil, err
	}
	defer sp.Close()
	for i, cidr := range cidrs {
		body, _ := json.Marshal(map[string]string{"network": cidr, "comment": comment, "network_view": view})
		it := &bulk.Item{
			Ordinal: int64(i + 1), Source: "bench", Line: i + 1, Type: "network", Body: body,
			Key: []bulk.Field{{Name: "network", Value: cidr}, {Name: "network_view", Value: view}},
		}
		if err := sp.Add(it); err != nil {
			return nil, err
		}
	}
	speed := b.speed()
	scale := func(d time.Duration) time.Duration { return max(time.Millisecond, time.Duration(float64(d)/speed)) }
	all := []bulk.Option{
		bulk.WithSeed(b.o.seed),
		bulk.WithClientTimeout(timeout),
		bulk.WithRetry(scale(bulk.DefaultRetryBase), scale(bulk.DefaultRetryCap), bulk.DefaultMaxAttempts),
		bulk.WithControllerOptions(
			adaptive.WithWindow(scale(adaptive.DefaultMinWindow), scale(adaptive.DefaultMaxWindow)),
			adaptive.WithKneeMemory(scale(adaptive.DefaultKneeMemory)),
			adaptive.WithMaxPause(scale(adaptive.DefaultMaxPause)),
		),
	}
	all = append(all, opts...)
	eng, err := bulk.New(c, all...)
	if err != nil {
		return nil, err
	}
	if eng.Workers() > workers {
		return nil, fmt.Errorf("bench: the engine wants %d connections, the pool has %d", eng.Workers(), workers)
	}
	rec := &decisionRecorder{}
	cnt.requests.Store(0)
	cnt.mu.Lock()
	clear(cnt.status)
	cnt.mu.Unlock()
	run := &engineRun{}
	run.start = time.Now()
	sum, err := eng.Load(ctx, sp, rec, nil)
	run.end = time.Now()
	if err != nil {
		return nil, err
	}
	if sum.Pending > 0 && ctx.Err() != nil {
		return nil, ctx.Err()
	}
	run.summary = sum
	run.decisions = rec.decisions
	run.requests = int(cnt.requests.Load())
	cnt.mu.Lock()
	run.status = cnt.status
	run.errors, run.firstErr = cnt.errors, cnt.firstErr
	cnt.mu.Unlock()
	run.created = int(sum.Outcomes[bulk.StatusCreated])
	if f := sum.Failed(); f > 0 && run.firstErr == "" {
		run.firstErr = fmt.Sprintf("%d objects failed", f)
	}
	run.connections = dials.Load()
	return run, nil
}
