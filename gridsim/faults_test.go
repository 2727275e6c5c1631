package gridsim_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/turbowapi/turbowapi/gridsim"
	"github.com/turbowapi/turbowapi/internal/simtest"
)

// Each fault kind as a raw HTTP client sees it.

func mustFaults(t testing.TB, spec string) gridsim.Option {
	t.Helper()
	fs, err := gridsim.ParseFaults(spec)
	if err != nil {
		t.Fatal(err)
	}
	return gridsim.WithFaults(fs)
}

func networks(t testing.TB, c *client) int {
	t.Helper()
	return c.g.Server.Stats().Objects["network"]
}

// TestFaultStatus: 503 without and with Retry-After, 429 with Retry-After, as HTML pages
// before anything is done; counted by kind; never on /_sim endpoints.
func TestFaultStatus(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		spec       string
		status     int
		retryAfter string
		kind       string
	}{
		{"503=1", 503, "", "503"},
		{"503ra=100%:2s", 503, "2", "503ra"},
		{"503ra=1", 503, "1", "503ra"},
		{"429=1:3s", 429, "3", "429"},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			t.Parallel()
			c := start(t, mustFaults(t, tc.spec))
			for i := range 3 {
				r, err := c.try("POST", "network", networkBody(i))
				if err != nil {
					t.Fatal(err)
				}
				if r.status != tc.status || r.header.Get("Retry-After") != tc.retryAfter ||
					!strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(r.body, "<title>") {
					t.Fatalf("reply %d, Retry-After %q, Content-Type %q, body %q; want %d, %q, an HTML page",
						r.status, r.header.Get("Retry-After"), r.header.Get("Content-Type"), r.body, tc.status, tc.retryAfter)
				}
			}
			for _, p := range []string{"/_sim/health", "/_sim/stats", "/_sim/profile"} {
				c.must(200, "GET", p, "")
			}
			st := c.g.Server.Stats()
			if st.Faults[tc.kind] != 3 || len(st.Faults) != 1 || st.Objects["network"] != 0 {
				t.Fatalf("faults %v, networks %d; want 3 %s faults and no network", st.Faults, st.Objects["network"], tc.kind)
			}
		})
	}
}

// TestFaultReset: the connection is reset (ECONNRESET) before processing; the write did not
// happen.
func TestFaultReset(t *testing.T) {
	t.Parallel()
	c := start(t, mustFaults(t, "reset=1"))
	_, err := c.try("POST", "network", networkBody(0))
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("error %v, want a connection reset", err)
	}
	if n := networks(t, c); n != 0 {
		t.Fatalf("%d networks after a reset before processing, want 0", n)
	}
	if f := c.g.Server.Stats().Faults; f["reset"] != 1 {
		t.Fatalf("faults %v", f)
	}
}

// TestFaultLost: the request is executed and committed, then the connection is reset: the
// client gets no reply but the write happened, durably with a data directory.
func TestFaultLost(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	c := start(t, mustFaults(t, "lost=1"), gridsim.WithDataDir(dir))
	_, err := c.try("POST", "network", networkBody(0))
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("error %v, want a connection reset", err)
	}
	if n := networks(t, c); n != 1 {
		t.Fatalf("%d networks after a lost reply, want 1", n)
	}
	if f := c.g.Server.Stats().Faults; f["lost"] != 1 {
		t.Fatalf("faults %v", f)
	}
	if err := c.g.Server.Close(); err != nil {
		t.Fatal(err)
	}
	c2 := start(t, gridsim.WithDataDir(dir))
	if l := c2.must(200, "GET", "network?network=10.0.0.0/24", "").([]any); len(l) != 1 {
		t.Fatalf("after a restart: %v, want the network whose reply was lost", l)
	}
}

// TestFaultSpike: a spike adds its latency to the request, which then succeeds.
func TestFaultSpike(t *testing.T) {
	t.Parallel()
	c := start(t, mustFaults(t, "spike=1:300ms"))
	t0 := time.Now()
	c.create("network", networkBody(0))
	if d := time.Since(t0); d < 300*time.Millisecond || d > 3*time.Second {
		t.Fatalf("a request with a 300ms spike took %v", d)
	}
	if f := c.g.Server.Stats().Faults; f["spike"] != 1 {
		t.Fatalf("faults %v", f)
	}
}

// TestFaultOutage: during the outage every WAPI request is reset (the simulator's own
// endpoints still answer); afterwards the grid answers again, old session cookies are
// refused, and the objects are back: from the database with a data directory (the restart
// is counted), from memory without.
func TestFaultOutage(t *testing.T) {
	t.Parallel()
	for _, durable := range []bool{false, true} {
		name := "memory"
		if durable {
			name = "data directory"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			clk := simtest.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
			opts := []gridsim.Option{mustFaults(t, "outage=10s+5s/1m"), gridsim.WithClock(clk.Now)}
			if durable {
				opts = append(opts, gridsim.WithDataDir(t.TempDir()))
			}
			c := start(t, opts...)
			c.create("network", networkBody(0))
			login := c.do("GET", "grid", "")
			cookie := ""
			for _, v := range login.header.Values("Set-Cookie") {
				cookie, _, _ = strings.Cut(v, ";")
			}
			if got := c.do("GET", "grid", "", "Cookie: "+cookie); got.status != 200 {
				t.Fatalf("cookie before the outage: %d", got.status)
			}

			clk.Advance(11 * time.Second)
			for i := 1; i < 4; i++ {
				if _, err := c.try("POST", "network", networkBody(i)); !errors.Is(err, syscall.ECONNRESET) {
					t.Fatalf("during the outage: error %v, want a connection reset", err)
				}
			}
			st := c.g.Server.Stats()
			if st.Sessions != 0 || st.Faults["outage"] != 1 {
				t.Fatalf("during the outage: %d sessions, faults %v", st.Sessions, st.Faults)
			}
			c.must(200, "GET", "/_sim/health", "")

			clk.Advance(5 * time.Second)
			if got := c.do("GET", "grid", "", "Cookie: "+cookie); got.status != 401 {
				t.Fatalf("a cookie from before the outage: %d, want 401", got.status)
			}
			if l := c.must(200, "GET", "network", "").([]any); len(l) != 1 {
				t.Fatalf("after the outage: %v, want the one network", l)
			}
			c.create("network", networkBody(1))
			if st = c.g.Server.Stats(); st.Restarts != 1 || st.Objects["network"] != 2 {
				t.Fatalf("after the outage: %d restarts, %d networks; want 1 and 2", st.Restarts, st.Objects["network"])
			}

			clk.Advance(55 * time.Second) // 71 s: the next occurrence, 70 s to 75 s
			if _, err := c.try("GET", "grid", ""); !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("second outage: error %v, want a connection reset", err)
			}
			if f := c.g.Server.Stats().Faults; f["outage"] != 2 {
				t.Fatalf("faults %v, want 2 outages", f)
			}
		})
	}
}

// TestFaultsDeterministic: under one seed the i-th request gets the same fault; another seed
// gives another pattern; the share hit is close to the rate.
func TestFaultsDeterministic(t *testing.T) {
	t.Parallel()
	const n = 200
	pattern := func(seed int64) string {
		c := start(t, mustFaults(t, "503=0.3"), gridsim.WithSeed(seed))
		var b strings.Builder
		for range n {
			r, err := c.try("GET", "grid", "")
			if err != nil {
				t.Fatal(err)
			}
			if r.status == 503 {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	a, b, other := pattern(7), pattern(7), pattern(8)
	if a != b {
		t.Fatalf("seed 7 twice:\n%s\n%s", a, b)
	}
	if a == other {
		t.Fatalf("seeds 7 and 8 gave the same pattern %s", a)
	}
	if k := strings.Count(a, "x"); k < n*18/100 || k > n*42/100 {
		t.Fatalf("%d of %d requests got 503 at a rate of 0.3", k, n)
	}
}

// TestFaultsCombined: rates split the requests between kinds; every request here gets one of
// four faults, and the client sees as many of each as the server counts.
func TestFaultsCombined(t *testing.T) {
	t.Parallel()
	c := start(t, mustFaults(t, "503=0.25,429=25%:1s,reset=0.25,spike=0.25:1ms"))
	seen := map[string]int64{}
	for i := range 80 {
		r, err := c.try("POST", "network", networkBody(i))
		switch {
		case errors.Is(err, syscall.ECONNRESET):
			seen["reset"]++
		case err != nil:
			t.Fatal(err)
		case r.status == 503:
			seen["503"]++
		case r.status == 429:
			seen["429"]++
		case r.status == 201:
			seen["spike"]++
		default:
			t.Fatalf("status %d: %s", r.status, r.body)
		}
	}
	st := c.g.Server.Stats()
	for k, v := range seen {
		if st.Faults[k] != v || v == 0 {
			t.Errorf("%s: client saw %d, server counted %d", k, v, st.Faults[k])
		}
	}
	if int64(st.Objects["network"]) != seen["spike"] {
		t.Errorf("%d networks, %d created", st.Objects["network"], seen["spike"])
	}
}

// TestOverload: a request arriving when overload_at requests are in service gets 503 with
// Retry-After: 1 at once; the others complete.
func TestOverload(t *testing.T) {
	t.Parallel()
	c := start(t, gridsim.WithProfile(gridsim.Profile{Name: "tiny", RequestMS: 30_000, OverloadAt: 2}), gridsim.WithSpeed(10))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	var done atomic.Int64
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(ctx, "POST", c.g.URL+"/wapi/v2.11/network", strings.NewReader(networkBody(i)))
			req.SetBasicAuth(c.user, c.pass)
			// Only a create counts as completed: a reply racing the cancellation (the
			// handler answering its client's cancelled context) is not one.
			if res, err := c.hc.Do(req); err == nil {
				res.Body.Close()
				if res.StatusCode == http.StatusCreated {
					done.Add(1)
				}
			}
		}()
	}
	waitFor(t, func() bool { return c.g.Server.Stats().InService == 2 })
	t0 := time.Now()
	r, err := c.try("POST", "network", networkBody(9))
	if err != nil || r.status != 503 || r.header.Get("Retry-After") != "1" {
		t.Fatalf("third request: %v %d Retry-After %q", err, r.status, r.header.Get("Retry-After"))
	}
	if d := time.Since(t0); d > time.Second {
		t.Fatalf("the 503 took %v", d)
	}
	if f := c.g.Server.Stats().Faults; f["overload"] != 1 {
		t.Fatalf("faults %v", f)
	}
	// Sleeping honours cancellation: the two requests leave service when their clients go.
	cancel()
	wg.Wait()
	waitFor(t, func() bool { return c.g.Server.Stats().InService == 0 })
	if done.Load() != 0 {
		t.Fatalf("%d requests of 3 s completed before the cancellation", done.Load())
	}
}

// waitFor polls cond (server state reached through real I/O) for up to 5 s.
func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestProfileMaxBatch: a request call with more items than the profile's max_batch gets the
// simulator's batch-cap error; the smaller of WithMaxBatch and max_batch wins.
func TestProfileMaxBatch(t *testing.T) {
	t.Parallel()
	c := start(t, gridsim.WithProfile(gridsim.Profile{Name: "capped", MaxBatch: 2}), gridsim.WithMaxBatch(5))
	item := func(i int) string { return `{"method":"POST","object":"network","data":` + networkBody(i) + `}` }
	c.fails(400, "Client.Ibap.Proto", "Too many objects in the request: 3 (the limit is 2)", "POST", "request",
		"["+item(0)+","+item(1)+","+item(2)+"]")
	c.must(200, "POST", "request", "["+item(0)+","+item(1)+"]")
	if info := c.g.Server.SimInfo(); info.MaxBatch != 2 {
		t.Fatalf("max batch in force %d, want 2", info.MaxBatch)
	}
}

// TestSerialWrites: with serial_writes the per-object cost of concurrent writes does not
// overlap; without it, it does.
func TestSerialWrites(t *testing.T) {
	t.Parallel()
	elapsed := func(serial bool) time.Duration {
		c := start(t, gridsim.WithProfile(gridsim.Profile{Name: "w", ObjectMS: 60, SerialWrites: serial}))
		var wg sync.WaitGroup
		t0 := time.Now()
		for i := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if r, err := c.try("POST", "network", networkBody(i)); err != nil || r.status != 201 {
					t.Errorf("POST: %v %d", err, r.status)
				}
			}()
		}
		wg.Wait()
		return time.Since(t0)
	}
	serial, parallel := elapsed(true), elapsed(false)
	t.Logf("6 concurrent writes of 60 ms: %v serial, %v in parallel", serial, parallel)
	if serial < 330*time.Millisecond || parallel > 300*time.Millisecond {
		t.Fatalf("6 writes of 60 ms: %v with serial_writes (want ≥ 360 ms), %v without (want about 60 ms)", serial, parallel)
	}
}
