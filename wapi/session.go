package wapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// session is the one WAPI session every goroutine of a Client shares.
//
// Credentials are sent once, by a login request (GET /wapi/vX/?_schema with HTTP Basic,
// which also negotiates the version); every other request carries only the ibapauth cookie.
// When the session has to be (re)opened, because there is none yet, because the cookie's
// ctime + timeout has passed, or because a request came back 401, exactly one goroutine runs
// the login and the others wait for its outcome. Each successful login increments gen; a
// request remembers the gen it was sent with, so a 401 that arrives after another goroutine
// already logged in again (a stale 401) reuses the new session instead of logging in a
// second time.
type session struct {
	mu      sync.Mutex
	gen     uint64
	ready   bool
	cookie  []string  // Cookie header ("ibapauth=<value>"), nil if the grid set none
	authz   []string  // Authorization header sent on every request (no-cookie fallback)
	expires time.Time // zero: unknown, rely on 401
	login   *loginCall

	// cur is a lock-free copy of the usable session (nil when there is none), so that the
	// common case, a valid session, takes no lock.
	cur atomic.Pointer[snapshot]
}

type snapshot struct {
	authState
	expires time.Time
}

// publish refreshes cur; s.mu must be held.
func (s *session) publish() {
	if !s.ready || s.login != nil {
		s.cur.Store(nil)
		return
	}
	s.cur.Store(&snapshot{authState: authState{gen: s.gen, cookie: s.cookie, authz: s.authz}, expires: s.expires})
}

// String redacts: the session holds the cookie.
func (s *session) String() string { return "wapi.session{REDACTED}" }

// Format redacts for every verb.
func (s *session) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.String())) }

type loginCall struct {
	done chan struct{}
	err  error
}

// authState is what one request sends: a snapshot of the session.
type authState struct {
	gen    uint64
	cookie []string
	authz  []string
}

// acquire returns the session to send a request with, logging in first when needed. If
// stale is true, the caller's request (sent with generation staleGen) was rejected with 401:
// a new login is started unless one already replaced that generation.
func (s *session) acquire(ctx context.Context, c *Client, staleGen uint64, stale bool) (authState, error) {
	if p := s.cur.Load(); p != nil && !(stale && p.gen == staleGen) &&
		(p.expires.IsZero() || c.now().Before(p.expires)) {
		return p.authState, nil
	}
	s.mu.Lock()
	waited := false
	for {
		if l := s.login; l != nil {
			s.mu.Unlock()
			select {
			case <-l.done:
			case <-ctx.Done():
				return authState{}, callerContextError{ctx.Err()}
			}
			if l.err != nil {
				return authState{}, l.err
			}
			s.mu.Lock()
			// A session that a login completed for us is used even if the clock already
			// says it expired (a grid clock far ahead must not cause a login loop), and a
			// successful login always replaced the generation a 401 came from.
			waited, stale = true, false
			continue
		}
		valid := s.ready && !(stale && s.gen == staleGen) &&
			(waited || s.expires.IsZero() || c.now().Before(s.expires))
		if valid {
			st := authState{gen: s.gen, cookie: s.cookie, authz: s.authz}
			s.mu.Unlock()
			return st, nil
		}
		if c.closed.Load() {
			s.mu.Unlock()
			return authState{}, ErrClosed
		}
		l := &loginCall{done: make(chan struct{})}
		s.login = l
		s.ready = false
		s.publish()
		s.mu.Unlock()
		// The login runs on its own, detached from the caller's context, so a caller that
		// gives up does not fail the others waiting for the same login. It is bounded by
		// the client's timeout.
		go s.runLogin(context.WithoutCancel(ctx), c, l)
		s.mu.Lock()
	}
}

func (s *session) runLogin(ctx context.Context, c *Client, l *loginCall) {
	if c.timeout == 0 {
		// The login is detached from its callers: bound it even without a per-request
		// timeout.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	res, err := c.login(ctx)
	s.mu.Lock()
	if err == nil {
		s.gen++
		s.ready = true
		s.cookie, s.authz, s.expires = res.cookie, res.authz, res.expires
	} else {
		s.ready = false
		s.cookie, s.authz = nil, nil
		l.err = &LoginError{Err: err}
	}
	s.login = nil
	s.publish()
	gen := s.gen
	s.mu.Unlock()
	// Log before waking the waiters: once they return, the login has finished with
	// everything the caller gave the client, its logger included.
	if err != nil {
		c.log.Debug("wapi: login failed", "client", c, "err", err)
	} else {
		c.log.Debug("wapi: logged in", "client", c, "gen", gen, "expires", res.expires)
	}
	close(l.done)
}

// noteCookie picks up a session cookie the grid sets on an ordinary reply (a refreshed
// session).
func (s *session) noteCookie(c *Client, h http.Header, gen uint64) {
	if len(h["Set-Cookie"]) == 0 {
		return
	}
	v, found, deleted := findSessionCookie(h)
	if !found || deleted {
		return
	}
	hdr := sessionCookieName + "=" + v
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gen != gen || !s.ready || s.login != nil || (len(s.cookie) == 1 && s.cookie[0] == hdr) {
		return
	}
	s.gen++
	s.cookie = []string{hdr}
	s.expires = sessionExpiry(v, c.now(), h.Get("Date"))
	s.publish()
}

// invalidate forgets the session (after a move to the Grid Master).
func (s *session) invalidate() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.login == nil {
		s.ready = false
		s.cookie, s.authz = nil, nil
		s.publish()
	}
}

// closeSession waits for a login in progress, then returns the session to log out with and
// forgets it.
func (s *session) closeSession(ctx context.Context) (authState, bool, error) {
	s.mu.Lock()
	for s.login != nil {
		l := s.login
		s.mu.Unlock()
		select {
		case <-l.done:
		case <-ctx.Done():
			return authState{}, false, ctx.Err()
		}
		s.mu.Lock()
	}
	defer s.mu.Unlock()
	if !s.ready {
		return authState{}, false, nil
	}
	st := authState{gen: s.gen, cookie: s.cookie, authz: s.authz}
	s.ready = false
	s.cookie, s.authz = nil, nil
	s.publish()
	return st, true, nil
}

type loginResult struct {
	cookie  []string
	authz   []string
	expires time.Time
}

// schemaReply is the reply of GET /wapi/vX/?_schema.
type schemaReply struct {
	RequestedVersion  string   `json:"requested_version"`
	SupportedObjects  []string `json:"supported_objects"`
	SupportedVersions []string `json:"supported_versions"`
}

// login opens a session: GET /wapi/vX/?_schema with Basic credentials (X is the pinned or
// negotiated version, or 1.0 to negotiate), following Grid Master redirects.
func (c *Client) login(ctx context.Context) (loginResult, error) {
	var basic []string
	if c.creds != nil {
		basic = []string{c.creds.password.basicAuth(c.creds.user)}
	}
	for redirects := 0; ; redirects++ {
		ep := c.ep.Load()
		ver := ep.version
		if ver == "" {
			ver = negotiationVersion
		}
		cl := call{method: http.MethodGet, object: "?_schema"} // object names the call in errors; the URL is built here
		rep, err := c.send(ctx, ep.base+"/wapi/v"+ver+"/?_schema", &cl, authState{authz: basic})
		if err != nil {
			return loginResult{}, err
		}
		if target, ok := metaRefreshTarget(rep); ok && redirects < maxRedirects {
			rep.release()
			if err := c.moveTo(ep, target); err != nil {
				return loginResult{}, err
			}
			continue
		}
		res, err := c.finishLogin(ep, rep, &cl, basic)
		rep.release()
		return res, err
	}
}

func (c *Client) finishLogin(ep *endpoint, rep *reply, cl *call, basic []string) (loginResult, error) {
	if rep.status/100 != 2 {
		return loginResult{}, parseError(rep.status, rep.header, rep.body(), cl.method, cl.object, c.now())
	}
	if ep.version == "" {
		var sr schemaReply
		if err := json.Unmarshal(rep.body(), &sr); err != nil {
			return loginResult{}, &DecodeError{Method: cl.method, Object: cl.object, StatusCode: rep.status, Err: err}
		}
		v, ok := pickVersion(sr.SupportedVersions)
		if !ok {
			return loginResult{}, fmt.Errorf("%w: no common WAPI version: the grid supports %v, the client %s to %s",
				ErrInvalid, sr.SupportedVersions, MinVersion, MaxVersion)
		}
		c.setVersion(v)
	}
	var res loginResult
	v, found, deleted := findSessionCookie(rep.header)
	switch {
	case found && !deleted:
		res.cookie = []string{sessionCookieName + "=" + v}
		res.expires = sessionExpiry(v, c.now(), rep.header.Get("Date"))
	case basic != nil:
		// No session cookie: fall back to Basic on every request.
		res.authz = basic
		c.log.Warn("wapi: the grid set no session cookie; sending credentials with every request", "client", c)
	}
	return res, nil
}
