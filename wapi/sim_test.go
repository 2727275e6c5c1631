package wapi_test

// Tests against the simulated grid (gridsim through internal/simtest): TLS on loopback with
// certificate verification on.

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/turbowapi/turbowapi/gridsim"
	"github.com/turbowapi/turbowapi/internal/simtest"
	"github.com/turbowapi/turbowapi/wapi"
)

// foundingNetworks is the founding workload: 1,024 /24 networks from 10.0.0.0/8.
const foundingNetworks = 1024

func simClient(t testing.TB, g *simtest.Grid, opts ...wapi.Option) *wapi.Client {
	t.Helper()
	all := append([]wapi.Option{wapi.WithCredentials(simtest.User, simtest.Password), wapi.WithCAFile(g.CAFile)}, opts...)
	c, err := wapi.New(g.URL, all...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// TestSimFoundingWorkload loads the founding workload three ways (sequentially, with 16
// goroutines, in one batch); the simulator sees exactly one Basic-authenticated request for
// each way, and every other request carries only the cookie.
func TestSimFoundingWorkload(t *testing.T) {
	t.Parallel()
	ways := []struct {
		name string
		load func(ctx context.Context, c *wapi.Client) error
	}{
		{"sequential", func(ctx context.Context, c *wapi.Client) error {
			for i := range foundingNetworks {
				if _, err := c.Create(ctx, wapi.TypeNetwork, wapi.Object{"network": networkCIDR(i)}); err != nil {
					return err
				}
			}
			return nil
		}},
		{"16 goroutines", func(ctx context.Context, c *wapi.Client) error {
			return parallel(16, foundingNetworks, func(i int) error {
				_, err := c.Create(ctx, wapi.TypeNetwork, wapi.Network{Network: networkCIDR(i)})
				return err
			})
		}},
		{"one batch", func(ctx context.Context, c *wapi.Client) error {
			b := wapi.NewBatch(foundingNetworks)
			for i := range foundingNetworks {
				b.Create(wapi.TypeNetwork, wapi.Object{"network": networkCIDR(i)})
			}
			res, err := c.SendBatch(ctx, b)
			if err == nil && len(res) != foundingNetworks {
				return fmt.Errorf("%d results", len(res))
			}
			for _, r := range res {
				if ref, ok := r.Ref(); !ok || wapi.RefType(ref) != wapi.TypeNetwork {
					return fmt.Errorf("item %d: %s", r.Index, r.Raw)
				}
			}
			return err
		}},
	}
	for _, w := range ways {
		t.Run(w.name, func(t *testing.T) {
			t.Parallel()
			g := simtest.Start(t)
			c := simClient(t, g, wapi.WithMaxConns(16))
			ctx := testCtx(t)
			if err := w.load(ctx, c); err != nil {
				t.Fatal(err)
			}
			st := g.Server.Stats()
			if st.AuthBasic != 1 || st.Logins != 1 || st.AuthFailed != 0 {
				t.Fatalf("stats %+v: want exactly one Basic-authenticated request", st)
			}
			if st.AuthCookie != st.Requests-1 {
				t.Fatalf("stats %+v: every request but the login must carry only the cookie", st)
			}
			if got := st.Objects[wapi.TypeNetwork]; got != foundingNetworks {
				t.Fatalf("%d networks on the grid", got)
			}
			// Read them back in pages of 1,000.
			n := 0
			for obj, err := range c.SearchAll(ctx, wapi.TypeNetwork, nil, 1000) {
				if err != nil {
					t.Fatal(err)
				}
				if !strings.HasPrefix(obj.StringField("network"), "10.") {
					t.Fatalf("%v", obj)
				}
				n++
			}
			if n != foundingNetworks {
				t.Fatalf("read back %d networks", n)
			}
		})
	}
}

// TestSimSessionExpiryMidLoad expires every session in the middle of a 32-goroutine load:
// exactly one new login, and no request fails.
func TestSimSessionExpiryMidLoad(t *testing.T) {
	t.Parallel()
	g := simtest.Start(t)
	c := simClient(t, g, wapi.WithMaxConns(32))
	ctx := testCtx(t)
	var done atomic.Int64
	err := parallel(32, foundingNetworks, func(i int) error {
		_, err := c.Create(ctx, wapi.TypeNetwork, wapi.Object{"network": networkCIDR(i)})
		if done.Add(1) == 300 {
			g.Server.ExpireSessions() // 31 other requests are in flight
		}
		return err
	})
	if err != nil {
		t.Fatalf("requests failed: %v", err)
	}
	st := g.Server.Stats()
	if st.Logins != 2 || st.AuthBasic != 2 {
		t.Fatalf("stats %+v: want exactly one new login", st)
	}
	if st.AuthFailed == 0 {
		t.Fatalf("stats %+v: the expiry was not observed", st)
	}
	if got := st.Objects[wapi.TypeNetwork]; got != foundingNetworks {
		t.Fatalf("%d networks on the grid", got)
	}
}

// TestSimSessionTimeout: the client logs in again by itself once ctime + timeout has passed,
// before the grid has to refuse the cookie.
func TestSimSessionTimeout(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	g := simtest.Start(t, gridsim.WithClock(clock.Now), gridsim.WithSessionTimeout(600*time.Second))
	c := simClient(t, g, wapi.WithClock(clock.Now))
	ctx := testCtx(t)
	for i := range 4 {
		if _, err := c.Create(ctx, wapi.TypeNetwork, wapi.Object{"network": networkCIDR(i)}); err != nil {
			t.Fatal(err)
		}
		clock.Advance(700 * time.Second)
	}
	if st := g.Server.Stats(); st.Logins != 4 || st.AuthFailed != 0 {
		t.Fatalf("stats %+v: want a proactive login per period and no 401", st)
	}
}

// TestSimErrorClasses provokes each error class on the simulator.
func TestSimErrorClasses(t *testing.T) {
	t.Parallel()
	g := simtest.Start(t)
	c := simClient(t, g)
	ctx := testCtx(t)
	netRef, err := c.Create(ctx, wapi.TypeNetwork, wapi.Object{"network": "10.0.0.0/24"})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("duplicate", func(t *testing.T) {
		_, err := c.Create(ctx, wapi.TypeNetwork, wapi.Object{"network": "10.0.0.0/24"})
		checkErr(t, err, wantErr{is: []error{wapi.ErrConflict}, isNot: []error{wapi.ErrParentNotFound, wapi.ErrTransient},
			status: 400, textContain: "already exists"})
	})
	t.Run("duplicate zone", func(t *testing.T) {
		if _, err := c.Create(ctx, wapi.TypeZoneAuth, wapi.ZoneAuth{FQDN: "example.com"}); err != nil {
			t.Fatal(err)
		}
		_, err := c.Create(ctx, wapi.TypeZoneAuth, wapi.ZoneAuth{FQDN: "example.com"})
		checkErr(t, err, wantErr{is: []error{wapi.ErrConflict}, status: 400})
	})
	t.Run("parent not found", func(t *testing.T) {
		_, err := c.Create(ctx, wapi.TypeRecordA, wapi.RecordA{Name: "www.nowhere.test", IPv4Addr: "10.0.0.5"})
		checkErr(t, err, wantErr{is: []error{wapi.ErrParentNotFound}, isNot: []error{wapi.ErrConflict, wapi.ErrNotFound}, status: 400})
	})
	t.Run("not found", func(t *testing.T) {
		_, err := c.Get(ctx, "network/ZG5zLm5ldHdvcmskMTAuOS45LjAvMjQvMA:10.9.9.0%2F24/default", nil)
		checkErr(t, err, wantErr{is: []error{wapi.ErrNotFound}, status: 404})
		_, err = c.Delete(ctx, "network/ZG5zLm5ldHdvcmskMTAuOS45LjAvMjQvMA:10.9.9.0%2F24/default")
		checkErr(t, err, wantErr{is: []error{wapi.ErrNotFound}, status: 404})
	})
	t.Run("bad credentials", func(t *testing.T) {
		bad, err := wapi.New(g.URL, wapi.WithCredentials("admin", "wrong"), wapi.WithRootCAs(g.RootCAs))
		if err != nil {
			t.Fatal(err)
		}
		_, err = bad.Create(ctx, wapi.TypeNetwork, wapi.Object{"network": "10.0.1.0/24"})
		var le *wapi.LoginError
		if !errors.As(err, &le) {
			t.Fatalf("%v: want a LoginError", err)
		}
		checkErr(t, err, wantErr{is: []error{wapi.ErrAuth}, isNot: []error{wapi.ErrTransient}, status: 401, textContain: "invalid credentials"})
	})
	t.Run("unsupported version", func(t *testing.T) {
		v, err := wapi.New(g.URL, wapi.WithCredentials(simtest.User, simtest.Password), wapi.WithRootCAs(g.RootCAs), wapi.WithVersion("2.99"))
		if err != nil {
			t.Fatal(err)
		}
		err = v.Login(ctx)
		checkErr(t, err, wantErr{isNot: []error{wapi.ErrTransient, wapi.ErrAuth}, status: 400, textContain: "not supported"})
	})
	t.Run("unsearchable field", func(t *testing.T) {
		_, err := c.Search(ctx, wapi.TypeNetwork, wapi.NewQuery().Eq("no_such_field", "x"))
		var we *wapi.Error
		if !errors.As(err, &we) || we.Code != wapi.CodeProto || we.StatusCode != 400 {
			t.Fatalf("%v", err)
		}
	})
	t.Run("batch with a duplicate creates nothing", func(t *testing.T) {
		b := wapi.NewBatch(3)
		b.Create(wapi.TypeNetwork, wapi.Object{"network": "10.0.2.0/24"})
		b.Create(wapi.TypeNetwork, wapi.Object{"network": "10.0.0.0/24"}) // exists
		b.Create(wapi.TypeNetwork, wapi.Object{"network": "10.0.3.0/24"})
		_, err := c.SendBatch(ctx, b)
		var be *wapi.BatchError
		if !errors.As(err, &be) || !errors.Is(err, wapi.ErrConflict) || wapi.MaybeApplied(err) {
			t.Fatalf("%v", err)
		}
		found, err := c.Search(ctx, wapi.TypeNetwork, wapi.NewQuery().Eq("network", "10.0.2.0/24"))
		if err != nil || len(found) != 0 {
			t.Fatalf("batch partly applied: %v %v", found, err)
		}
	})
	t.Run("update and delete", func(t *testing.T) {
		ref, err := c.Update(ctx, netRef, wapi.Object{"comment": "updated"})
		if err != nil {
			t.Fatal(err)
		}
		obj, err := c.Get(ctx, ref, wapi.NewQuery().ReturnFields("comment"))
		if err != nil || obj.StringField("comment") != "updated" {
			t.Fatalf("%v %v", obj, err)
		}
	})
}

// TestSimOperations exercises searches, paging, functions and typed helpers on the simulator.
func TestSimOperations(t *testing.T) {
	t.Parallel()
	g := simtest.Start(t)
	c := simClient(t, g, wapi.WithMaxConns(8))
	ctx := testCtx(t)
	if err := c.Login(ctx); err != nil {
		t.Fatal(err)
	}
	if v := c.Version(); v != wapi.MaxVersion {
		t.Fatalf("negotiated %q, want %q", v, wapi.MaxVersion)
	}

	// 2,500 networks read in three pages of 1,000.
	const n = 2500
	b := wapi.NewBatch(n)
	for i := range n {
		b.Create(wapi.TypeNetwork, wapi.Object{"network": networkCIDR(i), "comment": "bulk",
			"extattrs": wapi.ExtAttrs{"Site": {Value: "East"}}})
	}
	if _, err := c.SendBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	before := g.Server.Stats().Requests
	count := 0
	for nw, err := range wapi.SearchAllAs[wapi.Network](ctx, c, wapi.NewQuery().Eq("comment", "bulk"), 1000) {
		if err != nil {
			t.Fatal(err)
		}
		if nw.Ref == "" || nw.Network == "" {
			t.Fatalf("%+v", nw)
		}
		count++
	}
	if pages := g.Server.Stats().Requests - before; count != n || pages != 3 {
		t.Fatalf("%d networks in %d requests", count, pages)
	}
	if _, err := c.Search(ctx, wapi.TypeNetwork, nil); err == nil {
		t.Fatal("a search over 1000 results must fail without paging")
	}

	found, err := c.Search(ctx, wapi.TypeNetwork, wapi.NewQuery().EA("Site", wapi.Eq, "East").
		Where("network", wapi.Regex, "^10\\.0\\.1[0-9]\\.").ReturnFieldsPlus("extattrs").MaxResults(100))
	if err != nil || len(found) != 10 {
		t.Fatalf("%d found: %v", len(found), err)
	}
	var nw wapi.Network
	if err := found[0].Decode(&nw); err != nil || nw.ExtAttrs["Site"].Value != "East" {
		t.Fatalf("%+v %v", nw, err)
	}

	// Functions on a container.
	cref, err := c.Create(ctx, wapi.TypeNetworkContainer, wapi.NetworkContainer{Network: "172.16.0.0/16"})
	if err != nil {
		t.Fatal(err)
	}
	nets, err := c.NextAvailableNetwork(ctx, cref, 24, 2)
	if err != nil || len(nets) != 2 {
		t.Fatalf("%v %v", nets, err)
	}
	nref, err := c.Create(ctx, wapi.TypeNetwork, wapi.Object{"network": nets[0]})
	if err != nil {
		t.Fatal(err)
	}
	ips, err := c.NextAvailableIP(ctx, nref, 3)
	if err != nil || len(ips) != 3 {
		t.Fatalf("%v %v", ips, err)
	}
	obj, err := c.CreateReturning(ctx, wapi.TypeNetwork, wapi.Object{"network": "func:nextavailablenetwork:172.16.0.0/16,default,26"},
		wapi.NewQuery().ReturnFields("network"))
	if err != nil || !strings.HasSuffix(obj.StringField("network"), "/26") {
		t.Fatalf("%v %v", obj, err)
	}
	s, err := c.Schema(ctx)
	if err != nil || len(s.SupportedVersions) == 0 {
		t.Fatalf("%+v %v", s, err)
	}
}

// uniqueNetwork returns the i-th /30 of 10.0.0.0/8 (4,194,304 of them).
func uniqueNetwork(i int) string {
	return fmt.Sprintf("10.%d.%d.%d/30", i>>14&255, i>>6&255, (i&63)<<2)
}

// BenchmarkSimCreate measures creates against the simulator over TLS (client and simulator
// share the process, so the figures include the simulator's work).
func BenchmarkSimCreate(b *testing.B) {
	g := simtest.Start(b)
	c := simClient(b, g, wapi.WithMaxConns(8))
	ctx := context.Background()
	if err := c.Login(ctx); err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	b.Run("sequential", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Create(ctx, wapi.TypeNetwork, wapi.Object{"network": uniqueNetwork(int(next.Add(1)))}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(4) // 4 × GOMAXPROCS goroutines
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.Create(ctx, wapi.TypeNetwork, wapi.Object{"network": uniqueNetwork(int(next.Add(1)))}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("batch1000", func(b *testing.B) {
		const items = 1000
		batch := wapi.NewBatch(items)
		b.ReportAllocs()
		for b.Loop() {
			batch.Reset()
			for range items {
				batch.Create(wapi.TypeNetwork, wapi.Object{"network": uniqueNetwork(int(next.Add(1)))})
			}
			if _, err := c.SendBatch(ctx, batch); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*items), "ns/item")
	})
}

// authCounter counts, on the client side, the requests that carry an Authorization header.
type authCounter struct {
	rt            http.RoundTripper
	total, authed atomic.Int64
}

func (a *authCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	a.total.Add(1)
	if r.Header.Get("Authorization") != "" {
		a.authed.Add(1)
	}
	return a.rt.RoundTrip(r)
}

// TestSimCredentialsSentOnce checks on the wire (the simulator counts a request carrying both
// credentials and a valid cookie as a cookie request) that only the login carries them.
func TestSimCredentialsSentOnce(t *testing.T) {
	t.Parallel()
	g := simtest.Start(t)
	counter := &authCounter{rt: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: g.RootCAs}, MaxIdleConnsPerHost: 16}}
	c, err := wapi.New(g.URL, wapi.WithCredentials(simtest.User, simtest.Password), wapi.WithTransport(counter))
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	if err := parallel(16, 256, func(i int) error {
		_, err := c.Create(ctx, wapi.TypeNetwork, wapi.Object{"network": networkCIDR(i)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if counter.authed.Load() != 1 || counter.total.Load() != 258 { // login + 256 + logout
		t.Fatalf("%d of %d requests carried credentials", counter.authed.Load(), counter.total.Load())
	}
	if st := g.Server.Stats(); st.Logouts != 1 || st.Sessions != 0 {
		t.Fatalf("stats %+v", st)
	}
}
