package wapi_test

// The simulator's injected faults as the wapi client classifies them. Each fault is limited
// to a window that opens 10 s after the grid starts, on a clock the test moves by hand: the
// client logs in first, then the clock moves into the window.

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/turbowapi/turbowapi/gridsim"
	"github.com/turbowapi/turbowapi/internal/simtest"
	"github.com/turbowapi/turbowapi/wapi"
)

// faultGrid starts a grid with spec (windows from 10 s) and a client logged in before the
// window opens; the clock is then moved 10 s on.
func faultGrid(t *testing.T, spec string, opts ...gridsim.Option) (*simtest.Grid, *wapi.Client, *fakeClock) {
	t.Helper()
	fs, err := gridsim.ParseFaults(spec)
	if err != nil {
		t.Fatal(err)
	}
	clk := &fakeClock{t: time.Now()}
	g := simtest.Start(t, append([]gridsim.Option{gridsim.WithFaults(fs), gridsim.WithClock(clk.Now)}, opts...)...)
	c := simClient(t, g, wapi.WithClock(clk.Now))
	if _, err := c.Search(context.Background(), wapi.TypeNetwork, nil); err != nil {
		t.Fatal(err)
	}
	clk.Advance(10 * time.Second)
	return g, c, clk
}

func TestSimFaultsClassified(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		spec       string
		retryAfter time.Duration
		applied    bool // the network exists afterwards
		transport  bool // a *wapi.TransportError (no reply) rather than a *wapi.Error
	}{
		{"503=1@10s+1h", 0, false, false},
		{"503ra=1:2s@10s+1h", 2 * time.Second, false, false},
		{"429=1:3s@10s+1h", 3 * time.Second, false, false},
		{"reset=1@10s+1h", 0, false, true},
		{"lost=1@10s+1h", 0, true, true},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			t.Parallel()
			g, c, _ := faultGrid(t, tc.spec)
			_, err := c.Create(context.Background(), wapi.TypeNetwork, wapi.Network{Network: networkCIDR(1)})
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, wapi.ErrTransient) {
				t.Errorf("%v: not ErrTransient", err)
			}
			ra, ok := wapi.RetryAfter(err)
			if ra != tc.retryAfter || ok != (tc.retryAfter > 0) {
				t.Errorf("%v: RetryAfter = %v, %v; want %v", err, ra, ok, tc.retryAfter)
			}
			var te *wapi.TransportError
			var we *wapi.Error
			switch {
			case tc.transport && (!errors.As(err, &te) || !te.Sent):
				t.Errorf("%v: want a TransportError sent with no reply", err)
			case !tc.transport && !errors.As(err, &we):
				t.Errorf("%v: want a *wapi.Error", err)
			}
			// A reset leaves the client unable to tell whether the write happened; a 503 or
			// 429 reply says it did not.
			if got := wapi.MaybeApplied(err); got != tc.transport {
				t.Errorf("%v: MaybeApplied = %v", err, got)
			}
			n := g.Server.Stats().Objects["network"]
			if (n == 1) != tc.applied {
				t.Errorf("%d networks after %s, applied = %v", n, tc.spec, tc.applied)
			}
		})
	}
}

// TestSimFaultSpike: a spike delays the reply; the create succeeds.
func TestSimFaultSpike(t *testing.T) {
	t.Parallel()
	_, c, _ := faultGrid(t, "spike=1:250ms@10s+1h")
	t0 := time.Now()
	if _, err := c.Create(context.Background(), wapi.TypeNetwork, wapi.Network{Network: networkCIDR(1)}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d < 250*time.Millisecond {
		t.Fatalf("create with a 250 ms spike took %v", d)
	}
}

// TestSimFaultOutage: during an outage calls fail as transient transport errors; once it is
// over the client logs in again by itself (its session was dropped) and the data written
// before the outage is there, reloaded from the data directory.
func TestSimFaultOutage(t *testing.T) {
	t.Parallel()
	g, c, clk := faultGrid(t, "outage=20s+5s", gridsim.WithDataDir(t.TempDir()))
	ctx := context.Background()
	before, err := c.Create(ctx, wapi.TypeNetwork, wapi.Network{Network: networkCIDR(1)})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(11 * time.Second) // 21 s
	_, err = c.Create(ctx, wapi.TypeNetwork, wapi.Network{Network: networkCIDR(2)})
	var te *wapi.TransportError
	if !errors.Is(err, wapi.ErrTransient) || !errors.As(err, &te) {
		t.Fatalf("during the outage: %v, want a transient transport error", err)
	}
	clk.Advance(5 * time.Second) // 26 s: over
	if _, err := c.Create(ctx, wapi.TypeNetwork, wapi.Network{Network: networkCIDR(3)}); err != nil {
		t.Fatalf("after the outage: %v", err)
	}
	if _, err := c.Get(ctx, before, nil); err != nil {
		t.Fatalf("the network created before the outage: %v", err)
	}
	st := g.Server.Stats()
	if st.Restarts != 1 || st.Logins < 2 || st.Objects["network"] != 2 {
		t.Fatalf("after the outage: %d restarts, %d logins, %d networks", st.Restarts, st.Logins, st.Objects["network"])
	}
}

// TestSimOverloadProfile: a grid past its overload_at answers 503 with Retry-After: 1, which
// the client reports as transient with the delay.
func TestSimOverloadProfile(t *testing.T) {
	t.Parallel()
	g := simtest.Start(t, gridsim.WithProfile(gridsim.Profile{Name: "shed", RequestMS: 200, OverloadAt: 1}))
	c := simClient(t, g, wapi.WithMaxConns(4))
	ctx := context.Background()
	if _, err := c.Search(ctx, wapi.TypeNetwork, nil); err != nil { // login
		t.Fatal(err)
	}
	errc := make(chan error, 2)
	for i := range 2 {
		go func() {
			_, err := c.Create(ctx, wapi.TypeNetwork, wapi.Network{Network: networkCIDR(i)})
			errc <- err
		}()
	}
	var ok, shed int
	for range 2 {
		err := <-errc
		ra, hasRA := wapi.RetryAfter(err)
		switch {
		case err == nil:
			ok++
		case errors.Is(err, wapi.ErrTransient) && hasRA && ra == time.Second && !wapi.MaybeApplied(err):
			shed++
		default:
			t.Errorf("unexpected %v", err)
		}
	}
	if ok != 1 || shed != 1 {
		t.Fatalf("%d created, %d shed; want one of each", ok, shed)
	}
}
