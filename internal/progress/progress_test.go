package progress

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRender(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := &Line{label: "load", start: t0}
	cases := []struct {
		at   time.Duration
		c    Counts
		want string
	}{
		{0, Counts{Done: 0, Total: 1000}, "load 0/1,000 (0%)  0/s  ETA --  failed 0"},
		{2 * time.Second, Counts{Done: 200, Total: 1000, Failed: 3}, "load 200/1,000 (20%)  100/s  ETA 0:08  failed 3"},
		{4 * time.Second, Counts{Done: 1000, Total: 1000, Extra: "L=8"}, "load 1,000/1,000 (100%)  250/s  failed 0  L=8"},
	}
	for _, tc := range cases {
		if got := l.Render(tc.c, t0.Add(tc.at)); got != tc.want {
			t.Errorf("at %v: %q, want %q", tc.at, got, tc.want)
		}
	}
}

func TestIntAndClock(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4321: "-4,321"} {
		if got := Int(n); got != want {
			t.Errorf("Int(%d) = %q, want %q", n, got, want)
		}
	}
	if got := Clock(3*time.Hour + 4*time.Minute + 5*time.Second); got != "3:04:05" {
		t.Errorf("Clock: %q", got)
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestStartStop(t *testing.T) {
	var out syncBuf
	drawn := make(chan struct{}, 1)
	l := Start(&out, "x", time.Millisecond, nil, func() Counts {
		select {
		case drawn <- struct{}{}:
		default:
		}
		return Counts{Done: 1, Total: 2}
	})
	<-drawn
	l.Stop()
	s := out.String()
	if !strings.Contains(s, "\rx 1/2 (50%)") || !strings.HasSuffix(s, "\r") {
		t.Fatalf("output %q", s)
	}
}
