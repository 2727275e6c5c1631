package gridsim

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// simGate is the gate of a grid with a cost profile or faults (gate.go): admit draws the
// request's fault, refuses what the grid would refuse (overload, batch too large) and counts
// the request in service; done charges its service time, then loses the reply if the fault
// says so.
type simGate struct {
	s      *Server
	prof   Profile
	speed  float64
	seed   int64
	faults FaultSpec
	start  time.Time // the server's start, on its clock (fault windows)
	ps     *psched
	// The grid-wide writer of serial_writes: a queue served in arrival order, computed
	// rather than locked: writerFree is when (on ps's clock) the writer finishes the last
	// write queued.
	writerMu   sync.Mutex
	writerFree int64

	counts    [len(faultKinds)]atomic.Int64
	serviceNS atomic.Int64 // wall time spent in modelled service

	outMu     sync.Mutex
	outages   []outageState // one per outage fault, in spec order; never grows after newSimGate
	restarts  atomic.Int64
	anyOutage bool
}

type outageState struct {
	w       Window
	started atomic.Int64 // last occurrence whose start was handled (sessions dropped); -1: none
	ended   atomic.Int64 // last occurrence whose end was handled (restart); -1: none
}

func newSimGate(s *Server, start time.Time) *simGate {
	o := &s.opts
	g := &simGate{s: s, prof: o.profile, speed: o.speed, seed: o.seed, faults: o.faults, start: start}
	g.ps = newPSched(g.prof.Slowdown)
	for _, f := range g.faults.Faults {
		if f.Kind == FaultOutage {
			g.outages = append(g.outages, outageState{w: f.When})
			o := &g.outages[len(g.outages)-1]
			o.started.Store(-1)
			o.ended.Store(-1)
			g.anyOutage = true
		}
	}
	return g
}

func (g *simGate) count(k FaultKind) { g.counts[faultIndex(k)].Add(1) }

// admit runs before execution: a rated fault, the batch cap, then overload.
func (g *simGate) admit(_ context.Context, ri *requestInfo) *apiError {
	if f := g.faults.pick(g.seed, ri.seq, g.s.opts.now().Sub(g.start)); f != nil {
		switch f.Kind {
		case Fault503, Fault503RA, Fault429:
			g.count(f.Kind)
			status := 503
			if f.Kind == Fault429 {
				status = 429
			}
			return statusPage(status, int(f.Param/time.Second)) // no Retry-After: Param is 0 for 503
		case FaultReset:
			g.count(f.Kind)
			return resetConn
		case FaultLost:
			ri.lost = true
		case FaultSpike:
			ri.spike = f.Param
		}
	}
	if ri.kind == kindBatch && g.s.opts.maxBatch > 0 && ri.items > g.s.opts.maxBatch {
		return batchTooLarge(ri.items, g.s.opts.maxBatch)
	}
	if !g.ps.enter(g.ps.now(), g.prof.OverloadAt) {
		g.count(FaultOverload)
		return statusPage(503, int(DefaultRetryAfter/time.Second))
	}
	return nil
}

// done runs after execution: the request's service time, under processor sharing, then the
// serial write part and a spike; a lost reply resets the connection.
func (g *simGate) done(ctx context.Context, ri *requestInfo) *apiError {
	t0 := time.Now()
	p := &g.prof
	ms := p.RequestMS + p.ReadMS*float64(ri.returned)
	if ri.basic {
		ms += p.AuthMS
	}
	if ri.firstReq {
		ms += p.ConnectMS
	}
	wms := p.ObjectMS * float64(ri.writes)
	if !p.SerialWrites {
		ms, wms = ms+wms, 0
	}
	scale := float64(time.Millisecond) / g.speed
	if p.Jitter > 0 {
		scale *= 1 + p.Jitter*(2*draw(g.seed, ri.seq, 1)-1)
	}
	ok := g.ps.run(ctx, ms*scale, ri.arrived)
	if ok && wms > 0 {
		ok = g.serialWrite(ctx, wms*scale)
	}
	if ok && ri.spike > 0 {
		g.count(FaultSpike)
		sleepCtx(ctx, ri.spike)
	}
	g.ps.leave(g.ps.now())
	g.serviceNS.Add(int64(time.Since(t0)))
	if ri.lost {
		g.count(FaultLost)
		return resetConn
	}
	return nil
}

// serialWrite runs w nanoseconds of work on the grid-wide writer, as under a lock taken in
// arrival order: the write starts when the writer is free and the request waits until the
// write's end. Ends are computed from the previous write's end, not from when its request
// woke up, so the machine's timer lateness never slows the writer down. A write whose client
// goes away keeps its turn.
func (g *simGate) serialWrite(ctx context.Context, w float64) bool {
	now := g.ps.now()
	g.writerMu.Lock()
	end := max(now, g.writerFree) + int64(w)
	g.writerFree = end
	g.writerMu.Unlock()
	return sleepCtx(ctx, time.Duration(end-now))
}

// sleepCtx waits for d or until ctx ends (then false).
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := timerPool.Get().(*time.Timer)
	t.Reset(d)
	defer func() {
		t.Stop()
		timerPool.Put(t)
	}()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

var timerPool = sync.Pool{New: func() any {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}}

// inOutage handles the outages at now: it reports whether the grid is down, drops the sessions
// when an outage starts and restarts the grid (reloading the objects from disk when there is
// a data directory) when one ends, before the first request that follows it.
func (g *simGate) inOutage(now time.Time) bool {
	if !g.anyOutage {
		return false
	}
	elapsed := now.Sub(g.start)
	down := false
	for i := range g.outages {
		o := &g.outages[i]
		k, on := o.w.occurrence(elapsed)
		if k < 0 {
			continue
		}
		down = down || on
		if k > o.started.Load() || (!on && k > o.ended.Load()) {
			g.transition(i, k, on)
		}
	}
	return down
}

func (g *simGate) transition(i int, k int64, on bool) {
	g.outMu.Lock()
	defer g.outMu.Unlock()
	o := &g.outages[i]
	if k > o.started.Load() {
		o.started.Store(k)
		g.count(FaultOutage)
		g.s.sess.endAll()
		g.s.log.Warn("gridsim: outage: the grid stops answering", "occurrence", k+1)
	}
	if !on && k > o.ended.Load() {
		o.ended.Store(k)
		g.restarts.Add(1)
		g.s.sess.endAll()
		if err := g.s.restart(); err != nil {
			g.s.log.Error("gridsim: restart after an outage failed", "err", err)
		}
		g.s.log.Warn("gridsim: outage over: the grid is back", "occurrence", k+1)
	}
}
