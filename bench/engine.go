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
	// gridStart is the grid clock's reading when the load started: the decisions' times are
	// on that clock.
	gridStart time.Time
}

// gridClock is the time of a simulated grid: it runs speed times faster than the wall clock
// from its start. The bulk engine, its controller and its limiter run on it, so that every
// time constant of theirs (measurement windows, knee memory, pauses, retry backoff, the
// latency budget) and every Retry-After the grid asks for last in grid time what they would
// last on a real grid. On a real grid the speed is 1 and it is the wall clock.
type gridClock struct {
	t0    time.Time
	speed float64
}

func newGridClock(speed float64) *gridClock { return &gridClock{t0: time.Now(), speed: speed} }

// Now returns the grid time.
func (g *gridClock) Now() time.Time {
	return g.t0.Add(time.Duration(float64(time.Since(g.t0)) * g.speed))
}

// wall converts a grid duration to wall time.
func (g *gridClock) wall(d time.Duration) time.Duration { return time.Duration(float64(d) / g.speed) }

// AfterFunc calls f after d of grid time.
func (g *gridClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(g.wall(d), f).Stop
}

// Sleep waits for d of grid time, or until ctx ends.
func (g *gridClock) Sleep(ctx context.Context, d time.Duration) error {
	return sleep(ctx, g.wall(d))
}

// engineLoad loads cidrs into view through the bulk engine with opts (a strategy and its
// settings), after logging in outside the timer. The engine runs on the grid's clock
// (gridClock); only the wapi client's timeout is in wall time.
func (b *Bench) engineLoad(ctx context.Context, view, comment string, cidrs []string, workers int, opts ...bulk.Option) (*engineRun, error) {
	t, dials := b.grid.transport(workers, workers)
	defer t.CloseIdleConnections()
	cnt := &counter{rt: t, status: map[int]int{}}
	c, err := b.grid.wapiClient(cnt, b.clientTimeout())
	if err != nil {
		return nil, err
	}
	defer closeClient(ctx, c)
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
	gc := newGridClock(b.speed())
	all := []bulk.Option{
		bulk.WithSeed(b.o.seed),
		bulk.WithClientTimeout(b.o.timeout),
		bulk.WithClock(gc.Now),
		bulk.WithLimiterClock(gc),
		bulk.WithSleep(gc.Sleep),
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
	run := &engineRun{gridStart: gc.Now()}
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
