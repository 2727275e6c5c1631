// Package progress draws a live progress line on a terminal: done/total, objects per
// second, the time left and the failures, redrawn in place a few times a second. Counting is
// the caller's (a read function); this package only renders, and only when told the output is
// a terminal.
package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Counts is what the line shows.
type Counts struct {
	Done, Total, Failed int64
	// Extra is appended to the line (for example the concurrency and batch size).
	Extra string
}

// DefaultInterval is the time between two redraws.
const DefaultInterval = 250 * time.Millisecond

// rateWindow is the period the rate (and so the time left) is measured over.
const rateWindow = 5 * time.Second

// Line redraws a progress line on w until Stop.
type Line struct {
	w     io.Writer
	label string
	read  func() Counts
	now   func() time.Time
	start time.Time

	mu      sync.Mutex
	samples []sample
	width   int
	stop    chan struct{}
	done    chan struct{}
}

type sample struct {
	t    time.Time
	done int64
}

// Start draws the line every interval (<= 0: DefaultInterval) on w, which should be a
// terminal. now may be nil (time.Now).
func Start(w io.Writer, label string, interval time.Duration, now func() time.Time, read func() Counts) *Line {
	if interval <= 0 {
		interval = DefaultInterval
	}
	if now == nil {
		now = time.Now
	}
	l := &Line{w: w, label: label, read: read, now: now, start: now(), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				l.draw()
			case <-l.stop:
				return
			}
		}
	}()
	return l
}

// Stop stops redrawing and clears the line.
func (l *Line) Stop() {
	close(l.stop)
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.width > 0 {
		fmt.Fprint(l.w, "\r"+strings.Repeat(" ", l.width)+"\r")
	}
}

func (l *Line) draw() {
	c := l.read()
	s := l.Render(c, l.now())
	l.mu.Lock()
	defer l.mu.Unlock()
	pad := ""
	if n := l.width - len(s); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	fmt.Fprint(l.w, "\r"+s+pad)
	l.width = len(s)
}

// Render formats the line for c at now and records the sample for the rate.
func (l *Line) Render(c Counts, now time.Time) string {
	l.mu.Lock()
	l.samples = append(l.samples, sample{now, c.Done})
	for len(l.samples) > 2 && now.Sub(l.samples[0].t) > rateWindow {
		l.samples = l.samples[1:]
	}
	first := l.samples[0]
	l.mu.Unlock()
	rate := 0.0
	if dt := now.Sub(first.t).Seconds(); dt > 0 {
		rate = float64(c.Done-first.done) / dt
	} else if el := now.Sub(l.start).Seconds(); el > 0 {
		rate = float64(c.Done) / el
	}
	var b strings.Builder
	b.WriteString(l.label)
	b.WriteString(" ")
	b.WriteString(Int(c.Done))
	if c.Total > 0 {
		fmt.Fprintf(&b, "/%s (%d%%)", Int(c.Total), c.Done*100/c.Total)
	}
	fmt.Fprintf(&b, "  %s/s", Int(int64(rate+0.5)))
	if c.Total > 0 && c.Done < c.Total {
		if rate > 0 {
			eta := time.Duration(float64(c.Total-c.Done) / rate * float64(time.Second))
			b.WriteString("  ETA " + Clock(eta))
		} else {
			b.WriteString("  ETA --")
		}
	}
	fmt.Fprintf(&b, "  failed %s", Int(c.Failed))
	if c.Extra != "" {
		b.WriteString("  " + c.Extra)
	}
	return b.String()
}

// Int formats n with thousands separators: 1,234,567.
func Int(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Clock formats d as h:mm:ss or m:ss.
func Clock(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d/time.Hour), int(d/time.Minute)%60, int(d/time.Second)%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%d:%02d", m, s)
}
