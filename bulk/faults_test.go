package bulk_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/turbowapi/turbowapi/bulk"
	"github.com/turbowapi/turbowapi/gridsim"
)

// loseReplies commits every write the decision picks and then closes the connection
// instead of replying: the client sees "sent, no reply".
func loseReplies(pick func(n int64, r *http.Request) bool) func(http.Handler) http.Handler {
	var writes atomic.Int64
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet || !strings.HasPrefix(r.URL.Path, "/wapi/") {
				next.ServeHTTP(w, r)
				return
			}
			n := writes.Add(1)
			if !pick(n, r) {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r) // applied...
			if c, _, err := http.NewResponseController(w).Hijack(); err == nil {
				c.Close() // ...and the reply is lost
			}
		})
	}
}

var strategies = []struct {
	name string
	opts []bulk.Option
}{
	{"sequential", []bulk.Option{bulk.WithStrategy(bulk.Sequential)}},
	{"concurrent", []bulk.Option{bulk.WithStrategy(bulk.Concurrent), bulk.WithConcurrency(6)}},
	{"batch", []bulk.Option{bulk.WithStrategy(bulk.Batch), bulk.WithBatchSize(20)}},
	{"concurrent-batches", []bulk.Option{bulk.WithStrategy(bulk.Batch), bulk.WithBatchSize(10), bulk.WithConcurrency(4)}},
	{"auto", []bulk.Option{bulk.WithStrategy(bulk.Auto)}},
}

// A write whose reply is lost after the grid applied it is looked up before anything is sent
// again: it ends created, once, never as a duplicate or a conflict.
func TestLostRepliesNeverDuplicate(t *testing.T) {
	t.Parallel()
	for _, st := range strategies {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			const n = 120
			g := startGrid(t, loseReplies(func(k int64, _ *http.Request) bool { return k%3 == 1 }))
			e := newEngine(t, g, append(fastOpts(nil), st.opts...)...)
			rec := new(recorder)
			sum, err := e.Load(context.Background(), spoolOf(t, networks(n, "lost")...), rec, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := g.count("network"); got != n {
				t.Fatalf("%d networks on the grid, want %d", got, n)
			}
			outs := rec.byOrdinal(t)
			found := 0
			for ord, o := range outs {
				if o.Status != bulk.StatusCreated || o.Ref == "" {
					t.Fatalf("ordinal %d: %+v", ord, o)
				}
				if o.Text != "" {
					found++
				}
			}
			if len(outs) != n || found == 0 {
				t.Fatalf("%d outcomes, %d found by key after a lost reply", len(outs), found)
			}
			t.Logf("%d requests, %d lookups, %d retries, %d objects settled by lookup", sum.Requests, sum.Lookups, sum.Retries, found)
		})
	}
}

// The simulator's own faults, all at once: 503, 429 and 503 with Retry-After, resets before
// processing, lost replies after commit, latency spikes. Every strategy ends with every
// object on the grid once and one created outcome each.
func TestSimulatorFaults(t *testing.T) {
	t.Parallel()
	spec, err := gridsim.ParseFaults("503=0.08,503ra=0.04:1s,429=0.04:2s,reset=0.06,lost=0.08,spike=0.02:20ms")
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range strategies {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			const n = 150
			g := startGrid(t, nil, gridsim.WithFaults(spec), gridsim.WithSeed(11))
			sl := new(sleeper)
			e := newEngine(t, g, append(fastOpts(sl), st.opts...)...)
			rec := new(recorder)
			sum, err := e.Load(context.Background(), spoolOf(t, networks(n, "chaos")...), rec, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := g.count("network"); got != n {
				t.Fatalf("%d networks on the grid, want %d", got, n)
			}
			c := rec.counts()
			if c[bulk.StatusCreated] != n || len(rec.byOrdinal(t)) != n {
				t.Fatalf("outcomes %v", c)
			}
			// Retry-After was honoured: some waits are at least the grid's 1 s or 2 s.
			ra := 0
			for _, d := range sl.delays() {
				if d >= time.Second {
					ra++
				}
			}
			st := g.Server.Stats()
			if ra == 0 && st.Faults["429"]+st.Faults["503ra"] > 0 {
				t.Errorf("no wait of the Retry-After length in %v", sl.delays())
			}
			t.Logf("faults %v; %d requests, %d retries, %d lookups", st.Faults, sum.Requests, sum.Retries, sum.Lookups)
		})
	}
}

// Retries are bounded: a grid that always answers 503 gets exactly DefaultMaxAttempts
// attempts for an object, with exponential full-jitter waits capped as documented.
func TestRetryBounded(t *testing.T) {
	t.Parallel()
	var posts atomic.Int64
	always503 := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost {
				posts.Add(1)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusServiceUnavailable)
				fmt.Fprint(w, `{"Error": "AdmConProtoError: busy", "code": "Client.Ibap.Proto", "text": "busy"}`)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	g := startGrid(t, always503)
	sl := new(sleeper)
	e := newEngine(t, g, append(fastOpts(sl), bulk.WithStrategy(bulk.Sequential),
		bulk.WithRetry(100*time.Millisecond, time.Second, 5))...)
	rec := new(recorder)
	if _, err := e.Load(context.Background(), spoolOf(t, networks(1, "x")...), rec, nil); err != nil {
		t.Fatal(err)
	}
	o := rec.byOrdinal(t)[1]
	if o.Status != bulk.StatusFailed || o.Attempts != 5 || posts.Load() != 5 {
		t.Fatalf("outcome %+v after %d POSTs, want failed after 5", o, posts.Load())
	}
	d := sl.delays()
	if len(d) != 4 {
		t.Fatalf("%d waits, want 4: %v", len(d), d)
	}
	for _, x := range d {
		if x < 0 || x > time.Second {
			t.Fatalf("wait %v outside [0, cap]", x)
		}
	}
}
