package wapi_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/turbowapi/turbowapi/wapi"
	"github.com/turbowapi/turbowapi/wapi/internal/fakegrid"
)

// hijackReset reads the whole request, then resets the connection without replying.
func hijackReset(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	resetConn(conn)
}

func resetConn(conn net.Conn) {
	type netConner interface{ NetConn() net.Conn }
	raw := conn
	if nc, ok := conn.(netConner); ok {
		raw = nc.NetConn()
	}
	if tc, ok := raw.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // RST instead of FIN
	}
	_ = raw.Close()
}

type wantErr struct {
	is          []error // errors.Is must hold
	isNot       []error // errors.Is must not hold
	status      int     // *wapi.Error status, 0: no *wapi.Error expected
	transport   bool    // a *wapi.TransportError is expected
	sent        bool    // its Sent field
	decode      bool    // a *wapi.DecodeError is expected
	maybe       bool    // MaybeApplied
	retryAfter  time.Duration
	textContain string
}

func checkErr(t *testing.T, err error, w wantErr) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	for _, target := range w.is {
		if !errors.Is(err, target) {
			t.Errorf("errors.Is(%v, %v) = false", err, target)
		}
	}
	for _, target := range w.isNot {
		if errors.Is(err, target) {
			t.Errorf("errors.Is(%v, %v) = true", err, target)
		}
	}
	var we *wapi.Error
	if w.status != 0 {
		if !errors.As(err, &we) || we.StatusCode != w.status {
			t.Errorf("%v (%T): want *wapi.Error with status %d", err, err, w.status)
		}
	}
	var te *wapi.TransportError
	if got := errors.As(err, &te); got != w.transport {
		t.Errorf("%v (%T): TransportError %v, want %v", err, err, got, w.transport)
	} else if got && te.Sent != w.sent {
		t.Errorf("%v: Sent = %v, want %v", err, te.Sent, w.sent)
	}
	var de *wapi.DecodeError
	if got := errors.As(err, &de); got != w.decode {
		t.Errorf("%v (%T): DecodeError %v, want %v", err, err, got, w.decode)
	}
	if got := wapi.MaybeApplied(err); got != w.maybe {
		t.Errorf("MaybeApplied(%v) = %v, want %v", err, got, w.maybe)
	}
	d, ok := wapi.RetryAfter(err)
	if d != w.retryAfter || ok != (w.retryAfter > 0) {
		t.Errorf("RetryAfter(%v) = %v, %v; want %v", err, d, ok, w.retryAfter)
	}
	if w.textContain != "" && !strings.Contains(err.Error(), w.textContain) {
		t.Errorf("error %q does not contain %q", err.Error(), w.textContain)
	}
}

// TestErrorClassification provokes each error class on a grid whose hook injects it into
// the second create (the first one is a normal create, which the duplicate case relies on).
func TestErrorClassification(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	jsonErr := func(status int, class, code, text string) func(http.ResponseWriter, *http.Request) {
		return func(w http.ResponseWriter, _ *http.Request) { fakegrid.WriteError(w, status, class, code, text) }
	}
	cases := []struct {
		name   string
		inject func(w http.ResponseWriter, r *http.Request) // nil: let the grid answer
		data   wapi.Object
		want   wantErr
	}{
		{
			name: "duplicate network",
			data: wapi.Object{"network": "10.0.0.0/24"},
			want: wantErr{is: []error{wapi.ErrConflict}, isNot: []error{wapi.ErrParentNotFound, wapi.ErrTransient, wapi.ErrNotFound},
				status: 400, textContain: "already exists"},
		},
		{
			name: "duplicate zone",
			inject: jsonErr(400, "AdmConDataError: None (IBDataConflictError: IB.Data.Conflict:Duplicate object 'a.com' of type zone exists in the database.)",
				"Client.Ibap.Data.Conflict", "Duplicate object 'a.com' of type zone exists in the database."),
			want: wantErr{is: []error{wapi.ErrConflict}, isNot: []error{wapi.ErrParentNotFound}, status: 400},
		},
		{
			name: "parent not found",
			data: wapi.Object{"name": "h.zone.orphan"},
			want: wantErr{is: []error{wapi.ErrParentNotFound}, isNot: []error{wapi.ErrConflict, wapi.ErrNotFound, wapi.ErrTransient}, status: 400},
		},
		{
			name:   "conflict that is not a duplicate",
			inject: jsonErr(400, "AdmConDataError: None (IBDataConflictError: IB.Data.Conflict:Member 10.0.0.1 is assigned to another network view 'x')", "Client.Ibap.Data.Conflict", "Member 10.0.0.1 is assigned to another network view 'x'"),
			want:   wantErr{isNot: []error{wapi.ErrConflict, wapi.ErrParentNotFound}, status: 400},
		},
		{
			name:   "not found",
			inject: jsonErr(404, "AdmConDataNotFoundError: View yop not found", "Client.Ibap.Data.NotFound", "View yop not found"),
			want:   wantErr{is: []error{wapi.ErrNotFound}, isNot: []error{wapi.ErrConflict, wapi.ErrTransient}, status: 404},
		},
		{
			name: "404 without a WAPI body is not ErrNotFound",
			inject: func(w http.ResponseWriter, r *http.Request) {
				http.NotFound(w, r)
			},
			want: wantErr{isNot: []error{wapi.ErrNotFound}, status: 404},
		},
		{
			name:   "result set too large",
			inject: jsonErr(400, "AdmConProtoError: Result set too large (> 1000)", "Client.Ibap.Proto", "Result set too large (> 1000)"),
			want:   wantErr{isNot: []error{wapi.ErrConflict, wapi.ErrTransient, wapi.ErrNotFound}, status: 400, textContain: "Result set too large"},
		},
		{
			name: "403",
			inject: func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusForbidden)
			},
			want: wantErr{is: []error{wapi.ErrAuth}, status: 403},
		},
		{
			name: "503 with Retry-After seconds",
			inject: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Retry-After", "7")
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusServiceUnavailable)
				fmt.Fprint(w, "<html><head><title>503 Service Unavailable</title></head></html>")
			},
			want: wantErr{is: []error{wapi.ErrTransient}, status: 503, retryAfter: 7 * time.Second, textContain: "503 Service Unavailable"},
		},
		{
			name: "429 with Retry-After date",
			inject: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Retry-After", clock.Now().Add(30*time.Second).UTC().Format(http.TimeFormat))
				w.WriteHeader(http.StatusTooManyRequests)
			},
			want: wantErr{is: []error{wapi.ErrTransient}, status: 429, retryAfter: 30 * time.Second},
		},
		{
			name: "502 may have been applied",
			inject: func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusBadGateway)
			},
			want: wantErr{is: []error{wapi.ErrTransient}, status: 502, maybe: true},
		},
		{
			name: "504 may have been applied",
			inject: func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusGatewayTimeout)
			},
			want: wantErr{is: []error{wapi.ErrTransient}, status: 504, maybe: true},
		},
		{
			name:   "500 is not transient",
			inject: jsonErr(500, "AdmConDataError: None (IBDataError: IB.Data:'member_order' required)", "Client.Ibap.Data", "'member_order' required"),
			want:   wantErr{isNot: []error{wapi.ErrTransient}, status: 500},
		},
		{
			name:   "connection reset after the request was read: sent, no reply",
			inject: hijackReset,
			want:   wantErr{is: []error{wapi.ErrTransient}, transport: true, sent: true, maybe: true, textContain: "sent, no reply"},
		},
		{
			name: "reply cut after a 201 status: applied, reply lost",
			inject: func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				conn, buf, err := http.NewResponseController(w).Hijack()
				if err != nil {
					panic(err)
				}
				fmt.Fprint(buf, "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n\"network/ZG5z")
				_ = buf.Flush()
				resetConn(conn)
			},
			want: wantErr{is: []error{wapi.ErrTransient}, transport: true, sent: true, maybe: true},
		},
		{
			name: "malformed 201 reply",
			inject: func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusCreated)
				fmt.Fprint(w, `{"not": "a ref"`)
			},
			want: wantErr{decode: true, maybe: true, isNot: []error{wapi.ErrTransient}},
		},
		{
			name: "HTML 200 without a redirect",
			inject: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				fmt.Fprint(w, "<html><body>maintenance</body></html>")
			},
			want: wantErr{decode: true, maybe: true},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g, srv, pool := startGrid(t)
			posts := 0
			g.Hook = func(w http.ResponseWriter, r *http.Request) bool {
				if r.Method != http.MethodPost {
					return false
				}
				posts++ // requests of one client are sequential here
				if posts == 2 && tc.inject != nil {
					tc.inject(w, r)
					return true
				}
				return false
			}
			c := newClient(t, srv.URL, pool, wapi.WithClock(clock.Now))
			ctx := testCtx(t)
			if _, err := c.Create(ctx, "network", wapi.Object{"network": "10.0.0.0/24"}); err != nil {
				t.Fatal(err)
			}
			data := tc.data
			if data == nil {
				data = wapi.Object{"network": "10.0.1.0/24"}
			}
			typ := "network"
			if _, ok := data["name"]; ok {
				typ = "record:host"
			}
			_, err := c.Create(ctx, typ, data)
			checkErr(t, err, tc.want)
		})
	}
}

// TestNeverSent: a write that could not be sent at all is reported as not applied.
func TestNeverSent(t *testing.T) {
	t.Parallel()
	t.Run("connection refused after login", func(t *testing.T) {
		t.Parallel()
		_, srv, pool := startGrid(t)
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
		c, err := wapi.New(srv.URL, wapi.WithCredentials("admin", "infoblox"), wapi.WithTransport(tr))
		if err != nil {
			t.Fatal(err)
		}
		ctx := testCtx(t)
		if err := c.Login(ctx); err != nil {
			t.Fatal(err)
		}
		srv.Close() // closes the listener and the connections
		// Forget the pooled connection: a request written on it before the client noticed
		// the close would count as sent (the conservative answer).
		tr.CloseIdleConnections()
		_, err = c.Create(ctx, "network", wapi.Object{"network": "10.0.0.0/24"})
		checkErr(t, err, wantErr{is: []error{wapi.ErrTransient}, transport: true, sent: false, maybe: false})
	})
	t.Run("connection refused at login", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		_ = ln.Close()
		c, err := wapi.New("https://"+addr, wapi.WithCredentials("admin", "x"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Create(testCtx(t), "network", wapi.Object{"network": "10.0.0.0/24"})
		var le *wapi.LoginError
		if !errors.As(err, &le) {
			t.Fatalf("%v: want a LoginError", err)
		}
		checkErr(t, err, wantErr{is: []error{wapi.ErrTransient}, transport: true, sent: false, maybe: false})
	})
	t.Run("context done before sending", func(t *testing.T) {
		t.Parallel()
		_, srv, pool := startGrid(t)
		c := newClient(t, srv.URL, pool)
		ctx := testCtx(t)
		if err := c.Login(ctx); err != nil {
			t.Fatal(err)
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := c.Create(cctx, "network", wapi.Object{"network": "10.0.0.0/24"})
		checkErr(t, err, wantErr{is: []error{context.Canceled}, isNot: []error{wapi.ErrTransient}, transport: true, sent: false, maybe: false})
	})
	t.Run("unknown certificate authority", func(t *testing.T) {
		t.Parallel()
		_, srv, _ := startGrid(t)
		c, err := wapi.New(srv.URL, wapi.WithCredentials("admin", "infoblox"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Create(testCtx(t), "network", wapi.Object{"network": "10.0.0.0/24"})
		checkErr(t, err, wantErr{isNot: []error{wapi.ErrTransient, wapi.ErrAuth}, transport: true, sent: false, maybe: false})
	})
	t.Run("invalid argument", func(t *testing.T) {
		t.Parallel()
		_, srv, pool := startGrid(t)
		c := newClient(t, srv.URL, pool)
		_, err := c.Update(testCtx(t), "network/abc?_function=x", wapi.Object{})
		if !errors.Is(err, wapi.ErrInvalid) || wapi.MaybeApplied(err) {
			t.Fatalf("%v", err)
		}
	})
}

// TestSentNoReply: a request that reached the grid but got no answer in time, or whose
// caller gave up, may have been applied.
func TestSentNoReply(t *testing.T) {
	t.Parallel()
	t.Run("per-request timeout", func(t *testing.T) {
		t.Parallel()
		g, srv, pool := startGrid(t)
		stop := make(chan struct{})
		t.Cleanup(func() { close(stop) }) // runs before the server's cleanup
		g.Hook = func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/network") {
				_, _ = io.Copy(io.Discard, r.Body) // lets the server notice the client leaving
				select {
				case <-r.Context().Done(): // until the client gives up
				case <-stop:
				}
				return true
			}
			return false
		}
		c := newClient(t, srv.URL, pool, wapi.WithTimeout(100*time.Millisecond))
		_, err := c.Create(testCtx(t), "network", wapi.Object{"network": "10.0.0.0/24"})
		checkErr(t, err, wantErr{is: []error{wapi.ErrTransient, context.DeadlineExceeded}, transport: true, sent: true, maybe: true})
	})
	t.Run("caller cancels in flight", func(t *testing.T) {
		t.Parallel()
		g, srv, pool := startGrid(t)
		arrived := make(chan struct{})
		stop := make(chan struct{})
		t.Cleanup(func() { close(stop) })
		g.Hook = func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/network") {
				_, _ = io.Copy(io.Discard, r.Body)
				close(arrived)
				select {
				case <-r.Context().Done():
				case <-stop:
				}
				return true
			}
			return false
		}
		c := newClient(t, srv.URL, pool)
		ctx, cancel := context.WithCancel(testCtx(t))
		if err := c.Login(ctx); err != nil {
			t.Fatal(err)
		}
		go func() {
			<-arrived
			cancel()
		}()
		_, err := c.Create(ctx, "network", wapi.Object{"network": "10.0.0.0/24"})
		checkErr(t, err, wantErr{is: []error{context.Canceled}, isNot: []error{wapi.ErrTransient}, transport: true, sent: true, maybe: true})
	})
	t.Run("server closes without reading or replying", func(t *testing.T) {
		// The raw server accepts one TLS connection per request and closes it after the
		// request line: the client may or may not have finished writing; either answer
		// must be consistent with MaybeApplied.
		t.Parallel()
		g, srv, pool := startGrid(t)
		g.Hook = func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/network") {
				conn, _, err := http.NewResponseController(w).Hijack()
				if err == nil {
					resetConn(conn)
				}
				return true
			}
			return false
		}
		c := newClient(t, srv.URL, pool)
		_, err := c.Create(testCtx(t), "network", wapi.Object{"network": "10.0.0.0/24"})
		var te *wapi.TransportError
		if !errors.As(err, &te) || !errors.Is(err, wapi.ErrTransient) || wapi.MaybeApplied(err) != te.Sent {
			t.Fatalf("%v", err)
		}
	})
}
