package wapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxRedirects bounds how many Grid Master meta-refresh redirects one call follows.
const maxRedirects = 3

// Client is a WAPI client bound to one grid. It is safe for concurrent use by many
// goroutines, which share one session (one login) and one pool of connections. Create it
// with [New] and release it with [Client.Close].
type Client struct {
	hc        *http.Client
	rt        http.RoundTripper // used directly (no redirects, no jar) unless WithHTTPClient
	transport *http.Transport   // owned by the client; nil with WithHTTPClient / WithTransport
	creds     *credentials      // nil without WithCredentials
	sess      *session
	log       *slog.Logger
	now       func() time.Time
	timeout   time.Duration
	maxResp   int64
	uaHdr     []string
	pinned    bool // version pinned by option or URL

	epMu sync.Mutex // serialises endpoint changes
	ep   atomic.Pointer[endpoint]

	closed atomic.Bool
}

// credentials holds the user and password; it redacts when printed.
type credentials struct {
	user     string
	password secret
}

func (c *credentials) String() string {
	return "wapi.credentials{user:" + c.user + " password:" + redacted + "}"
}
func (c *credentials) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// endpoint is where requests go: the grid's base URL and the negotiated version.
type endpoint struct {
	base    string // scheme://host[:port][/path prefix], no trailing slash
	version string // "" until negotiated
	prefix  string // base + "/wapi/v" + version + "/"
}

func newEndpoint(base, version string) *endpoint {
	ep := &endpoint{base: base, version: version}
	if version != "" {
		ep.prefix = base + "/wapi/v" + version + "/"
	}
	return ep
}

var (
	jsonHdr = []string{"application/json"}
)

// New returns a client for the grid at baseURL, for example "https://gm.example.com". A
// base URL ending in "/wapi/vX.Y" pins that version, like [WithVersion]. New does no I/O:
// the session is opened (and the version negotiated) by the first call, or explicitly with
// [Client.Login].
func New(baseURL string, opts ...Option) (*Client, error) {
	o := defaultOptions()
	for _, opt := range opts {
		if opt == nil {
			return nil, invalidf("nil Option")
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if err := o.check(); err != nil {
		return nil, err
	}
	base, urlVersion, err := parseBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	if urlVersion != "" {
		if o.version != "" && o.version != urlVersion {
			return nil, invalidf("base URL pins WAPI version %s but WithVersion says %s", urlVersion, o.version)
		}
		o.version = urlVersion
	}
	c := &Client{
		sess:    &session{},
		log:     o.logger,
		now:     o.now,
		timeout: o.timeout,
		maxResp: o.maxRespBytes,
		uaHdr:   []string{o.userAgent},
		pinned:  o.version != "",
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if o.haveCreds {
		c.creds = &credentials{user: o.user, password: o.password}
	}
	switch {
	case o.httpClient != nil:
		hc := *o.httpClient
		c.hc = &hc
	case o.transport != nil:
		c.hc = &http.Client{Transport: o.transport}
		c.rt = o.transport
	default:
		c.transport = o.newTransport()
		c.hc = &http.Client{Transport: c.transport}
		c.rt = c.transport
	}
	c.hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.ep.Store(newEndpoint(base, o.version))
	return c, nil
}

// parseBaseURL validates the grid URL and splits off a trailing /wapi or /wapi/vX.Y.
// Errors never echo the URL, which could hold credentials.
func parseBaseURL(raw string) (base, version string, err error) {
	u, perr := url.Parse(strings.TrimSpace(raw))
	if perr != nil {
		return "", "", invalidf("base URL does not parse")
	}
	if u.User != nil {
		return "", "", invalidf("base URL must not hold credentials; use WithCredentials")
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", "", invalidf("base URL scheme must be https (or http), not %q", u.Scheme)
	}
	if u.Host == "" {
		return "", "", invalidf("base URL has no host")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", "", invalidf("base URL must not have a query or fragment")
	}
	p := strings.TrimRight(u.EscapedPath(), "/")
	if i := strings.LastIndex(p, "/wapi/v"); i >= 0 {
		v := p[i+len("/wapi/v"):]
		if _, ok := parseVersion(v); !ok {
			return "", "", invalidf("base URL names an invalid WAPI version %q", v)
		}
		version, p = v, p[:i]
	} else if strings.HasSuffix(p, "/wapi") {
		p = strings.TrimSuffix(p, "/wapi")
	}
	return u.Scheme + "://" + u.Host + p, version, nil
}

// String describes the client without secrets.
func (c *Client) String() string {
	ep := c.ep.Load()
	user := ""
	if c.creds != nil {
		user = c.creds.user
	}
	return "wapi.Client{url:" + ep.base + " version:" + ep.version + " user:" + user + "}"
}

// Format prints [Client.String] for every verb, so no verb can reach the secrets.
func (c *Client) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue describes the client to slog without secrets.
func (c *Client) LogValue() slog.Value {
	ep := c.ep.Load()
	user := ""
	if c.creds != nil {
		user = c.creds.user
	}
	return slog.GroupValue(slog.String("url", ep.base), slog.String("version", ep.version), slog.String("user", user))
}

// Version returns the WAPI version in use: the pinned one, or the negotiated one once the
// session is open ("" before).
func (c *Client) Version() string { return c.ep.Load().version }

// BaseURL returns the grid URL requests go to. It changes when a member redirects the client
// to the Grid Master.
func (c *Client) BaseURL() string { return c.ep.Load().base }

// Login opens the session now (and negotiates the version) instead of on the first call. It
// is a no-op when a valid session exists.
func (c *Client) Login(ctx context.Context) error {
	if c.closed.Load() {
		return ErrClosed
	}
	_, err := c.sess.acquire(ctx, c, 0, false)
	return err
}

// Close logs out (POST /wapi/vX/logout), which invalidates the session cookie on the grid,
// and closes idle connections. Calls made after Close fail with [ErrClosed]; Close does not
// wait for calls in progress (they may end with a 401 turned into [ErrClosed], as no new
// login is made). Close is idempotent.
func (c *Client) Close(ctx context.Context) error {
	if !c.closed.CompareAndSwap(false, true) {
		return nil
	}
	defer func() {
		if c.transport != nil {
			c.transport.CloseIdleConnections()
		}
	}()
	st, ok, err := c.sess.closeSession(ctx)
	if err != nil || !ok || st.cookie == nil {
		return err
	}
	cl := call{method: http.MethodPost, object: "logout"}
	rep, err := c.roundTrip(ctx, c.ep.Load(), &cl, st)
	if err != nil {
		return err
	}
	defer rep.release()
	if rep.status/100 != 2 && rep.status != http.StatusUnauthorized {
		return parseError(rep.status, rep.header, rep.body(), cl.method, cl.object, c.now())
	}
	c.log.Debug("wapi: logged out", "client", c)
	return nil
}

// call is one WAPI request relative to the version prefix.
type call struct {
	method string
	object string // object type, reference, "request", "logout"; "" for the version root
	query  string // encoded query without '?'
	body   []byte // JSON body, nil for none
}

// reply is a read HTTP reply. Its body lives in a pooled buffer: call release when done.
type reply struct {
	status int
	header http.Header
	buf    *bytes.Buffer
}

func (r *reply) body() []byte { return r.buf.Bytes() }

func (r *reply) release() {
	if r.buf != nil {
		putBuffer(r.buf)
		r.buf = nil
	}
}

// exec runs cl with the session: it opens or renews the session as needed, retries once
// after a 401 with a fresh login, follows Grid Master redirects, and decodes a 2xx reply
// into out (nil: ignore, *string, *json.RawMessage, or anything encoding/json accepts).
func (c *Client) exec(ctx context.Context, cl *call, out any) error {
	if c.closed.Load() {
		return ErrClosed
	}
	var staleGen uint64
	stale := false
	redirects := 0
	for {
		st, err := c.sess.acquire(ctx, c, staleGen, stale)
		if err != nil {
			var cce callerContextError
			if errors.As(err, &cce) {
				return &TransportError{Method: cl.method, Object: cl.object, Err: err}
			}
			return err
		}
		ep := c.ep.Load()
		rep, err := c.roundTrip(ctx, ep, cl, st)
		if err != nil {
			return err
		}
		switch {
		case rep.status == http.StatusUnauthorized && !stale:
			rep.release()
			c.log.Debug("wapi: session rejected, logging in again", "gen", st.gen)
			stale, staleGen = true, st.gen
			continue
		case rep.status/100 == 2 && !isHTML(rep.header, rep.body()):
			c.sess.noteCookie(c, rep.header, st.gen)
			err := decodeReply(rep, cl, out)
			rep.release()
			return err
		}
		if target, ok := metaRefreshTarget(rep); ok && redirects < maxRedirects {
			rep.release()
			redirects++
			if err := c.moveTo(ep, target); err != nil {
				return err
			}
			continue
		}
		defer rep.release()
		if rep.status/100 == 2 {
			return &DecodeError{Method: cl.method, Object: cl.object, StatusCode: rep.status, Err: errors.New("HTML reply")}
		}
		return parseError(rep.status, rep.header, rep.body(), cl.method, cl.object, c.now())
	}
}

func metaRefreshTarget(rep *reply) (string, bool) {
	if rep.status == http.StatusUnauthorized || !isHTML(rep.header, rep.body()) {
		return "", false
	}
	return parseMetaRefresh(rep.body())
}

// decodeReply decodes a 2xx body into out.
func decodeReply(rep *reply, cl *call, out any) error {
	b := rep.body()
	var err error
	switch v := out.(type) {
	case nil:
		return nil
	case *string:
		if s, ok := fastJSONString(b); ok {
			*v = s
			return nil
		}
		err = json.Unmarshal(b, v)
	case *json.RawMessage:
		b = bytes.TrimSpace(b)
		if !json.Valid(b) {
			err = errors.New("invalid JSON")
		} else {
			*v = append((*v)[:0], b...)
		}
	default:
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		return &DecodeError{Method: cl.method, Object: cl.object, StatusCode: rep.status, Err: err}
	}
	return nil
}

// fastJSONString decodes a JSON string without escapes (the usual shape of a reference).
func fastJSONString(b []byte) (string, bool) {
	b = bytes.TrimSpace(b)
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	inner := b[1 : len(b)-1]
	for _, ch := range inner {
		if ch == '\\' || ch == '"' || ch < 0x20 {
			return "", false
		}
	}
	return string(inner), true
}

// sendState tracks whether the request was written in full (see TransportError.Sent).
type sendState struct {
	wrote atomic.Bool
	trace httptrace.ClientTrace
}

func newSendState() *sendState {
	s := &sendState{}
	s.trace.GetConn = func(string) { s.wrote.Store(false) }
	s.trace.WroteRequest = func(i httptrace.WroteRequestInfo) {
		if i.Err == nil {
			s.wrote.Store(true)
		}
	}
	return s
}

// roundTrip sends one request with the given authentication and reads the whole reply.
func (c *Client) roundTrip(ctx context.Context, ep *endpoint, cl *call, st authState) (*reply, error) {
	if err := ctx.Err(); err != nil {
		return nil, &TransportError{Method: cl.method, Object: cl.object, Err: callerContextError{err}}
	}
	var sb strings.Builder
	sb.Grow(len(ep.prefix) + len(cl.object) + 1 + len(cl.query))
	sb.WriteString(ep.prefix)
	sb.WriteString(cl.object)
	if cl.query != "" {
		sb.WriteByte('?')
		sb.WriteString(cl.query)
	}
	return c.send(ctx, sb.String(), cl, st)
}

// send performs one HTTP exchange to the absolute URL u.
func (c *Client) send(ctx context.Context, u string, cl *call, st authState) (*reply, error) {
	rctx := ctx
	cancel := context.CancelFunc(nil)
	if c.timeout > 0 {
		rctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	ss := newSendState()
	rctx = httptrace.WithClientTrace(rctx, &ss.trace)

	var body io.Reader
	if cl.body != nil {
		body = bytes.NewReader(cl.body)
	}
	req, err := http.NewRequestWithContext(rctx, cl.method, u, body)
	if err != nil {
		return nil, invalidf("%s %s: %v", cl.method, cl.object, errors.Unwrap(err))
	}
	h := req.Header
	h["User-Agent"] = c.uaHdr
	h["Accept"] = jsonHdr
	if cl.body != nil {
		h["Content-Type"] = jsonHdr
	}
	if st.cookie != nil {
		h["Cookie"] = st.cookie
	}
	if st.authz != nil {
		h["Authorization"] = st.authz
	}
	var resp *http.Response
	if c.rt != nil {
		resp, err = c.rt.RoundTrip(req)
	} else {
		resp, err = c.hc.Do(req)
	}
	if err != nil {
		return nil, c.transportError(ctx, cl, ss.wrote.Load(), err)
	}
	limit := c.maxResp
	if resp.StatusCode/100 != 2 {
		limit = MaxErrorBodyBytes
	}
	buf := getBuffer()
	n, rerr := readLimited(buf, resp.Body, limit+1)
	_ = resp.Body.Close()
	rep := &reply{status: resp.StatusCode, header: resp.Header, buf: buf}
	switch {
	case rerr != nil && resp.StatusCode/100 == 2:
		rep.release()
		// The grid answered 2xx: a write was applied, but the reply is lost.
		return nil, c.transportError(ctx, cl, true, rerr)
	case n > limit && resp.StatusCode/100 == 2:
		rep.release()
		return nil, &DecodeError{Method: cl.method, Object: cl.object, StatusCode: resp.StatusCode,
			Err: fmt.Errorf("reply larger than %d bytes", limit)}
	case n > limit:
		buf.Truncate(int(limit))
	}
	return rep, nil
}

// transportError classifies a failed exchange.
func (c *Client) transportError(ctx context.Context, cl *call, sent bool, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	switch {
	case ctx.Err() != nil:
		// The caller's context ended: not transient.
		err = callerContextError{err: ctx.Err()}
	case errors.Is(err, context.DeadlineExceeded):
		err = requestTimeoutError{d: c.timeout}
	default:
		err = transportFailure{err: err}
	}
	return &TransportError{Method: cl.method, Object: cl.object, Sent: sent, Err: err}
}

// moveTo follows a member's meta-refresh to the Grid Master: later requests go to target's
// scheme and host (the path prefix is kept) and the session is opened there.
func (c *Client) moveTo(from *endpoint, target string) error {
	c.epMu.Lock()
	defer c.epMu.Unlock()
	cur := c.ep.Load()
	if cur.base != from.base {
		return nil // another goroutine already moved
	}
	old, err := url.Parse(cur.base)
	if err != nil {
		return invalidf("current base URL does not parse")
	}
	t, err := old.Parse(target)
	if err != nil || t.Host == "" {
		return &DecodeError{Method: http.MethodGet, Object: "", StatusCode: http.StatusOK,
			Err: errors.New("Grid Master redirect to an invalid URL")}
	}
	if old.Scheme == "https" && t.Scheme != "https" {
		return &DecodeError{Method: http.MethodGet, Object: "", StatusCode: http.StatusOK,
			Err: errors.New("Grid Master redirect would leave https")}
	}
	if t.Scheme != "https" && t.Scheme != "http" {
		return &DecodeError{Method: http.MethodGet, Object: "", StatusCode: http.StatusOK,
			Err: fmt.Errorf("Grid Master redirect to unsupported scheme %q", t.Scheme)}
	}
	base := t.Scheme + "://" + t.Host + old.EscapedPath()
	if base == cur.base {
		return &DecodeError{Method: http.MethodGet, Object: "", StatusCode: http.StatusOK,
			Err: errors.New("Grid Master redirect to the same host")}
	}
	c.ep.Store(newEndpoint(base, cur.version))
	c.sess.invalidate()
	c.log.Debug("wapi: following Grid Master redirect", "from", cur.base, "to", base)
	return nil
}

// setVersion records the negotiated version.
func (c *Client) setVersion(v string) {
	c.epMu.Lock()
	defer c.epMu.Unlock()
	cur := c.ep.Load()
	if cur.version == "" {
		c.ep.Store(newEndpoint(cur.base, v))
	}
}

// readLimited reads r into buf until EOF or until limit bytes were read.
func readLimited(buf *bytes.Buffer, r io.Reader, limit int64) (int64, error) {
	var n int64
	for n < limit {
		if buf.Available() < 512 {
			buf.Grow(4096)
		}
		free := buf.AvailableBuffer()
		free = free[:min(int64(cap(free)), limit-n)]
		m, err := r.Read(free)
		buf.Write(free[:m])
		n += int64(m)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer: larger buffers are dropped rather than kept in the pool.
const maxPooledBuffer = 1 << 20

func getBuffer() *bytes.Buffer { return bufPool.Get().(*bytes.Buffer) }

func putBuffer(b *bytes.Buffer) {
	if b.Cap() > maxPooledBuffer {
		return
	}
	b.Reset()
	bufPool.Put(b)
}
