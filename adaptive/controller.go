package adaptive

import (
	"math"
	"slices"
	"sync"
	"time"
)

type phase uint8

const (
	phaseStartup phase = iota
	phaseSteady
)

// kind is a kind of probe: one step of the limit or of the batch size, up or down.
type kind uint8

const (
	kindNone kind = iota
	kindUp
	kindDown
	kindBatchUp
	kindBatchDown
)

func (k kind) batch() bool { return k == kindBatchUp || k == kindBatchDown }

func (k kind) opposite() kind {
	switch k {
	case kindUp:
		return kindDown
	case kindDown:
		return kindUp
	case kindBatchUp:
		return kindBatchDown
	case kindBatchDown:
		return kindBatchUp
	}
	return kindNone
}

func (k kind) reason() Reason {
	switch k {
	case kindUp:
		return ReasonProbeUp
	case kindDown:
		return ReasonProbeDown
	case kindBatchUp:
		return ReasonBatchUp
	case kindBatchDown:
		return ReasonBatchDown
	}
	return ReasonHold
}

// level is the reference measurement of the current setting (limit and batch size).
type level struct {
	x float64       // goodput, averaged over the windows at this setting
	r time.Duration // lowest window median latency at this setting
	n int           // windows folded in; 0 = no reference yet
}

func (l *level) fold(w Window) {
	if l.n == 0 {
		l.x, l.r = w.Estimate, w.Latency
	} else {
		a := max(refAlpha, 1/float64(l.n+1))
		l.x += a * (w.Estimate - l.x)
		l.r = min(l.r, w.Latency)
	}
	l.n++
}

// probeAcc accumulates the windows of a probe.
type probeAcc struct {
	windows int
	acc     littleAcc
}

// littleAcc accumulates what Little's law needs to estimate goodput: the objects of OK
// attempts, the busy time and the in-flight count of every measured attempt (OK or ignored,
// both hold a permit). Goodput ≈ objects × mean in-flight / busy time. Unlike a count of
// completions over a span, this is not biased when completions bunch, as they do for a while
// after a change in a closed loop, so short windows and early stops are fair.
type littleAcc struct {
	objs, attempts, inflight int
	busy                     float64 // seconds
}

func (a *littleAcc) add(b littleAcc) {
	a.objs += b.objs
	a.attempts += b.attempts
	a.inflight += b.inflight
	a.busy += b.busy
}

func (a littleAcc) estimate() float64 {
	if a.busy <= 0 || a.attempts == 0 {
		return 0
	}
	return float64(a.objs) * float64(a.inflight) / float64(a.attempts) / a.busy
}

// window accumulates the attempts of the current measurement window.
type window struct {
	open                    bool
	early                   bool // closed before its samples were all in
	start, end              time.Time
	ok, ignored, overloaded int
	little                  littleAcc
	multi, multiFailed      int // attempts with more than one object, and the failed ones
	lat                     []time.Duration
	latSum, latSq           float64 // seconds, for the mean and spread of latencies
}

func (w *window) reset(start time.Time) {
	lat := w.lat[:0]
	*w = window{open: true, start: start, end: start, lat: lat}
}

// stats summarises the window; it sorts w.lat in place.
func (w *window) stats() Window {
	st := Window{Start: w.start, End: w.end, OK: w.ok, Ignored: w.ignored,
		Overloaded: w.overloaded, Objects: w.little.objs, Estimate: w.little.estimate()}
	if d := w.end.Sub(w.start); d > 0 {
		st.Throughput = float64(w.little.objs) / d.Seconds()
	}
	if n := len(w.lat); n > 0 {
		slices.Sort(w.lat)
		st.Latency = w.lat[n/2]
		st.LatencyP90 = w.lat[(n*9)/10]
	}
	if w.little.attempts > 0 {
		st.InFlight = float64(w.little.inflight) / float64(w.little.attempts)
	}
	return st
}

// Controller decides how many requests may be in flight and how many objects go in each call,
// from one [Sample] per attempt. It does no I/O and reads no clock: time comes from the
// samples and from the now arguments. It is safe for concurrent use. See the package
// documentation for the algorithm.
type Controller struct {
	mu  sync.Mutex
	o   options
	rng uint64

	limit, batch   int
	adaptL, adaptB bool
	pauseUntil     time.Time
	epoch          time.Time // only attempts started at or after epoch are measurements
	cutEpoch       time.Time // overloads of attempts started before cutEpoch do not cut again

	phase   phase
	win     window
	rSmooth time.Duration // EWMA of window medians; sets the window length
	samples int           // OK attempts the next window waits for
	lastP90 time.Duration // p90 latency of the last window at the current setting

	prevX, bestX float64 // startup: goodput of the previous window, and the best
	bestL        int
	bestR        time.Duration

	ref   level   // reference of the current setting
	noise float64 // variance of ln(goodput) from one window to the next, at one setting
	probe kind    // probe under way, or kindNone
	need  float64 // goodput the probe must beat
	shift int     // a cruise window moved beyond the noise: +1 up, −1 down, awaiting confirmation
	pacc  probeAcc
	base  struct {
		limit, batch int
		ref          level
	}
	queue  []kind // search: probes to run next
	rot    int    // position in the rotation of settled probes
	cruise int    // windows before the next probe
	freeze int    // windows without probes after an overload
	// startupSearch: the search that follows startup has not begun. When an overload came
	// first, that search follows the climb back after the freeze (no probe starts during a
	// freeze, so the flag still says so when the freeze ends).
	startupSearch bool
	batchMoved    bool // a batch probe was accepted during the current batch search
	movedDown     bool // a down-probe of the limit was accepted during the current search

	ceiling      int // knee memory: the limit stays at or below it until ceilingUntil
	ceilingUntil time.Time
	knee         int // the last knee an overload showed, until a window passes above it
	kneeRepeats  int // overloads in a row that found that knee again
	maxBatch     int // largest batch allowed by options or by the grid
	badBatch     int // smallest batch the grid refused as too large; 0 if none
	// floorHits counts consecutive overload cuts at the minimum limit; an OK attempt started
	// after the last cut resets it (every OK attempt of a window that closes is one).
	floorHits int
}

// New returns a controller configured by opts.
func New(opts ...Option) (*Controller, error) {
	o := defaultOptions()
	for _, opt := range opts {
		if opt == nil {
			return nil, errNilOption
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if err := o.check(); err != nil {
		return nil, err
	}
	c := &Controller{o: o, rng: o.seed, maxBatch: o.maxBatch, noise: initialNoise * initialNoise, startupSearch: true}
	c.adaptL, c.adaptB = o.fixedConc == 0, o.fixedBatch == 0
	c.limit, c.batch = o.initConc, o.initBatch
	if !c.adaptL {
		c.limit = o.fixedConc
		c.phase = phaseSteady
		c.queue = c.searchQueue(false)
		c.cruise = 1
	}
	if !c.adaptB {
		c.batch = o.fixedBatch
	}
	c.win.lat = make([]time.Duration, 0, 64)
	c.samples = o.windowSamples
	return c, nil
}

// Limit returns the number of requests allowed in flight.
func (c *Controller) Limit() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.limit
}

// BatchSize returns the number of objects to put in the next call.
func (c *Controller) BatchSize() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.batch
}

// PauseUntil returns the time before which no request should start (zero if none was asked).
func (c *Controller) PauseUntil() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pauseUntil
}

// Decision returns the current setting as a decision at now, with [ReasonHold] and no window;
// the engine journals it once at the start of a run.
func (c *Controller) Decision(now time.Time) Decision {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.decision(now, ReasonHold, Window{})
}

func (c *Controller) decision(now time.Time, r Reason, w Window) Decision {
	return Decision{Time: now, Limit: c.limit, BatchSize: c.batch, PauseUntil: c.pauseUntil,
		Reason: r, Window: w}
}

// Observe records one attempt. When the attempt closes a measurement window or carries a signal
// (overload, Retry-After, a batch refused as too large) it returns the resulting decision and
// true; the engine then applies it to the limiter ([Limiter.Apply]) and journals it.
// Otherwise it returns false and the setting is unchanged. The sample's End is the current time
// for the controller, so samples should be reported as attempts finish.
func (c *Controller) Observe(s Sample) (Decision, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := s.End
	objs := max(1, s.Objects)
	paused := s.RetryAfter > 0 && c.pauseFor(now, s.RetryAfter)

	switch s.Outcome {
	case OutcomeTooLarge:
		if d, ok := c.tooLarge(now, objs); ok || !paused {
			return d, ok
		}
	case OutcomeOverload:
		if !s.Start.Before(c.cutEpoch) {
			return c.overload(now, s.Latency()), true
		}
		if c.win.open {
			c.win.overloaded++
		}
	case OutcomeIgnore:
		if c.admit(s) {
			c.win.ignored++
			c.busy(s)
			if objs > 1 {
				c.win.multi++
				c.win.multiFailed++
			}
		}
	default:
		if !s.Start.Before(c.cutEpoch) {
			// The grid answered an attempt made after the last cut: the overloads at the
			// floor are no longer consecutive, and the next one pauses from the start.
			c.floorHits = 0
		}
		if c.admit(s) {
			w := &c.win
			w.ok++
			w.little.objs += objs
			c.busy(s)
			if objs > 1 {
				w.multi++
			}
			lat := s.Latency()
			w.lat = append(w.lat, lat)
			w.latSum += lat.Seconds()
			w.latSq += lat.Seconds() * lat.Seconds()
			if s.End.After(w.end) {
				w.end = s.End
			}
		}
	}
	if paused {
		return c.decision(now, ReasonRetryAfter, Window{}), true
	}
	if c.win.open && c.due(now) {
		return c.closeWindow(now), true
	}
	return Decision{}, false
}

// busy records the permit-time of a measured attempt.
func (c *Controller) busy(s Sample) {
	inflight := s.InFlight
	if inflight <= 0 {
		inflight = c.limit // unknown: assume the limit was saturated
	}
	w := &c.win.little
	w.attempts++
	w.inflight += inflight
	w.busy += s.Latency().Seconds()
}

// admit reports whether s is a measurement of the current window. The first measurement after
// a change of setting opens the window at its end and is not counted, so a window starts in the
// steady state of its setting. An attempt grouped under another batch size than the current
// one is not a measurement of it.
func (c *Controller) admit(s Sample) bool {
	if s.Start.Before(c.epoch) || (s.BatchSize > 0 && s.BatchSize != c.batch) {
		return false
	}
	if !c.win.open {
		c.win.reset(s.End)
		return false
	}
	return true
}

// due reports whether the open window should close at now.
func (c *Controller) due(now time.Time) bool {
	d := now.Sub(c.win.start)
	if d >= c.o.maxWindow {
		return true
	}
	rtt := c.rSmooth
	if c.win.ok > 0 {
		rtt = max(rtt, time.Duration(c.win.latSum/float64(c.win.ok)*float64(time.Second)))
	}
	need := min(max(c.o.minWindow, 2*rtt), c.o.maxWindow)
	if d < need {
		return false
	}
	if c.win.ok >= max(c.samples, c.limit) {
		return true
	}
	// A window whose answer is already clear ends early: a startup step or a probe that
	// clearly wins or loses, or a cruise window far from its reference. A bad setting is slow
	// to collect samples, and a change of the grid should be seen at once.
	// (Startup ends early only on a loss: stopping on a win would bias its measurement up.)
	ref, wins := 0.0, true
	switch {
	case c.phase == phaseStartup:
		ref, wins = c.prevX*startupGain, false
	case c.probe != kindNone:
		ref = c.need
	case c.ref.n > 0:
		ref = c.ref.x
	}
	if ref <= 0 || c.win.ok < max(earlySamples, 2*c.limit) {
		return false
	}
	r := c.win.little.estimate() / ref
	c.win.early = r < earlyLoss || (wins && r*earlyLoss > 1)
	return c.win.early
}

func (c *Controller) closeWindow(now time.Time) Decision {
	if now.After(c.win.end) {
		c.win.end = now
	}
	st := c.win.stats()
	target := 0
	if n := float64(c.win.ok); n >= earlySamples && c.win.latSum > 0 {
		mean := c.win.latSum / n
		cv := math.Sqrt(max(0, c.win.latSq/n-mean*mean)) / mean
		want := math.Ceil(cv * cv / (windowPrecision * windowPrecision))
		target = int(min(max(want, earlySamples), float64(c.o.windowSamples)))
	}
	multi, failed, early, little := c.win.multi, c.win.multiFailed, c.win.early, c.win.little
	c.win.reset(c.win.end)
	r := c.decide(now, st, little, multi, failed, early)
	switch {
	case target == 0 || c.shift != 0:
	case r == ReasonDelay || r == ReasonDegraded || r == ReasonRelief || r == ReasonLatencyBudget:
		// The window straddled a change: its spread of latencies says nothing of the next.
	default:
		c.samples = target
	}
	return c.decision(now, r, st)
}

// newEpoch starts measuring afresh from t: the setting changed or admissions pause until t.
func (c *Controller) newEpoch(t time.Time) {
	if t.After(c.epoch) {
		c.epoch = t
	}
	c.win.open = false
	c.shift = 0
}

func (c *Controller) setLimit(n int, now time.Time) {
	n = min(max(n, 1), c.o.maxConc)
	if n != c.limit {
		c.limit = n
		c.newEpoch(now)
	}
}

func (c *Controller) batchCap() int {
	m := c.maxBatch
	if c.badBatch > 0 {
		m = min(m, max(1, c.badBatch-1))
	}
	return m
}

func (c *Controller) setBatch(n int, now time.Time) {
	n = min(max(n, 1), c.batchCap())
	if n != c.batch {
		c.batch = n
		c.lastP90 = 0
		c.newEpoch(now)
	}
}

func (c *Controller) budget() time.Duration {
	return time.Duration(float64(c.o.clientTimeout) * c.o.budget)
}

// pauseFor asks for no admissions during d from now; it reports whether the pause grew.
func (c *Controller) pauseFor(now time.Time, d time.Duration) bool {
	until := now.Add(min(d, c.o.maxPause))
	if !until.After(c.pauseUntil) {
		return false
	}
	c.pauseUntil = until
	c.newEpoch(until)
	return true
}

// random returns a pseudo-random number in [0, 1) (splitmix64).
func (c *Controller) random() float64 {
	c.rng += 0x9e3779b97f4a7c15
	z := c.rng
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return float64(z>>11) / (1 << 53)
}

// interval returns the number of windows to cruise before the next settled probe.
func (c *Controller) interval() int {
	return max(1, int(math.Round(float64(c.o.probeInterval)*(0.75+0.5*c.random()))))
}

// overload handles an overload signal from an attempt started after the last cut.
func (c *Controller) overload(now time.Time, latency time.Duration) Decision {
	var st Window
	if c.win.open {
		if now.After(c.win.end) {
			c.win.end = now
		}
		st = c.win.stats()
	}
	st.Overloaded++
	c.cutEpoch = now
	reason := ReasonOverload
	hit := c.limit // the level that overloaded: a probe's, if one was under way
	top := hit - 1 // the highest level to allow for a while
	probedUp := c.probe == kindUp
	if probedUp {
		top = c.base.limit // it cruised there without overload
	}
	if c.probe != kindNone {
		c.abandonProbe(now)
	}
	if c.adaptL {
		top = max(1, min(top, hit-1))
		// The same knee (or a lower one) found again once its memory had expired: the probe
		// above it was wasted, so remember it longer each time. (Overloads while the memory
		// holds are the same congestion, not a confirmation.)
		switch {
		case c.knee > 0 && top <= c.knee && c.ceiling == 0:
			c.kneeRepeats = min(c.kneeRepeats+1, maxKneeDoublings)
		case c.knee == 0 || top > c.knee:
			c.kneeRepeats = 0
		}
		c.knee = top
		c.ceiling, c.ceilingUntil = top, now.Add(c.o.kneeMemory<<c.kneeRepeats)
		if top < 2 {
			// Overloads at one or two in flight are an outage, not a knee: the backoff
			// pauses below protect the grid, and when it comes back the limit may climb.
			c.ceiling, c.knee, c.kneeRepeats = 0, 0, 0
		}
		switch {
		case probedUp:
			// The probe above a level that had no overload found the knee: back to that
			// level (done by abandoning the probe). A further overload there halves.
		case hit > 1:
			c.setLimit(int(float64(hit)*c.o.backoff), now)
		default:
			// Nothing left to cut: pause admissions, longer each time.
			d := min(backoffCap, backoffBase<<min(c.floorHits, 16))
			d = time.Duration(float64(d) * (0.5 + 0.5*c.random()))
			c.floorHits++
			c.pauseFor(now, d)
			reason = ReasonBackoff
		}
		c.phase = phaseSteady
		c.freeze, c.queue, c.cruise = overloadFreeze, nil, 0
	}
	// A slow failure (a timeout) says the call was too big; at the minimum limit the batch is
	// the only thing left to cut.
	if c.adaptB && c.batch > 1 && (latency >= c.budget() || !c.adaptL || hit <= 1) {
		c.setBatch(c.batch/2, now)
		c.batchMoved = false
	}
	c.ref = level{}
	c.newEpoch(now)
	return c.decision(now, reason, st)
}

// tooLarge handles a batch of objs refused by the grid as too large.
func (c *Controller) tooLarge(now time.Time, objs int) (Decision, bool) {
	if c.badBatch == 0 || objs < c.badBatch {
		c.badBatch = objs
	}
	return c.clampBatch(now, true)
}

// ObserveMaxBatch records the grid's maximum batch size, when the engine learns it (from an
// error that states it, or from configuration). Batches never exceed it afterwards, in fixed
// mode too. It returns a decision and true when the batch size changed.
func (c *Controller) ObserveMaxBatch(n int, now time.Time) (Decision, bool) {
	if n < 1 {
		return Decision{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.maxBatch = min(c.maxBatch, n)
	return c.clampBatch(now, false)
}

// clampBatch brings the batch under the grid's cap: to the cap when the grid stated it, to
// half the batch (or the cap if lower) when it only refused a size.
func (c *Controller) clampBatch(now time.Time, halve bool) (Decision, bool) {
	limit := c.batchCap()
	if c.batch <= limit {
		return Decision{}, false
	}
	if c.probe.batch() && c.base.batch <= limit {
		c.abandonProbe(now)
	}
	if c.batch > limit {
		b := limit
		if halve {
			b = min(limit, max(1, c.batch/2))
		}
		c.setBatch(b, now)
		c.ref = level{}
	}
	return c.decision(now, ReasonMaxBatch, Window{}), true
}

// abandonProbe ends the probe under way and restores the setting it started from.
func (c *Controller) abandonProbe(now time.Time) {
	c.probe = kindNone
	c.setLimit(c.base.limit, now)
	c.setBatch(c.base.batch, now)
	c.ref = c.base.ref
}

// decide applies the rules to a closed window and returns the reason of the outcome.
func (c *Controller) decide(now time.Time, st Window, little littleAcc, multi, failed int, early bool) Reason {
	if st.OK > 0 {
		if c.rSmooth == 0 {
			c.rSmooth = st.Latency
		} else {
			c.rSmooth += time.Duration(smoothAlpha * float64(st.Latency-c.rSmooth))
		}
	}
	if c.ceiling > 0 && !now.Before(c.ceilingUntil) {
		c.ceiling = 0
	}
	if c.knee > 0 && c.limit > c.knee && st.OK > 0 && st.Overloaded == 0 {
		c.knee, c.kneeRepeats = 0, 0 // a window above the old knee went well
	}

	// Safety: calls must stay well under the client timeout.
	if st.OK > 0 && st.LatencyP90 > c.budget() {
		switch c.probe {
		case kindUp, kindBatchUp: // the probe did it: undo it
			c.abandonProbe(now)
			c.cruise = 1
			return ReasonLatencyBudget
		case kindDown, kindBatchDown: // keep the smaller setting, and cut further below
			c.probe = kindNone
		}
		switch {
		case c.adaptB && c.batch > 1:
			scaled := int(float64(c.batch) * 0.8 * float64(c.budget()) / float64(st.LatencyP90))
			c.setBatch(min(c.batch/2, scaled), now)
		case c.adaptL && c.limit > 1:
			c.setLimit(c.limit/2, now)
		default:
			return ReasonHold
		}
		c.ref, c.cruise, c.batchMoved = level{}, 1, false
		return ReasonLatencyBudget
	}
	// Safety: failed batches are retried smaller, so large failing batches waste work.
	if c.adaptB && c.batch > 1 && multi >= minBatchAttempts && float64(failed) >= batchFailureRatio*float64(multi) {
		if c.probe != kindNone {
			c.abandonProbe(now)
		}
		c.setBatch(c.batch/2, now)
		c.ref, c.cruise, c.batchMoved = level{}, 1, false
		return ReasonBatchFailures
	}

	thin := st.OK < thinSamples
	saturated := st.InFlight >= utilised*float64(c.limit)
	if c.phase == phaseStartup {
		if thin || !saturated {
			return ReasonHold
		}
		return c.startup(now, st)
	}
	if c.probe != kindNone {
		return c.endProbe(now, st, little, !thin && saturated, early)
	}
	if thin {
		return ReasonHold
	}
	c.lastP90 = st.LatencyP90

	// Delay: median latency at an unchanged setting rose past the tolerance: the grid is
	// slower or past its knee. Cut in proportion, as far as halving, and search again.
	tol := c.o.delayTolerance
	if c.ref.n > 0 && c.adaptL && c.freeze == 0 && c.limit > 1 &&
		float64(st.Latency) > tol*float64(c.ref.r) {
		n := int(math.Round(float64(c.limit) * float64(c.ref.r) / float64(st.Latency)))
		c.setLimit(min(max(n, (c.limit+1)/2), c.limit-1), now)
		c.ref, c.cruise = level{}, 1
		c.queue = c.searchQueue(false)
		return ReasonDelay
	}
	if !saturated {
		return ReasonHold // application-limited: neither a reference nor a probe makes sense
	}
	if c.ref.n > 0 && c.ref.x > 0 && st.Estimate > 0 && c.freeze == 0 {
		// A shift: goodput at an unchanged setting moved well beyond the noise, or latency
		// fell well below its reference. The grid changed (another load started or ended):
		// measure afresh and search, towards the side the change points to.
		dev := math.Log(st.Estimate / c.ref.x)
		thr := max(shiftMin, shiftSigmas*math.Sqrt(c.noise))
		dir := 0
		switch {
		case dev > thr || tol*float64(st.Latency) < float64(c.ref.r):
			dir = 1
		case dev < -thr:
			dir = -1
		}
		if dir != 0 && c.shift != dir {
			// First sighting: keep the reference (the delay rule needs it) and confirm with
			// the next window; this one may straddle the change.
			c.shift = dir
			return ReasonHold
		}
		c.shift = dir
		if dir != 0 {
			c.shift = 0
			c.ref = level{}
			c.ref.fold(st)
			r := ReasonDegraded
			c.queue = c.searchQueue(false)
			if !c.adaptL {
				c.queue = append(c.queue[:0], kindBatchDown, kindBatchUp)
			}
			if dir > 0 {
				r = ReasonRelief
				c.ceiling, c.knee, c.kneeRepeats = 0, 0, 0
				c.queue = append(c.queue[:0], kindUp, kindDown)
				if c.adaptB {
					c.queue = append(c.queue, kindBatchUp)
				}
			}
			if !c.startProbe(now) {
				c.cruise = c.interval()
			}
			return r
		}
		c.noise += noiseAlpha * (dev*dev - c.noise)
	}
	c.ref.fold(st)

	if c.freeze > 0 {
		// After an overload: hold, then climb back (up to the knee memory) at once.
		c.freeze--
		if c.freeze > 0 {
			return ReasonHold
		}
		c.queue = append(c.queue[:0], kindUp)
		if c.startupSearch {
			// The overload came before the search that follows startup (the batch first)
			// had begun: it runs once the limit has climbed back.
			c.queue = append(c.queue, c.searchQueue(true)...)
		}
		c.cruise = 1
	}
	c.cruise--
	if c.cruise > 0 {
		return ReasonHold
	}
	if c.startProbe(now) {
		return c.probe.reason()
	}
	c.cruise = c.interval()
	return ReasonHold
}

// searchQueue returns the probes of a search: the batch up then down, when asked (batching
// usually gains far more than fine-tuning the limit, and a batch change calls for a new
// search of the limit anyway), then the limit down then up (a lower limit is preferred when
// it costs nothing).
func (c *Controller) searchQueue(withBatch bool) []kind {
	q := make([]kind, 0, 4)
	if c.adaptB && (withBatch || !c.adaptL) {
		q = append(q, kindBatchUp, kindBatchDown)
	}
	if c.adaptL {
		q = append(q, kindDown, kindUp)
	}
	return q
}

// rotation is the order of probes once settled: the batch is probed half as often as the limit.
var rotation = [...]kind{kindDown, kindUp, kindBatchUp, kindDown, kindUp, kindBatchDown}

// startProbe starts the next possible probe: from the search queue, else the next in the
// rotation. It reports whether a probe started.
func (c *Controller) startProbe(now time.Time) bool {
	if len(c.queue) > 0 {
		// A search: its probes in order; when none is possible the search is over.
		for len(c.queue) > 0 {
			k := c.queue[0]
			c.queue = c.queue[1:]
			if k != kindUp {
				c.startupSearch = false // (a kindUp first is the climb back after an overload)
			}
			if c.tryProbe(k, now) {
				return true
			}
		}
		return false
	}
	// Settled: one probe per slot of the rotation. A slot whose probe is impossible (at a
	// bound, under the knee memory, or a fixed dimension) passes, so that the other probes
	// do not come more often. Fixed dimensions are left out of the rotation altogether.
	for range rotation {
		k := rotation[c.rot%len(rotation)]
		c.rot++
		if (k.batch() && !c.adaptB) || (!k.batch() && !c.adaptL) {
			continue
		}
		return c.tryProbe(k, now)
	}
	return false
}

func (c *Controller) step() int { return max(1, int(float64(c.limit)*probeStep)) }

// tryProbe starts a probe of kind k if one is possible.
func (c *Controller) tryProbe(k kind, now time.Time) bool {
	l, b := c.limit, c.batch
	switch k {
	case kindUp:
		top := c.o.maxConc
		if c.ceiling > 0 {
			top = min(top, c.ceiling)
		}
		if !c.adaptL || l >= top {
			return false
		}
		l = min(l+c.step(), top)
	case kindDown:
		if !c.adaptL || l <= 1 {
			return false
		}
		l = max(1, l-c.step())
	case kindBatchUp:
		top := c.batchCap()
		if !c.adaptB || b >= top {
			return false
		}
		b = 2 * c.batch
		if c.badBatch > 0 && b >= c.badBatch {
			b = c.batch + (c.badBatch-c.batch)/2 // bisect towards the refused size
		}
		b = min(b, top)
		if b <= c.batch {
			return false
		}
		// Latency grows at most in proportion to the batch: keep within the budget.
		if c.lastP90 > 0 && float64(c.lastP90)*float64(b)/float64(c.batch) > float64(c.budget()) {
			return false
		}
	case kindBatchDown:
		if !c.adaptB || b <= 1 {
			return false
		}
		b = max(1, b/2)
	default:
		return false
	}
	c.base.limit, c.base.batch, c.base.ref = c.limit, c.batch, c.ref
	c.probe = k
	c.pacc = probeAcc{}
	c.setLimit(l, now)
	c.setBatch(b, now)
	c.need = c.base.ref.x *
		math.Pow(float64(c.limit)/float64(c.base.limit), c.o.elasticity) *
		math.Pow(float64(c.batch)/float64(c.base.batch), c.o.batchElasticity)
	return true
}

// endProbe judges the probe whose window just closed: the throughput guard. A probe is kept
// when it raises goodput·L^(−e)·b^(−eb); an up-probe must therefore buy goodput in proportion
// to its extra load, and a down-probe is kept when it costs less than that.
//
// The probe lasts one window, or up to maxProbeWindows when its goodput is within one standard
// deviation of the threshold (the noise is measured while cruising).
func (c *Controller) endProbe(now time.Time, st Window, little littleAcc, valid, early bool) Reason {
	k := c.probe
	accept, clear := false, false
	if valid && c.base.ref.n > 0 {
		c.pacc.windows++
		c.pacc.acc.add(little)
		x := c.pacc.acc.estimate()
		d := math.Log(x / c.need)
		sd := math.Sqrt(max(c.noise, minNoise*minNoise) *
			(1/float64(c.pacc.windows) + 1/float64(min(c.base.ref.n, 4))))
		if math.Abs(d) < sd && c.pacc.windows < maxProbeWindows {
			return ReasonProbeExtend
		}
		accept, clear = d > 0, d > 2*sd
		st.Estimate = x
	}
	c.probe = kindNone
	if !valid || c.base.ref.n == 0 {
		// Inconclusive (application-limited or too few samples): back to the base, no search.
		c.abandonProbe(now)
		c.queue = c.queue[:0]
		c.cruise = c.interval()
		return ReasonReject
	}
	if accept {
		c.ref = level{}
		c.lastP90 = st.LatencyP90
		if k.batch() {
			c.batchMoved = true
		}
		if k == kindDown {
			c.movedDown = true
		}
		c.dropFromQueue(k.opposite())
		if early || !clear {
			// A probe accepted by a narrow margin, or stopped early because it was winning,
			// probably overstates its goodput (the winner's curse): measure the new setting
			// in a window of its own before going on in the same direction.
			c.queue = slices.Insert(c.queue, 0, k)
			c.cruise = 1
			return ReasonAccept
		}
		c.ref.fold(st)
		if c.tryProbe(k, now) { // keep going while it pays
			return k.reason()
		}
		return c.afterSearchStep(now, k, ReasonAccept)
	}
	c.abandonProbe(now)
	return c.afterSearchStep(now, k, ReasonReject)
}

// afterSearchStep schedules what follows a probe that will not continue in its direction.
func (c *Controller) afterSearchStep(now time.Time, k kind, r Reason) Reason {
	if k.batch() && c.batchMoved {
		// The batch changed: the best limit may have moved with it.
		c.batchMoved = false
		c.dropFromQueue(kindBatchUp)
		c.dropFromQueue(kindBatchDown)
		c.queue = append(c.searchQueue(false), c.queue...)
	}
	if k == kindDown && c.movedDown {
		// A down-probe judged against a reference taken before the grid got faster looks
		// good wrongly; one probe back up settles it.
		c.movedDown = false
		c.dropFromQueue(kindUp)
		c.queue = slices.Insert(c.queue, 0, kindUp)
		c.cruise = 1
		return r
	}
	if len(c.queue) > 0 {
		if r == ReasonAccept && c.startProbe(now) {
			return c.probe.reason()
		}
		c.cruise = 1 // one window at the base refreshes its reference
		return r
	}
	c.cruise = c.interval()
	return r
}

func (c *Controller) dropFromQueue(k kind) {
	c.queue = slices.DeleteFunc(c.queue, func(q kind) bool { return q == k })
}

// startup doubles the limit while goodput grows by startupGain per window, then settles on
// the best level seen and starts a search around it.
func (c *Controller) startup(now time.Time, st Window) Reason {
	if st.Estimate > c.bestX {
		c.bestX, c.bestL, c.bestR = st.Estimate, c.limit, st.Latency
	}
	grow := c.prevX == 0 || st.Estimate >= startupGain*c.prevX
	c.prevX = st.Estimate
	if grow && c.limit < c.o.maxConc {
		c.setLimit(2*c.limit, now)
		return ReasonStartupGrow
	}
	c.phase = phaseSteady
	if c.bestL == c.limit {
		c.ref = level{}
		c.ref.fold(st)
	} else {
		c.ref = level{x: c.bestX, r: c.bestR, n: 1}
		c.setLimit(c.bestL, now)
	}
	c.lastP90 = 0
	c.queue = c.searchQueue(true)
	c.cruise = 1
	return ReasonStartupExit
}
