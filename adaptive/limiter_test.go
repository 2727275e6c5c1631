package adaptive

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a manual clock: timers fire when Advance passes them.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at             time.Time
	f              func()
	stopped, fired bool
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		active := !t.stopped && !t.fired
		t.stopped = true
		return active
	}
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []func()
	for _, t := range c.timers {
		if !t.stopped && !t.fired && !t.at.After(c.now) {
			t.fired = true
			due = append(due, t.f)
		}
	}
	c.mu.Unlock()
	for _, f := range due {
		f()
	}
}

// waitFor polls cond, yielding to other goroutines, for at most 10 s of wall time.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		runtime.Gosched()
	}
}

func mustLimiter(t testing.TB, n int, opts ...LimiterOption) *Limiter {
	t.Helper()
	l, err := NewLimiter(n, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// acquireAsync starts an Acquire and returns a channel with its result.
func acquireAsync(ctx context.Context, l *Limiter) <-chan result {
	ch := make(chan result, 1)
	go func() {
		p, err := l.Acquire(ctx)
		ch <- result{p, err}
	}()
	return ch
}

type result struct {
	p   Permit
	err error
}

func TestLimiterFIFO(t *testing.T) {
	t.Parallel()
	l := mustLimiter(t, 1)
	ctx := context.Background()
	first, err := l.Acquire(ctx)
	if err != nil || first.InFlight() != 1 {
		t.Fatalf("first Acquire: %v, in flight %d", err, first.InFlight())
	}
	const n = 8
	order := make(chan int, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := l.Acquire(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			order <- i
			p.Release()
		}()
		waitFor(t, "the waiter to queue", func() bool { return l.Waiting() == i+1 })
	}
	// A newcomer queues behind the waiters, even when a permit is free for an instant.
	if _, ok := l.TryAcquire(); ok {
		t.Fatal("TryAcquire jumped the queue")
	}
	first.Release()
	wg.Wait()
	close(order)
	want := 0
	for got := range order {
		if got != want {
			t.Fatalf("waiter %d admitted in position %d", got, want)
		}
		want++
	}
	if l.InUse() != 0 || l.Waiting() != 0 {
		t.Fatalf("in use %d, waiting %d after all released", l.InUse(), l.Waiting())
	}
}

func TestLimiterShrinkLetsInFlightFinish(t *testing.T) {
	t.Parallel()
	l := mustLimiter(t, 4)
	var held []Permit
	for i := 0; i < 4; i++ {
		p, ok := l.TryAcquire()
		if !ok || p.InFlight() != i+1 {
			t.Fatalf("TryAcquire %d: %v, in flight %d", i, ok, p.InFlight())
		}
		held = append(held, p)
	}
	l.SetLimit(2)
	waiter := acquireAsync(context.Background(), l)
	waitFor(t, "the waiter to queue", func() bool { return l.Waiting() == 1 })
	// 4 in flight over a limit of 2: two releases admit nobody.
	held[0].Release()
	held[1].Release()
	if l.InUse() != 2 || l.Waiting() != 1 {
		t.Fatalf("after two releases: in use %d, waiting %d; want 2 and 1", l.InUse(), l.Waiting())
	}
	held[2].Release()
	r := <-waiter
	if r.err != nil || r.p.InFlight() != 2 {
		t.Fatalf("waiter: %v, in flight %d; want admitted as the second", r.err, r.p.InFlight())
	}
	if _, ok := l.TryAcquire(); ok {
		t.Fatal("admitted a third permit over a limit of 2")
	}
	held[3].Release()
	r.p.Release()
	if l.InUse() != 0 {
		t.Fatalf("in use %d", l.InUse())
	}
	l.SetLimit(0)
	if l.Limit() != 1 {
		t.Fatalf("SetLimit(0) gave %d, want 1", l.Limit())
	}
}

func TestLimiterGrowAdmitsWaiters(t *testing.T) {
	t.Parallel()
	l := mustLimiter(t, 1)
	ctx := context.Background()
	p0, _ := l.Acquire(ctx)
	var ws []<-chan result
	for i := 0; i < 3; i++ {
		ws = append(ws, acquireAsync(ctx, l))
		waitFor(t, "waiters to queue", func() bool { return l.Waiting() == i+1 })
	}
	l.Apply(Decision{Limit: 4})
	for i, w := range ws {
		r := <-w
		if r.err != nil || r.p.InFlight() != i+2 {
			t.Fatalf("waiter %d: %v, in flight %d", i, r.err, r.p.InFlight())
		}
		r.p.Release()
	}
	p0.Release()
}

func TestLimiterPause(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	l := mustLimiter(t, 2, WithClock(clk))
	start := clk.Now()
	l.Apply(Decision{Limit: 2, PauseUntil: start.Add(5 * time.Second)})
	if _, ok := l.TryAcquire(); ok {
		t.Fatal("TryAcquire admitted during a pause")
	}
	// A shorter pause does not shorten it; a past one changes nothing.
	l.PauseUntil(start.Add(time.Second))
	l.PauseUntil(start.Add(-time.Second))
	if got := l.PausedUntil(); !got.Equal(start.Add(5 * time.Second)) {
		t.Fatalf("paused until %s", got)
	}
	w1 := acquireAsync(context.Background(), l)
	w2 := acquireAsync(context.Background(), l)
	waitFor(t, "waiters to queue", func() bool { return l.Waiting() == 2 })
	clk.Advance(4 * time.Second)
	if l.Waiting() != 2 || l.InUse() != 0 {
		t.Fatalf("1 s before the end of the pause: waiting %d, in use %d", l.Waiting(), l.InUse())
	}
	// The pause grows while waiters wait: the timer moves.
	l.PauseUntil(start.Add(7 * time.Second))
	clk.Advance(time.Second)
	if l.Waiting() != 2 {
		t.Fatalf("admitted before the extended pause ended: waiting %d", l.Waiting())
	}
	clk.Advance(2 * time.Second)
	for _, w := range []<-chan result{w1, w2} {
		r := <-w
		if r.err != nil {
			t.Fatal(r.err)
		}
		r.p.Release()
	}
	if !l.PausedUntil().IsZero() {
		t.Fatalf("still paused until %s", l.PausedUntil())
	}
	if p, ok := l.TryAcquire(); !ok {
		t.Fatal("TryAcquire refused after the pause")
	} else {
		p.Release()
	}
}

func TestLimiterPauseRealClock(t *testing.T) {
	t.Parallel()
	l := mustLimiter(t, 1)
	start := time.Now()
	l.PauseUntil(start.Add(20 * time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := l.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.Release()
	if waited := time.Since(start); waited < 20*time.Millisecond {
		t.Fatalf("admitted after %s, inside a 20 ms pause", waited)
	}
}

func TestLimiterCancel(t *testing.T) {
	t.Parallel()
	l := mustLimiter(t, 1)
	done, cancelDone := context.WithCancel(context.Background())
	cancelDone()
	if _, err := l.Acquire(done); !errors.Is(err, context.Canceled) {
		t.Fatalf("Acquire with a done context: %v", err)
	}
	if l.InUse() != 0 {
		t.Fatal("a done context got a permit")
	}
	p0, _ := l.Acquire(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	w := acquireAsync(ctx, l)
	behind := acquireAsync(context.Background(), l)
	waitFor(t, "waiters to queue", func() bool { return l.Waiting() == 2 })
	cancel()
	if r := <-w; !errors.Is(r.err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v", r.err)
	}
	waitFor(t, "the cancelled waiter to leave", func() bool { return l.Waiting() == 1 })
	p0.Release()
	r := <-behind
	if r.err != nil || r.p.InFlight() != 1 {
		t.Fatalf("waiter behind the cancelled one: %v, in flight %d", r.err, r.p.InFlight())
	}
	r.p.Release()
	if l.InUse() != 0 || l.Waiting() != 0 {
		t.Fatalf("in use %d, waiting %d", l.InUse(), l.Waiting())
	}
	var zero Permit
	zero.Release() // no-op
	defer func() {
		if recover() == nil {
			t.Fatal("releasing more than granted did not panic")
		}
	}()
	r.p.Release()
}

// TestLimiterCancelRace cancels waiters while permits are released to them: no permit may be
// lost or granted twice.
func TestLimiterCancelRace(t *testing.T) {
	t.Parallel()
	l := mustLimiter(t, 1)
	for i := 0; i < 500; i++ {
		p, _ := l.Acquire(context.Background())
		ctx, cancel := context.WithCancel(context.Background())
		w := acquireAsync(ctx, l)
		waitFor(t, "the waiter to queue", func() bool { return l.Waiting() == 1 })
		go cancel()
		p.Release()
		if r := <-w; r.err == nil {
			r.p.Release()
		}
		cancel()
		if l.InUse() != 0 || l.Waiting() != 0 {
			t.Fatalf("round %d: in use %d, waiting %d", i, l.InUse(), l.Waiting())
		}
	}
}

// TestLimiterStress runs many goroutines through a limit that changes all the time, and checks
// that once a shrink has completed the permits in use never exceed the limit.
func TestLimiterStress(t *testing.T) {
	t.Parallel()
	before := runtime.NumGoroutine()
	clk := newFakeClock()
	l := mustLimiter(t, 4, WithClock(clk))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var admitted atomic.Int64
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				p, err := l.Acquire(ctx)
				if err != nil {
					return
				}
				if n := p.InFlight(); n < 1 || n > 8 {
					t.Errorf("in flight %d outside [1, 8]", n)
				}
				admitted.Add(1)
				runtime.Gosched()
				p.Release()
			}
		}()
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 300; round++ {
		n := 1 + rng.IntN(8)
		l.SetLimit(n)
		if rng.IntN(10) == 0 {
			l.PauseUntil(clk.Now().Add(time.Second))
			clk.Advance(time.Second)
		}
		// Wait for the shrink to complete, then check the bound for a while.
		waitFor(t, "in-use to fall under the limit", func() bool {
			l.mu.Lock()
			defer l.mu.Unlock()
			return l.inUse <= l.limit
		})
		for i := 0; i < 20; i++ {
			l.mu.Lock()
			inUse, limit := l.inUse, l.limit
			l.mu.Unlock()
			if inUse > limit {
				t.Fatalf("round %d: %d permits in use over a limit of %d after the shrink completed", round, inUse, limit)
			}
			runtime.Gosched()
		}
	}
	cancel()
	l.SetLimit(8)
	wg.Wait()
	if l.InUse() != 0 || l.Waiting() != 0 {
		t.Fatalf("after the stress: in use %d, waiting %d", l.InUse(), l.Waiting())
	}
	if admitted.Load() < 300 {
		t.Fatalf("only %d admissions", admitted.Load())
	}
	waitFor(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
}

func TestNewLimiterOptions(t *testing.T) {
	t.Parallel()
	if _, err := NewLimiter(0); err == nil {
		t.Error("NewLimiter(0) accepted")
	}
	if _, err := NewLimiter(1, WithClock(nil)); err == nil {
		t.Error("WithClock(nil) accepted")
	}
	if _, err := NewLimiter(1, nil); err == nil {
		t.Error("nil option accepted")
	}
}

func BenchmarkLimiterAcquireRelease(b *testing.B) {
	ctx := context.Background()
	b.Run("uncontended", func(b *testing.B) {
		l := mustLimiter(b, 16)
		b.ReportAllocs()
		for b.Loop() {
			p, err := l.Acquire(ctx)
			if err != nil {
				b.Fatal(err)
			}
			p.Release()
		}
	})
	for _, limit := range []int{1, 4} {
		b.Run("parallel-limit-"+strconv.Itoa(limit), func(b *testing.B) {
			l := mustLimiter(b, limit)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					p, err := l.Acquire(ctx)
					if err != nil {
						b.Fatal(err)
					}
					p.Release()
				}
			})
		})
	}
}
