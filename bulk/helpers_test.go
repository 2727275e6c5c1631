package bulk_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/turbowapi/turbowapi/adaptive"
	"github.com/turbowapi/turbowapi/bulk"
	"github.com/turbowapi/turbowapi/gridsim"
	"github.com/turbowapi/turbowapi/internal/simtest"
	"github.com/turbowapi/turbowapi/wapi"
)

// grid is a simulated grid for one test, possibly behind a wrapping handler.
type grid struct {
	URL    string
	Server *gridsim.Server
	client *wapi.Client
}

// startGrid starts gridsim over TLS; wrap (nil: none) sits in front of it.
func startGrid(t testing.TB, wrap func(http.Handler) http.Handler, opts ...gridsim.Option) *grid {
	t.Helper()
	if wrap == nil {
		g := simtest.Start(t, opts...)
		return &grid{URL: g.URL, Server: g.Server, client: newClient(t, g.URL, g.RootCAs)}
	}
	all := append([]gridsim.Option{gridsim.WithFallbackUser(simtest.User, simtest.Password)}, opts...)
	srv, err := gridsim.New(all...)
	if err != nil {
		t.Fatal(err)
	}
	cert, caPEM, err := gridsim.SelfSignedCert("127.0.0.1", "localhost")
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(wrap(srv))
	hs.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	hs.Config.ConnContext = srv.ConnContext
	hs.Config.ConnState = srv.ConnState
	hs.StartTLS()
	t.Cleanup(func() { hs.Close(); srv.Close() })
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	return &grid{URL: hs.URL, Server: srv, client: newClient(t, hs.URL, roots)}
}

func newClient(t testing.TB, url string, roots *x509.CertPool) *wapi.Client {
	t.Helper()
	opts := []wapi.Option{wapi.WithCredentials(simtest.User, simtest.Password), wapi.WithMaxConns(16),
		wapi.WithTimeout(20 * time.Second), wapi.WithRootCAs(roots)}
	c, err := wapi.New(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// recorder is an in-memory journal.
type recorder struct {
	mu        sync.Mutex
	intents   [][]int64
	outcomes  []bulk.Outcome
	decisions []adaptive.Decision
	inflight  map[int64]bool
}

func (r *recorder) Intent(o []int64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.intents = append(r.intents, append([]int64(nil), o...))
	if r.inflight == nil {
		r.inflight = map[int64]bool{}
	}
	for _, x := range o {
		r.inflight[x] = true
	}
	return nil
}

func (r *recorder) Outcome(o bulk.Outcome) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outcomes = append(r.outcomes, o)
	delete(r.inflight, o.Ordinal)
	return nil
}

func (r *recorder) Decision(d adaptive.Decision) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.decisions = append(r.decisions, d)
	return nil
}

// byOrdinal returns the outcomes by ordinal, failing the test on a second outcome.
func (r *recorder) byOrdinal(t testing.TB) map[int64]bulk.Outcome {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	m := map[int64]bulk.Outcome{}
	for _, o := range r.outcomes {
		if prev, dup := m[o.Ordinal]; dup {
			t.Fatalf("two outcomes for ordinal %d: %+v and %+v", o.Ordinal, prev, o)
		}
		m[o.Ordinal] = o
	}
	return m
}

func (r *recorder) counts() map[bulk.Status]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := map[bulk.Status]int{}
	for _, o := range r.outcomes {
		m[o.Status]++
	}
	return m
}

// Final and InFlight make a recorder the resume state of the next run.
func (r *recorder) Final(ord int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, o := range r.outcomes {
		if o.Ordinal == ord {
			return true
		}
	}
	return false
}

func (r *recorder) InFlight(ord int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.inflight[ord]
}

// network returns the item of the i-th /24 network of 10.0.0.0/8 (ordinal i+1).
func network(i int, comment string) *bulk.Item {
	cidr := fmt.Sprintf("10.%d.%d.0/24", i/256, i%256)
	body, _ := json.Marshal(map[string]any{"network": cidr, "comment": comment})
	return &bulk.Item{
		Ordinal: int64(i + 1), Source: "test", Line: i + 2, Type: "network", Body: body, Phase: 30,
		Key: []bulk.Field{{Name: "network", Value: cidr}, {Name: "network_view", Value: "default"}},
	}
}

// networks spools n networks.
func spoolOf(t testing.TB, items ...*bulk.Item) *bulk.Spool {
	t.Helper()
	s, err := bulk.NewSpool(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, it := range items {
		if err := s.Add(it); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func networks(n int, comment string) []*bulk.Item {
	out := make([]*bulk.Item, n)
	for i := range out {
		out[i] = network(i, comment)
	}
	return out
}

// noSleep makes backoff instant and records the delays asked for.
type sleeper struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeper) delays() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]time.Duration(nil), s.d...)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// farClock makes the limiter's Retry-After pauses end at once: its now is an hour ahead.
type farClock struct{}

func (farClock) Now() time.Time { return time.Now().Add(time.Hour) }
func (farClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(0, f).Stop
}

// fastOpts are engine options for tests: no real backoff sleeps, no Retry-After pauses.
func fastOpts(s *sleeper) []bulk.Option {
	if s == nil {
		s = new(sleeper)
	}
	return []bulk.Option{bulk.WithSleep(s.sleep), bulk.WithLimiterClock(farClock{}), bulk.WithSeed(7)}
}

func newEngine(t testing.TB, g *grid, opts ...bulk.Option) *bulk.Engine {
	t.Helper()
	e, err := bulk.New(g.client, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// count returns the number of objects of a type on the grid.
func (g *grid) count(typ string) int { return g.Server.Stats().Objects[typ] }

// posts returns the number of POST requests the grid has seen (creates and request calls).
func (g *grid) posts() int64 { return g.Server.Stats().RequestsByMethod["POST"] }
