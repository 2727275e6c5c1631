package bulk_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/turbowapi/turbowapi/bulk"
	"github.com/turbowapi/turbowapi/gridsim"
	"github.com/turbowapi/turbowapi/wapi"
)

// Retry repeats transient failures only, as many times as an object's writes, waiting at
// least the grid's Retry-After.
func TestRetry(t *testing.T) {
	t.Parallel()
	busy := &wapi.Error{StatusCode: http.StatusTooManyRequests, RetryAfter: 3 * time.Second}
	refused := &wapi.Error{StatusCode: http.StatusBadRequest, Code: wapi.CodeProto}
	loginDown := &wapi.LoginError{Err: &wapi.Error{StatusCode: http.StatusServiceUnavailable}}
	badPassword := &wapi.LoginError{Err: &wapi.Error{StatusCode: http.StatusUnauthorized}}
	cases := []struct {
		name      string
		errs      []error // the errors of the successive calls; then success
		wantCalls int
		wantErr   error
	}{
		{"success", nil, 1, nil},
		{"transient then success", []error{busy, busy}, 3, nil},
		{"login down then up", []error{loginDown}, 2, nil},
		{"not transient", []error{refused, nil}, 1, refused},
		{"bad password", []error{badPassword}, 1, badPassword},
		{"always busy", []error{busy, busy, busy, busy, busy, busy}, 4, busy},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := startGrid(t, nil)
			sl := new(sleeper)
			e := newEngine(t, g, append(fastOpts(sl), bulk.WithRetry(100*time.Millisecond, time.Second, 4))...)
			calls := 0
			err := e.Retry(context.Background(), func(context.Context) error {
				calls++
				if calls <= len(tc.errs) {
					return tc.errs[calls-1]
				}
				return nil
			})
			if calls != tc.wantCalls || !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("%d calls, error %v; want %d calls, error %v", calls, err, tc.wantCalls, tc.wantErr)
			}
			d := sl.delays()
			if len(d) != calls-1 {
				t.Fatalf("%d waits for %d calls", len(d), calls)
			}
			for _, x := range d {
				if x < 0 || (tc.errs[0] == busy && x < 3*time.Second) || (tc.errs[0] != busy && x > time.Second) {
					t.Fatalf("waits %v", d)
				}
			}
		})
	}
	t.Run("context ends", func(t *testing.T) {
		t.Parallel()
		g := startGrid(t, nil)
		e := newEngine(t, g) // real sleeps
		ctx, cancel := context.WithCancel(context.Background())
		calls := 0
		err := e.Retry(ctx, func(context.Context) error {
			calls++
			cancel()
			return busy
		})
		if calls != 1 || !errors.Is(err, busy) {
			t.Fatalf("%d calls, %v", calls, err)
		}
	})
}

// SearchAll reads every object once, in the grid's order, through a grid that resets connections,
// loses replies and answers 503 and 429: a page that failed is read again from its page id.
func TestSearchAllRidesThroughFaults(t *testing.T) {
	t.Parallel()
	const n = 300
	dir := t.TempDir()
	src := startGrid(t, nil, gridsim.WithDataDir(dir))
	for i := range n {
		if _, err := src.client.Create(context.Background(), "network", map[string]any{"network": fmt.Sprintf("10.%d.%d.0/24", i/256, i%256)}); err != nil {
			t.Fatal(err)
		}
	}
	var want []string // in the grid's order
	for o, err := range src.client.SearchAll(context.Background(), "network", nil, 1000) {
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, o.Ref())
	}
	src.Server.Close()
	// The same objects behind a grid with faults.
	spec, err := gridsim.ParseFaults("503=0.1,429=0.05:1s,reset=0.1,lost=0.1")
	if err != nil {
		t.Fatal(err)
	}
	faulty := startGrid(t, nil, gridsim.WithDataDir(dir), gridsim.WithFaults(spec), gridsim.WithSeed(3))
	sl := new(sleeper)
	e := newEngine(t, faulty, append(fastOpts(sl), bulk.WithRetry(time.Millisecond, 10*time.Millisecond, 20))...)
	var got []string
	for o, err := range e.SearchAll(context.Background(), "network", nil, 16) {
		if err != nil {
			t.Fatalf("after %d objects: %v", len(got), err)
		}
		got = append(got, o.Ref())
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%d objects read under faults, %d without; the sequences differ", len(got), len(want))
	}
	st := faulty.Server.Stats()
	if len(sl.delays()) == 0 || st.Faults["reset"]+st.Faults["lost"]+st.Faults["503"]+st.Faults["429"] == 0 {
		t.Fatalf("no fault met: faults %v, %d waits", st.Faults, len(sl.delays()))
	}
	t.Logf("faults %v, %d retries", st.Faults, len(sl.delays()))

	// Without retries the same search fails at the first fault, which it yields.
	var errs atomic.Int64
	plain := newEngine(t, faulty, append(fastOpts(nil), bulk.WithRetry(time.Millisecond, time.Millisecond, 1))...)
	for _, err := range plain.SearchAll(context.Background(), "network", nil, 16) {
		if err != nil {
			errs.Add(1)
			if !errors.Is(err, wapi.ErrTransient) {
				t.Fatalf("error %v, want a transient one", err)
			}
		}
	}
	if errs.Load() != 1 {
		t.Fatalf("%d errors yielded without retries, want 1", errs.Load())
	}
}
