package wapi_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/turbowapi/turbowapi/wapi"
	"github.com/turbowapi/turbowapi/wapi/internal/fakegrid"
)

// TestOneBasicRequest loads networks three ways and checks that each way sends credentials
// exactly once, then only the cookie.
func TestOneBasicRequest(t *testing.T) {
	t.Parallel()
	const n = 256
	ways := []struct {
		name string
		load func(ctx context.Context, c *wapi.Client) error
	}{
		{"sequential", func(ctx context.Context, c *wapi.Client) error {
			for i := range n {
				if _, err := c.Create(ctx, "network", wapi.Object{"network": networkCIDR(i)}); err != nil {
					return err
				}
			}
			return nil
		}},
		{"16 goroutines", func(ctx context.Context, c *wapi.Client) error {
			return parallel(16, n, func(i int) error {
				_, err := c.Create(ctx, "network", wapi.Network{Network: networkCIDR(i)})
				return err
			})
		}},
		{"one batch", func(ctx context.Context, c *wapi.Client) error {
			b := wapi.NewBatch(n)
			for i := range n {
				b.Create("network", wapi.Object{"network": networkCIDR(i)})
			}
			res, err := c.SendBatch(ctx, b)
			if err == nil && len(res) != n {
				err = fmt.Errorf("%d results", len(res))
			}
			return err
		}},
	}
	for _, w := range ways {
		t.Run(w.name, func(t *testing.T) {
			t.Parallel()
			g, srv, pool := startGrid(t)
			c := newClient(t, srv.URL, pool, wapi.WithMaxConns(16))
			if err := w.load(testCtx(t), c); err != nil {
				t.Fatal(err)
			}
			if got := g.Count("network"); got != n {
				t.Fatalf("grid holds %d networks, want %d", got, n)
			}
			st := g.Stats()
			if st.Basic != 1 || st.Authorization != 1 || st.Logins != 1 || st.Rejected != 0 {
				t.Fatalf("stats %+v: want exactly one Basic request and one login", st)
			}
			if st.Cookie != st.Requests-1 {
				t.Fatalf("stats %+v: every request but the login must use the cookie", st)
			}
		})
	}
}

func parallel(workers, n int, f func(i int) error) error {
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// TestSessionExpiryMidLoad expires every session while 32 goroutines load: exactly one new
// login, and no request fails.
func TestSessionExpiryMidLoad(t *testing.T) {
	t.Parallel()
	g, srv, pool := startGrid(t)
	const n, expireAt = 1024, 300
	var seen atomic.Int64
	g.Hook = func(w http.ResponseWriter, r *http.Request) bool {
		if seen.Add(1) == expireAt {
			g.ExpireSessions()
		}
		return false
	}
	c := newClient(t, srv.URL, pool, wapi.WithMaxConns(32))
	ctx := testCtx(t)
	if err := parallel(32, n, func(i int) error {
		_, err := c.Create(ctx, "network", wapi.Object{"network": networkCIDR(i)})
		return err
	}); err != nil {
		t.Fatalf("requests failed: %v", err)
	}
	st := g.Stats()
	if st.Logins != 2 || st.Basic != 2 || st.Authorization != 2 {
		t.Fatalf("stats %+v: want exactly one new login", st)
	}
	if st.Rejected == 0 {
		t.Fatalf("stats %+v: the expiry was not observed", st)
	}
	if got := g.Count("network"); got != n {
		t.Fatalf("grid holds %d networks, want %d", got, n)
	}
}

// TestSessionClockExpiry: once ctime + timeout has passed on the client's clock, the client
// logs in again before sending, without provoking a 401.
func TestSessionClockExpiry(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	g, srv, pool := startGrid(t)
	g.Now = clock.Now
	g.Timeout = 600
	c := newClient(t, srv.URL, pool, wapi.WithClock(clock.Now))
	ctx := testCtx(t)
	create := func(i int) {
		t.Helper()
		if _, err := c.Create(ctx, "network", wapi.Object{"network": networkCIDR(i)}); err != nil {
			t.Fatal(err)
		}
	}
	create(0)
	clock.Advance(500 * time.Second) // inside the session, before the safety margin
	create(1)
	if st := g.Stats(); st.Logins != 1 {
		t.Fatalf("stats %+v: re-login too early", st)
	}
	clock.Advance(80 * time.Second) // 580 s: inside the 30 s margin
	create(2)
	clock.Advance(700 * time.Second)
	create(3)
	st := g.Stats()
	if st.Logins != 3 || st.Rejected != 0 {
		t.Fatalf("stats %+v: want 3 logins and no 401", st)
	}
}

// TestSessionClockSkew: a grid clock far from the client's does not matter (the Date header
// translates ctime), and never causes a login loop.
func TestSessionClockSkew(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	g, srv, pool := startGrid(t)
	gridClock := newFakeClock()
	gridClock.Advance(-10 * time.Hour) // grid 10 h behind
	g.Now = gridClock.Now
	c := newClient(t, srv.URL, pool, wapi.WithClock(clock.Now))
	ctx := testCtx(t)
	for i := range 5 {
		if _, err := c.Create(ctx, "network", wapi.Object{"network": networkCIDR(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if st := g.Stats(); st.Logins != 1 {
		t.Fatalf("stats %+v: want one login", st)
	}
}

func TestLoginBadCredentials(t *testing.T) {
	t.Parallel()
	g, srv, pool := startGrid(t)
	c, err := wapi.New(srv.URL, wapi.WithCredentials("admin", "wrong-password-123"), wapi.WithRootCAs(pool))
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	err = parallel(8, 8, func(int) error {
		_, err := c.Create(ctx, "network", wapi.Object{"network": "10.0.0.0/24"})
		if err == nil {
			return errors.New("create succeeded with a bad password")
		}
		var le *wapi.LoginError
		var we *wapi.Error
		if !errors.Is(err, wapi.ErrAuth) || !errors.As(err, &le) || !errors.As(err, &we) || we.StatusCode != 401 {
			return fmt.Errorf("error %v (%T): want a LoginError wrapping a 401 *Error", err, err)
		}
		if wapi.MaybeApplied(err) || errors.Is(err, wapi.ErrTransient) {
			return fmt.Errorf("error %v: must be neither applied nor transient", err)
		}
		if strings.Contains(err.Error(), "wrong-password-123") {
			return fmt.Errorf("error leaks the password: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if st := g.Stats(); st.Logins != 0 || st.Basic < 1 || st.Basic > 8 || st.Cookie != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestRetryOnceAfter401: a request rejected with 401 is retried once after a new login; a
// second 401 is returned as an authentication error.
func TestRetryOnceAfter401(t *testing.T) {
	t.Parallel()
	g, srv, pool := startGrid(t)
	var reject atomic.Int64
	g.Hook = func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPost && reject.Add(-1) >= 0 {
			fakegrid.Unauthorized(w)
			return true
		}
		return false
	}
	c := newClient(t, srv.URL, pool)
	ctx := testCtx(t)

	reject.Store(1)
	if _, err := c.Create(ctx, "network", wapi.Object{"network": "10.0.0.0/24"}); err != nil {
		t.Fatalf("one 401 must be absorbed: %v", err)
	}
	if st := g.Stats(); st.Logins != 2 {
		t.Fatalf("stats %+v: want 2 logins", st)
	}

	reject.Store(2)
	_, err := c.Create(ctx, "network", wapi.Object{"network": "10.0.1.0/24"})
	var we *wapi.Error
	if !errors.Is(err, wapi.ErrAuth) || !errors.As(err, &we) || we.StatusCode != 401 || wapi.MaybeApplied(err) {
		t.Fatalf("two 401s: got %v", err)
	}
	if st := g.Stats(); st.Logins != 3 {
		t.Fatalf("stats %+v: want exactly one more login", st)
	}
}

func TestLoginWaitersHonourContext(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	g, srv, pool := startGrid(t)
	g.Hook = func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.RawQuery == "_schema" {
			<-release
		}
		return false
	}
	defer close(release)
	c := newClient(t, srv.URL, pool)
	ctx, cancel := context.WithCancel(testCtx(t))
	done := make(chan error, 1)
	go func() {
		_, err := c.Create(ctx, "network", wapi.Object{"network": "10.0.0.0/24"})
		done <- err
	}()
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) || errors.Is(err, wapi.ErrTransient) || wapi.MaybeApplied(err) {
		t.Fatalf("got %v: want a cancelled, unsent, non-transient error", err)
	}
}

func TestCloseLogsOut(t *testing.T) {
	t.Parallel()
	g, srv, pool := startGrid(t)
	c := newClient(t, srv.URL, pool)
	ctx := testCtx(t)
	if err := c.Login(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Login(ctx); err != nil { // no-op
		t.Fatal(err)
	}
	if g.Sessions() != 1 {
		t.Fatalf("%d sessions", g.Sessions())
	}
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	st := g.Stats()
	if st.Logouts != 1 || g.Sessions() != 0 || st.Basic != 1 {
		t.Fatalf("stats %+v, %d sessions: want one logout", st, g.Sessions())
	}
	if _, err := c.Create(ctx, "network", wapi.Object{"network": "10.0.0.0/24"}); !errors.Is(err, wapi.ErrClosed) || wapi.MaybeApplied(err) {
		t.Fatalf("after Close: %v", err)
	}
}

func TestNoCookieFallsBackToBasic(t *testing.T) {
	t.Parallel()
	g, srv, pool := startGrid(t)
	g.NoCookie = true
	c := newClient(t, srv.URL, pool)
	ctx := testCtx(t)
	for i := range 3 {
		if _, err := c.Create(ctx, "network", wapi.Object{"network": networkCIDR(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if st := g.Stats(); st.Basic != 4 || st.Cookie != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestSecretsRedacted: neither the password nor the session cookie appears in any printed
// form of the client, its errors or its logs.
func TestSecretsRedacted(t *testing.T) {
	t.Parallel()
	const password = "s3cr3t-Pa55word"
	g, srv, pool := startGrid(t)
	g.Password = password
	var logs bytes.Buffer
	var cookieMu sync.Mutex
	var cookies []string
	g.Hook = func(w http.ResponseWriter, r *http.Request) bool {
		if ck, err := r.Cookie("ibapauth"); err == nil {
			cookieMu.Lock()
			cookies = append(cookies, ck.Value)
			cookieMu.Unlock()
		}
		if r.Method == http.MethodDelete {
			fakegrid.WriteError(w, 400, "AdmConProtoError: x", "Client.Ibap.Proto", "bad")
			return true
		}
		return false
	}
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := newClient(t, srv.URL, pool, wapi.WithCredentials("admin", password), wapi.WithLogger(logger))
	ctx := testCtx(t)
	if _, err := c.Create(ctx, "network", wapi.Object{"network": "10.0.0.0/24"}); err != nil {
		t.Fatal(err)
	}
	g.ExpireSessions()
	_, err1 := c.Create(ctx, "network", wapi.Object{"network": "10.0.0.0/24"}) // conflict after re-login
	_, err2 := c.Delete(ctx, "network/abc:x")
	bad, _ := wapi.New(srv.URL, wapi.WithCredentials("admin", password+"x"), wapi.WithRootCAs(pool), wapi.WithLogger(logger))
	err3 := bad.Login(ctx)
	logger.Info("client", "c", c)
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}

	cookieMu.Lock()
	defer cookieMu.Unlock()
	if len(cookies) == 0 {
		t.Fatal("no cookie seen")
	}
	var out strings.Builder
	for _, v := range []any{c, bad, err1, err2, err3} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			fmt.Fprintf(&out, verb+"\n", v)
		}
	}
	// The struct itself, bypassing its methods.
	fmt.Fprintf(&out, "%+v %#v\n", reflect.ValueOf(c).Elem(), reflect.ValueOf(c).Elem())
	out.WriteString(logs.String())
	text := out.String()
	for _, s := range append([]string{password, "YWRtaW46czNjcjN0"}, cookies...) {
		tok := s
		if i := strings.LastIndexByte(s, ','); i >= 0 {
			tok = s[i+1:]
		}
		tok = strings.Trim(tok, `"`)
		if strings.Contains(text, tok) {
			t.Fatalf("secret %q leaked in:\n%s", tok, text)
		}
	}
	if !strings.Contains(logs.String(), "logged in") {
		t.Fatalf("expected session events in the log:\n%s", logs.String())
	}
}

// TestCloseDuringRequest: a request that comes back 401 after Close does not log in again.
func TestCloseDuringRequest(t *testing.T) {
	t.Parallel()
	g, srv, pool := startGrid(t)
	arrived, closed := make(chan struct{}), make(chan struct{})
	g.Hook = func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/network") {
			close(arrived)
			<-closed // the grid authenticates after the logout: 401
		}
		return false
	}
	c := newClient(t, srv.URL, pool)
	ctx := testCtx(t)
	if err := c.Login(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.Create(ctx, "network", wapi.Object{"network": "10.0.0.0/24"})
		done <- err
	}()
	<-arrived
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	close(closed)
	err := <-done
	if !errors.Is(err, wapi.ErrClosed) || wapi.MaybeApplied(err) {
		t.Fatalf("%v", err)
	}
	if st := g.Stats(); st.Logins != 1 || st.Logouts != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestSessionRefreshedCookie: a grid that refreshes the cookie on every reply moves the
// expiry forward; the client picks the new cookie up and never needs to log in again.
func TestSessionRefreshedCookie(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	g, srv, pool := startGrid(t)
	g.Now = clock.Now
	g.RefreshCookie = true
	c := newClient(t, srv.URL, pool, wapi.WithClock(clock.Now))
	ctx := testCtx(t)
	for i := range 6 {
		if _, err := c.Create(ctx, "network", wapi.Object{"network": networkCIDR(i)}); err != nil {
			t.Fatal(err)
		}
		clock.Advance(400 * time.Second) // beyond one timeout in total, never 600 s idle
	}
	if st := g.Stats(); st.Logins != 1 || st.Rejected != 0 {
		t.Fatalf("stats %+v: want one login", st)
	}
}
