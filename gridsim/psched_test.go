package gridsim

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The processor-sharing logic with the time given by hand (no sleeping).

func TestPSchedShares(t *testing.T) {
	t.Parallel()
	ms := int64(time.Millisecond)
	prof := Profile{Sigma: 0.5}
	p := newPSched(prof.Slowdown) // Slowdown(2) = 1.5
	a, b, c := &psJob{ch: make(chan struct{}, 1)}, &psJob{ch: make(chan struct{}, 1)}, &psJob{ch: make(chan struct{}, 1)}
	p.mu.Lock()
	defer p.mu.Unlock()
	defer p.timer.Stop()
	p.late = 0
	// Two requests of 10 ms enter at 0: each progresses at 1/1.5, so both end at 15 ms.
	p.n = 2
	p.add(0, a, float64(10*ms), 0)
	p.add(0, b, float64(10*ms), 0)
	if at, ok := p.next(0); !ok || at != 15*ms {
		t.Fatalf("next completion at %v, want 15ms", time.Duration(at))
	}
	// At 6 ms (4 ms of work done each) one leaves early (cancelled): the other speeds up to
	// rate 1 and needs 6 ms more: it ends at 12 ms.
	p.advance(6 * ms)
	p.remove(b)
	p.n = 1
	if at, _ := p.next(6 * ms); at != 12*ms {
		t.Fatalf("after a departure: next at %v, want 12ms", time.Duration(at))
	}
	// A third of 1 ms arrives at 8 ms, having spent nothing yet: both run at 1/1.5. It ends
	// first, at 9.5 ms; a has then 4 - 1 = 3 ms of work left, alone: it ends at 12.5 ms.
	p.advance(8 * ms)
	p.n = 2
	p.add(8*ms, c, float64(1*ms), 0)
	if at, _ := p.next(8 * ms); at != 9*ms+ms/2 {
		t.Fatalf("with an arrival: next at %v, want 9.5ms", time.Duration(at))
	}
	if k := p.due(9*ms+ms/2, 0); k != 1 || c.idx != -1 {
		t.Fatalf("at 9.5 ms %d done, want c only", k)
	}
	p.n = 1
	if at, _ := p.next(9*ms + ms/2); at != 12*ms+ms/2 {
		t.Fatalf("after c: next at %v, want 12.5ms", time.Duration(at))
	}
	if k := p.due(12*ms+ms/2, 0); k != 1 || len(p.jobs) != 0 {
		t.Fatalf("at 12.5 ms %d done, %d left", k, len(p.jobs))
	}
	// Time spent in service before the cost is charged counts: 10 ms of work with 4 ms
	// already spent alone ends 6 ms later.
	p.add(20*ms, a, float64(10*ms), 4*ms)
	if at, _ := p.next(20 * ms); at != 26*ms {
		t.Fatalf("with time spent: next at %v, want 26ms", time.Duration(at))
	}
}

func TestPSchedHeap(t *testing.T) {
	t.Parallel()
	p := newPSched(func(int) float64 { return 1 })
	defer p.timer.Stop()
	var jobs []*psJob
	// The lock is held throughout: add arms the timer, and its firing (on the real clock,
	// far past these nanoseconds of work) would pop jobs between the test's steps.
	p.mu.Lock()
	for _, w := range []float64{5, 3, 9, 1, 7, 2, 8} {
		j := &psJob{ch: make(chan struct{}, 1)}
		jobs = append(jobs, j)
		p.add(0, j, w, 0)
	}
	p.remove(jobs[2]) // 9
	p.remove(jobs[3]) // 1
	var got []float64
	for len(p.jobs) > 0 {
		got = append(got, p.pop().tag)
	}
	p.mu.Unlock()
	want := []float64{2, 3, 5, 7, 8}
	if len(got) != len(want) {
		t.Fatalf("popped %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("popped %v, want %v", got, want)
		}
	}
}

// TestPSchedCancel: run returns false at once when its context ends, and the job leaves.
func TestPSchedCancel(t *testing.T) {
	t.Parallel()
	p := newPSched(func(int) float64 { return 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	if p.run(ctx, float64(time.Hour), p.now()) {
		t.Fatal("an hour of work finished")
	}
	if d := time.Since(t0); d > 5*time.Second {
		t.Fatalf("cancellation took %v", d)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.jobs) != 0 || p.armed != 0 {
		t.Fatalf("%d jobs left, timer armed %v", len(p.jobs), p.armed)
	}
}

// TestRestartReloadsFromDisk: the restart that ends an outage rebuilds memory from the
// database: an object slipped into memory alone is gone, the committed ones are back.
func TestRestartReloadsFromDisk(t *testing.T) {
	t.Parallel()
	s, err := New(WithUser("admin", "infoblox"), WithDataDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	post := func(body string) int {
		req := httptest.NewRequest("POST", "/wapi/v2.11/network", strings.NewReader(body))
		req.SetBasicAuth("admin", "infoblox")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec.Code
	}
	if c := post(`{"network":"10.0.0.0/24"}`); c != http.StatusCreated {
		t.Fatalf("create: %d", c)
	}
	load(t, s, 5, 1) // 10.0.5.0/24 in memory only, never committed
	old := s.st
	if n := old.counts[s.ty.byName["network"].index]; n != 2 {
		t.Fatalf("%d networks in memory before the restart", n)
	}
	if err := s.restart(); err != nil {
		t.Fatal(err)
	}
	if s.st == old {
		t.Fatal("the store was not rebuilt")
	}
	ty := s.ty.byName["network"]
	if n := s.st.counts[ty.index]; n != 1 {
		t.Fatalf("%d networks after the restart, want the committed one", n)
	}
	if c := post(`{"network":"10.0.5.0/24"}`); c != http.StatusCreated {
		t.Fatalf("the uncommitted network survived the restart: %d", c)
	}
	if c := post(`{"network":"10.0.0.0/24"}`); c != http.StatusBadRequest {
		t.Fatalf("the committed network is missing after the restart: %d", c)
	}
}

// TestGateAllocs: charging a request's cost (admit and done, with a fault draw, jitter and
// processor sharing) allocates nothing once warm.
func TestGateAllocs(t *testing.T) {
	fs, err := ParseFaults("spike=0.001:1ms@100h+1s")
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(WithProfile(Profile{Name: "a", RequestMS: 0.02, ObjectMS: 0.01, Sigma: 0.1, Jitter: 0.1}),
		WithFaults(fs))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	ri := &requestInfo{kind: kindCreate, items: 1, writes: 1}
	step := func() {
		ri.seq++
		ri.arrived = s.sim.ps.now()
		if e := s.gate.admit(ctx, ri); e != nil {
			t.Fatal(e)
		}
		if e := s.gate.done(ctx, ri); e != nil {
			t.Fatal(e)
		}
	}
	for range 100 {
		step()
	}
	if a := testing.AllocsPerRun(200, step); a > 0.5 {
		t.Fatalf("%.2f allocations per request", a)
	}
}
