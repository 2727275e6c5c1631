package adaptive

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Clock is the time source of a [Limiter]: the current time, and a timer that calls f after d
// and returns a function that stops it. Tests give a fake; the default is the real clock.
type Clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}

// LimiterOption configures a [Limiter]. Options validate their arguments; [NewLimiter] returns
// the first error.
type LimiterOption func(*limiterOptions) error

type limiterOptions struct {
	clock Clock
}

// WithClock sets the limiter's clock (default: the real clock).
func WithClock(c Clock) LimiterOption {
	return func(o *limiterOptions) error {
		if c == nil {
			return fmt.Errorf("adaptive: nil clock")
		}
		o.clock = c
		return nil
	}
}

// Limiter is a resizable FIFO semaphore: it admits at most Limit requests at a time, in the
// order they asked. Shrinking the limit only stops new admissions; requests in flight finish
// and their permits are not handed out again until fewer than the new limit are in use. A
// pause admits nothing until a given time (Retry-After). Limiter starts no goroutine of its
// own; a pause arms one timer. It is safe for concurrent use.
type Limiter struct {
	clock Clock

	mu         sync.Mutex
	limit      int
	inUse      int
	head, tail *waiter
	waiting    int
	pauseUntil time.Time   // zero when not paused
	timerAt    time.Time   // when the armed timer fires; zero if none
	stopTimer  func() bool // stops the armed timer
}

// waiter is one blocked Acquire, in a doubly linked FIFO list.
type waiter struct {
	next, prev *waiter
	ready      chan struct{} // closed when the permit is granted
	granted    bool          // guarded by Limiter.mu
	inFlight   int
}

// Permit is an admission: Release it exactly once when the request is over. The zero Permit
// releases nothing.
type Permit struct {
	l        *Limiter
	inFlight int
}

// InFlight returns the number of permits in use when this one was granted, itself included:
// the value of [Sample.InFlight].
func (p Permit) InFlight() int { return p.inFlight }

// Release returns the permit. Calling it twice releases two permits; that is a bug in the
// caller and panics once more permits are released than were granted.
func (p Permit) Release() {
	if p.l != nil {
		p.l.release()
	}
}

// NewLimiter returns a limiter admitting limit requests at a time (at least 1).
func NewLimiter(limit int, opts ...LimiterOption) (*Limiter, error) {
	if limit < 1 {
		return nil, fmt.Errorf("adaptive: limiter limit %d below 1", limit)
	}
	o := limiterOptions{clock: realClock{}}
	for _, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("adaptive: nil limiter option")
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	return &Limiter{clock: o.clock, limit: limit}, nil
}

// Acquire waits for a permit, in FIFO order, or for ctx to end. A context already done gets no
// permit.
func (l *Limiter) Acquire(ctx context.Context) (Permit, error) {
	if err := ctx.Err(); err != nil {
		return Permit{}, err
	}
	l.mu.Lock()
	if l.head == nil && l.inUse < l.limit && l.pauseUntil.IsZero() {
		l.inUse++
		p := Permit{l: l, inFlight: l.inUse}
		l.mu.Unlock()
		return p, nil
	}
	w := &waiter{ready: make(chan struct{})}
	l.push(w)
	l.grant() // the pause may be over; arms the timer if it is not
	l.mu.Unlock()

	select {
	case <-w.ready:
		return Permit{l: l, inFlight: w.inFlight}, nil
	case <-ctx.Done():
		l.mu.Lock()
		if w.granted {
			// Granted while giving up: hand the permit on.
			l.mu.Unlock()
			l.release()
			return Permit{}, ctx.Err()
		}
		l.remove(w)
		l.mu.Unlock()
		return Permit{}, ctx.Err()
	}
}

// TryAcquire takes a permit if one is free now and nobody is waiting.
func (l *Limiter) TryAcquire() (Permit, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.head == nil && l.inUse < l.limit && !l.paused() {
		l.inUse++
		return Permit{l: l, inFlight: l.inUse}, true
	}
	return Permit{}, false
}

func (l *Limiter) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.inUse <= 0 {
		panic("adaptive: Permit released more often than granted")
	}
	l.inUse--
	l.grant()
}

// SetLimit changes the limit (values below 1 count as 1). Growing admits waiters at once;
// shrinking lets the requests in flight finish.
func (l *Limiter) SetLimit(n int) {
	n = max(n, 1)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.limit = n
	l.grant()
}

// PauseUntil admits nothing before t. A pause only ever grows: an earlier t than the current
// pause, or a t in the past, changes nothing.
func (l *Limiter) PauseUntil(t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !t.After(l.pauseUntil) || !t.After(l.clock.Now()) {
		return
	}
	l.pauseUntil = t
	if l.head != nil {
		l.arm()
	}
}

// Apply enforces a controller's decision: its limit and its pause.
func (l *Limiter) Apply(d Decision) {
	l.SetLimit(d.Limit)
	if !d.PauseUntil.IsZero() {
		l.PauseUntil(d.PauseUntil)
	}
}

// Limit returns the current limit.
func (l *Limiter) Limit() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.limit
}

// InUse returns the number of permits held (it may exceed the limit just after a shrink).
func (l *Limiter) InUse() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.inUse
}

// Waiting returns the number of blocked Acquire calls.
func (l *Limiter) Waiting() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.waiting
}

// PausedUntil returns the end of the current pause, or the zero time.
func (l *Limiter) PausedUntil() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.paused()
	return l.pauseUntil
}

// paused reports whether admissions are paused now, and clears a pause that is over.
func (l *Limiter) paused() bool {
	if l.pauseUntil.IsZero() {
		return false
	}
	if l.clock.Now().Before(l.pauseUntil) {
		return true
	}
	l.pauseUntil = time.Time{}
	return false
}

// grant admits waiters in order while permits are free and no pause holds.
func (l *Limiter) grant() {
	for l.head != nil && l.inUse < l.limit {
		if l.paused() {
			l.arm()
			return
		}
		w := l.head
		l.remove(w)
		l.inUse++
		w.granted, w.inFlight = true, l.inUse
		close(w.ready)
	}
}

// arm makes sure a timer fires at the end of the pause.
func (l *Limiter) arm() {
	if l.timerAt.Equal(l.pauseUntil) {
		return
	}
	if l.stopTimer != nil {
		l.stopTimer()
	}
	l.timerAt = l.pauseUntil
	l.stopTimer = l.clock.AfterFunc(l.pauseUntil.Sub(l.clock.Now()), l.wake)
}

func (l *Limiter) wake() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.timerAt, l.stopTimer = time.Time{}, nil
	l.grant()
}

func (l *Limiter) push(w *waiter) {
	w.prev = l.tail
	if l.tail != nil {
		l.tail.next = w
	} else {
		l.head = w
	}
	l.tail = w
	l.waiting++
}

func (l *Limiter) remove(w *waiter) {
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		l.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		l.tail = w.prev
	}
	w.next, w.prev = nil, nil
	l.waiting--
}
