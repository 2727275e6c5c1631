package gridsim

import (
	"context"
	"sync"
	"time"
)

// psched serves requests by processor sharing: every request in service progresses at the
// same rate, 1/Slowdown(n) units of work per unit of time, n being the number of requests in
// service at that instant. A request of work w (its service time alone) therefore takes w
// when it is alone and w·Slowdown(c) when c requests stay in service with it; when n changes
// (an arrival, a departure) every request in service slows down or speeds up at once.
//
// It keeps a virtual clock v (work done by each request since the last time the system was
// empty): a request arriving at v with work w finishes when v reaches v+w, so the requests
// finish in the order of these tags and one timer, armed for the smallest tag, drives them
// all. The timer is armed a little early, by the mean lateness of the machine (an
// exponentially weighted average of the time from when the timer was meant to fire to when
// the finished request's goroutine runs again), so that completions are late by about
// nothing on average instead of by the timer's granularity and the goroutine switches.
//
// The logic takes the time as an argument (mono nanoseconds since the scheduler was made);
// only run and the timer read the real clock.
type psched struct {
	slow func(n int) float64

	mu    sync.Mutex
	n     int     // requests in service (entered, not yet left)
	v     float64 // virtual work per request, nanoseconds
	at    int64   // time of the last advance
	jobs  []*psJob
	timer *time.Timer
	armed int64   // when the timer should fire; 0 if not armed
	late  float64 // mean lateness of the timer, nanoseconds

	base time.Time
	pool sync.Pool
}

type psJob struct {
	tag   float64
	idx   int   // index in jobs; -1 once finished
	armed int64 // when the timer that finished it was meant to fire
	ch    chan struct{}
}

const maxLate = float64(2 * time.Millisecond)

func newPSched(slow func(int) float64) *psched {
	p := &psched{slow: slow, base: time.Now()}
	p.pool.New = func() any { return &psJob{ch: make(chan struct{}, 1)} }
	p.timer = time.AfterFunc(time.Hour, p.fire)
	p.timer.Stop()
	return p
}

func (p *psched) now() int64 { return int64(time.Since(p.base)) }

// inService returns the number of requests in service.
func (p *psched) inService() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// enter counts a request in service unless limit > 0 and limit are already in service.
func (p *psched) enter(now int64, limit int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if limit > 0 && p.n >= limit {
		return false
	}
	p.advance(now)
	p.n++
	p.rearm(now)
	return true
}

// leave ends a request's time in service.
func (p *psched) leave(now int64) {
	p.mu.Lock()
	p.advance(now)
	p.n--
	p.rearm(now)
	p.mu.Unlock()
}

// advance moves the virtual clock to now at the current rate.
func (p *psched) advance(now int64) {
	if len(p.jobs) > 0 && now > p.at {
		p.v += float64(now-p.at) / p.slow(p.n)
	}
	p.at = now
}

// add queues a job of work w (nanoseconds) at now, less the work it received in the spent
// nanoseconds it has already been in service (processing before the cost is charged).
func (p *psched) add(now int64, j *psJob, w float64, spent int64) {
	p.advance(now)
	w -= float64(spent) / p.slow(p.n)
	j.tag = p.v + max(w, 0)
	p.push(j)
	p.rearm(now)
}

// due pops the jobs finished at now (within the expected lateness) and returns how many it
// signalled; armed is when the timer was meant to fire.
func (p *psched) due(now, armed int64) int {
	p.advance(now)
	tol := p.late / p.slow(p.n)
	k := 0
	for len(p.jobs) > 0 && p.jobs[0].tag <= p.v+tol {
		j := p.pop()
		j.armed = armed
		j.ch <- struct{}{}
		k++
	}
	return k
}

// next returns when the timer should fire for the first job to finish (time, true), or false
// when there is none.
func (p *psched) next(now int64) (int64, bool) {
	if len(p.jobs) == 0 {
		return 0, false
	}
	at := now + int64((p.jobs[0].tag-p.v)*p.slow(p.n)) - int64(p.late)
	return max(at, now), true
}

func (p *psched) rearm(now int64) {
	at, ok := p.next(now)
	if !ok {
		if p.armed != 0 {
			p.timer.Stop()
			p.armed = 0
		}
		p.v = 0 // a new epoch: keeps the virtual clock small
		return
	}
	if at == p.armed {
		return
	}
	p.armed = at
	p.timer.Reset(time.Duration(at - now))
}

func (p *psched) fire() {
	p.mu.Lock()
	now := p.now()
	if p.armed == 0 || now < p.armed {
		// A stale firing: the timer was stopped or re-armed for later meanwhile.
		p.mu.Unlock()
		return
	}
	armed := p.armed
	p.armed = 0
	p.due(now, armed)
	p.rearm(now)
	p.mu.Unlock()
}

// run serves work w (nanoseconds) for a request that has been in service since arrived (a
// p.now() reading), and returns when it is done or ctx ends (then false).
func (p *psched) run(ctx context.Context, w float64, arrived int64) bool {
	if w <= 0 {
		return true
	}
	j := p.pool.Get().(*psJob)
	p.mu.Lock()
	now := p.now()
	p.add(now, j, w, now-arrived)
	p.mu.Unlock()
	ok := true
	select {
	case <-j.ch:
		woke := p.now()
		p.mu.Lock()
		p.late += (min(max(float64(woke-j.armed), 0), maxLate) - p.late) / 8
		p.mu.Unlock()
	case <-ctx.Done():
		p.mu.Lock()
		if j.idx >= 0 {
			p.remove(j)
			p.rearm(p.now())
		} else {
			<-j.ch // finished at the same moment: drain the signal
		}
		p.mu.Unlock()
		ok = false
	}
	p.pool.Put(j)
	return ok
}

// A binary min-heap on tag.

func (p *psched) push(j *psJob) {
	j.idx = len(p.jobs)
	p.jobs = append(p.jobs, j)
	p.up(j.idx)
}

func (p *psched) pop() *psJob {
	j := p.jobs[0]
	last := len(p.jobs) - 1
	p.swap(0, last)
	p.jobs[last] = nil
	p.jobs = p.jobs[:last]
	if last > 0 {
		p.down(0)
	}
	j.idx = -1
	return j
}

func (p *psched) remove(j *psJob) {
	i := j.idx
	last := len(p.jobs) - 1
	if i != last {
		p.swap(i, last)
	}
	p.jobs[last] = nil
	p.jobs = p.jobs[:last]
	if i != last {
		p.down(i)
		p.up(i)
	}
	j.idx = -1
}

func (p *psched) swap(a, b int) {
	p.jobs[a], p.jobs[b] = p.jobs[b], p.jobs[a]
	p.jobs[a].idx = a
	p.jobs[b].idx = b
}

func (p *psched) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if p.jobs[parent].tag <= p.jobs[i].tag {
			return
		}
		p.swap(i, parent)
		i = parent
	}
}

func (p *psched) down(i int) {
	n := len(p.jobs)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && p.jobs[r].tag < p.jobs[l].tag {
			m = r
		}
		if p.jobs[i].tag <= p.jobs[m].tag {
			return
		}
		p.swap(i, m)
		i = m
	}
}
