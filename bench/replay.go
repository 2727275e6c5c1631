package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// WAPIVersion is the WAPI version of the article's scripts.
const WAPIVersion = "2.11"

// userAgent identifies the benchmark's requests.
const userAgent = "turbowapi-bench/1"

// Pool sizes of the scripts' HTTP clients.
const (
	// requestsPoolSize is the connections a requests session keeps per host (urllib3's
	// default pool_maxsize); pool_block is off, so more are opened when needed and closed
	// when returned to a full pool.
	requestsPoolSize = 10
	// aiohttpLimit is aiohttp's default TCPConnector limit.
	aiohttpLimit = 100
)

// measure is what one timed run produced.
type measure struct {
	start, end  time.Time
	requests    int
	created     int
	status      map[int]int
	errors      int
	firstErr    string
	connections int64
}

func (m *measure) record(status int, created int, err error) {
	m.requests++
	if err != nil {
		m.errors++
		if m.firstErr == "" {
			m.firstErr = err.Error()
		}
		return
	}
	m.status[status]++
	m.created += created
}

// replayer sends the workload the way one of the article's scripts did, with raw HTTP.
type replayer struct {
	grid    Grid
	view    string
	comment string
	cidrs   []string
	timeout time.Duration
}

func (r *replayer) wapiURL(object string) string {
	return r.grid.base() + "/wapi/v" + r.grid.version() + "/" + object
}

// httpClient returns a client with a cookie jar (the scripts' sessions keep the ibapauth
// cookie) over t.
func (r *replayer) httpClient(t http.RoundTripper) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Transport: t,
		Jar:       jar,
		Timeout:   r.timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// login sends GET grid with Basic credentials, as every script did, and returns the open
// response (the async script keeps it open while it posts).
func (r *replayer) login(ctx context.Context, hc *http.Client) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.wapiURL("grid"), nil)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(r.grid.User, r.grid.Password)
	req.Header.Set("User-Agent", userAgent)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("bench: login (GET grid): %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		drain(resp)
		return nil, fmt.Errorf("bench: login (GET grid) answered %s", resp.Status)
	}
	return resp, nil
}

// jsonBody is the requests scripts' body: json.dumps of the payload (", " and ": "
// separators), sent without a Content-Type. The network view is the benchmark's own.
func (r *replayer) jsonBody(cidr string) []byte {
	n, _ := json.Marshal(cidr)
	c, _ := json.Marshal(r.comment)
	v, _ := json.Marshal(r.view)
	return fmt.Appendf(nil, `{"network": %s, "comment": %s, "network_view": %s}`, n, c, v)
}

// formBody is aiohttp's encoding of the payload dict (data=payload): form-encoded, in the
// dict's order.
func (r *replayer) formBody(cidr string) string {
	return "network=" + url.QueryEscape(cidr) + "&comment=" + url.QueryEscape(r.comment) +
		"&network_view=" + url.QueryEscape(r.view)
}

// post sends one POST network and returns its status.
func (r *replayer) post(ctx context.Context, hc *http.Client, body io.Reader, contentType string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.wapiURL("network"), body)
	if err != nil {
		return 0, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	drain(resp)
	return resp.StatusCode, nil
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
}

func created(status int) int {
	if status == http.StatusCreated {
		return 1
	}
	return 0
}

// sequential replays wapi-network.py: login, then one POST at a time.
func (r *replayer) sequential(ctx context.Context) (*measure, error) {
	hc, t, dials, err := r.requestsSession(ctx)
	if err != nil {
		return nil, err
	}
	defer t.CloseIdleConnections()
	m := &measure{status: map[int]int{}, start: time.Now()}
	for _, cidr := range r.cidrs {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		st, err := r.post(ctx, hc, bytes.NewReader(r.jsonBody(cidr)), "")
		m.record(st, created(st), err)
	}
	m.end = time.Now()
	m.connections = dials.Load()
	return m, nil
}

// requestsSession opens the session of the requests scripts (a pool that keeps at most
// requestsPoolSize idle connections, with no cap) and logs in before the timer, then closes
// the login's connection: the scripts post after their `with requests.session()` block has
// closed the session, so the first timed request opens a new connection (with the cookie
// still in the session). It returns the client, its transport and the counter of its dials.
func (r *replayer) requestsSession(ctx context.Context) (*http.Client, *http.Transport, *atomic.Int64, error) {
	t, dials := r.grid.transport(requestsPoolSize, 0)
	hc := r.httpClient(t)
	resp, err := r.login(ctx, hc)
	if err != nil {
		t.CloseIdleConnections()
		return nil, nil, nil, err
	}
	drain(resp)
	t.CloseIdleConnections()
	return hc, t, dials, nil
}

// threads replays wapi-threaded.py: n workers share one session whose pool keeps at most 10
// idle connections and opens more when all are busy (urllib3 with pool_block off); a
// connection returned to a full pool is closed. Go's transport with 10 idle connections per
// host and no cap follows the same rule.
func (r *replayer) threads(ctx context.Context, n int) (*measure, error) {
	hc, t, dials, err := r.requestsSession(ctx)
	if err != nil {
		return nil, err
	}
	defer t.CloseIdleConnections()
	m := &measure{status: map[int]int{}, start: time.Now()}
	r.fanOut(ctx, n, m, func(cidr string) (int, error) {
		return r.post(ctx, hc, bytes.NewReader(r.jsonBody(cidr)), "")
	})
	m.end = time.Now()
	m.connections = dials.Load()
	return m, ctx.Err()
}

// fanOut runs send for every network with n workers and records the results in m.
func (r *replayer) fanOut(ctx context.Context, n int, m *measure, send func(cidr string) (int, error)) {
	var next atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(r.cidrs) || ctx.Err() != nil {
					return
				}
				st, err := send(r.cidrs[i])
				mu.Lock()
				m.record(st, created(st), err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

// request replays wapi-request.py: one POST request carrying every network.
func (r *replayer) request(ctx context.Context) (*measure, error) {
	hc, t, dials, err := r.requestsSession(ctx)
	if err != nil {
		return nil, err
	}
	defer t.CloseIdleConnections()
	var body bytes.Buffer
	body.WriteByte('[')
	for i, cidr := range r.cidrs {
		if i > 0 {
			body.WriteString(", ")
		}
		body.WriteString(`{"method": "POST", "object": "network", "data": `)
		body.Write(r.jsonBody(cidr))
		body.WriteByte('}')
	}
	body.WriteByte(']')
	m := &measure{status: map[int]int{}, start: time.Now()}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.wapiURL("request"), &body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := hc.Do(req)
	if err != nil {
		m.record(0, 0, err)
	} else {
		var refs []json.RawMessage
		derr := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&refs)
		resp.Body.Close()
		n := 0
		if resp.StatusCode/100 == 2 && derr == nil {
			for _, ref := range refs {
				var s string
				if json.Unmarshal(ref, &s) == nil && strings.HasPrefix(s, "network/") {
					n++
				}
			}
		}
		m.record(resp.StatusCode, n, nil)
	}
	m.end = time.Now()
	m.connections = dials.Load()
	return m, nil
}

// async replays wapi-async.py: the timer starts before the client exists; login with Basic,
// whose response stays open while the posts run; n posts in flight under a semaphore,
// form-encoded. aiohttp's connector opens up to 100 connections and keeps them alive.
func (r *replayer) async(ctx context.Context, n int) (*measure, error) {
	m := &measure{status: map[int]int{}, start: time.Now()}
	t, dials := r.grid.transport(aiohttpLimit, aiohttpLimit)
	defer t.CloseIdleConnections()
	hc := r.httpClient(t)
	login, err := r.login(ctx, hc)
	if err != nil {
		return nil, err
	}
	r.fanOut(ctx, n, m, func(cidr string) (int, error) {
		return r.post(ctx, hc, strings.NewReader(r.formBody(cidr)), "application/x-www-form-urlencoded")
	})
	drain(login)
	m.end = time.Now()
	m.connections = dials.Load()
	return m, ctx.Err()
}

// errNoObjects: a run created nothing.
var errNoObjects = errors.New("bench: nothing was created")
