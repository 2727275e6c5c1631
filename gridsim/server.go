package gridsim

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server is a simulated grid: an http.Handler serving WAPI under /wapi/ and the
// simulator's own endpoints under /_sim/. It is safe for concurrent use.
type Server struct {
	opts    options
	ty      *types
	mu      sync.RWMutex // writers exclusive, readers shared
	st      *store
	sess    *sessions
	gate    gate
	sim     *simGate // the gate when it is not openGate; nil otherwise
	started time.Time
	db      *persister
	pageKey []byte
	log     *slog.Logger
	logMu   sync.Mutex
	closed  atomic.Bool

	requests, inFlight, logins, logouts atomic.Int64
	authBasic, authCookie, authFailed   atomic.Int64
	conns, openConns                    atomic.Int64
	byMethod                            [5]atomic.Int64
	byStatus                            [600]atomic.Int64
	wapiSeq                             atomic.Uint64
}

// New builds a Server. With WithDataDir it opens (or creates) the database and loads the
// objects it holds.
func New(opts ...Option) (*Server, error) {
	o := defaultOptions()
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if len(o.users) == 0 {
		for n, p := range o.fallbackUsers {
			o.users[n] = p
		}
	}
	if m := o.profile.MaxBatch; m > 0 && (o.maxBatch == 0 || m < o.maxBatch) {
		o.maxBatch = m
	}
	s := &Server{
		opts:    o,
		ty:      newTypes(),
		sess:    newSessions(o.sessionTimeout),
		gate:    openGate{},
		started: o.now(),
		pageKey: make([]byte, 32),
		log:     o.logger,
	}
	if !o.profile.zeroCost() || o.profile.OverloadAt > 0 || len(o.faults.Faults) > 0 {
		s.sim = newSimGate(s, s.started)
		s.gate = s.sim
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	_, _ = rand.Read(s.pageKey)
	s.st = newStore(s.ty)
	if o.dataDir != "" {
		db, err := openPersister(o.dataDir, s)
		if err != nil {
			return nil, err
		}
		s.db = db
	}
	return s, nil
}

// Close flushes and closes the database, if any. Requests after Close that write fail.
func (s *Server) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	if s.db != nil {
		return s.db.close()
	}
	return nil
}

// ExpireSessions ends every session, as a grid restart or a timeout would: the next request
// with a cookie gets 401.
func (s *Server) ExpireSessions() { s.sess.endAll() }

// Connections.

type connKey struct{}

type connInfo struct {
	reqs atomic.Int64
}

// ConnContext is meant for http.Server.ConnContext: it tags each connection so the server
// knows which request is the first on a new connection (a new TLS session on a real grid).
func (s *Server) ConnContext(ctx context.Context, _ net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, &connInfo{})
}

// ConnState is meant for http.Server.ConnState: it counts connections.
func (s *Server) ConnState(_ net.Conn, state http.ConnState) {
	switch state {
	case http.StateNew:
		s.conns.Add(1)
		s.openConns.Add(1)
	case http.StateClosed, http.StateHijacked:
		s.openConns.Add(-1)
	}
}

// Stats are the server's counters, also served as JSON at GET /_sim/stats.
type Stats struct {
	Requests         int64            `json:"requests"`
	RequestsByMethod map[string]int64 `json:"requests_by_method"`
	RequestsByStatus map[string]int64 `json:"requests_by_status"`
	InFlight         int64            `json:"in_flight"`
	// Logins counts sessions opened (successful Basic authentications).
	Logins int64 `json:"logins"`
	// AuthBasic counts requests authenticated with Basic credentials, AuthCookie those
	// authenticated with the session cookie (a request carrying both and a valid cookie
	// counts as a cookie request, as the grid logs no new login), AuthFailed the 401s.
	AuthBasic       int64          `json:"auth_basic"`
	AuthCookie      int64          `json:"auth_cookie"`
	AuthFailed      int64          `json:"auth_failed"`
	Logouts         int64          `json:"logouts"`
	Sessions        int            `json:"sessions"`
	Connections     int64          `json:"connections"`
	OpenConnections int64          `json:"open_connections"`
	Objects         map[string]int `json:"objects"`

	// Profile is the name of the cost profile and Speed the speed (see /_sim/profile).
	Profile string  `json:"profile"`
	Speed   float64 `json:"speed"`
	// InService is the number of WAPI requests in service (admitted by the cost model and not
	// yet done): the n of the profile's slowdown.
	InService int `json:"in_service"`
	// UptimeSeconds is the wall-clock time since the server started and GridSeconds the same
	// in grid time (uptime × speed): take the difference of two readings to time a run in
	// grid seconds.
	UptimeSeconds float64 `json:"uptime_seconds"`
	GridSeconds   float64 `json:"grid_seconds"`
	// ServiceGridSeconds is the service time charged by the cost model, summed over all
	// requests, in grid seconds (wall time in service × speed).
	ServiceGridSeconds float64 `json:"service_grid_seconds"`
	// Faults counts the faults injected, by kind (503, 503ra, 429, reset, lost, spike,
	// outage: occurrences started) and the 503s of the profile's overload_at ("overload").
	Faults map[string]int64 `json:"faults"`
	// Restarts counts the restarts at the end of outages.
	Restarts int64 `json:"restarts"`
}

var methodNames = [5]string{"GET", "POST", "PUT", "DELETE", "OTHER"}

func methodIndex(m string) int {
	for i, n := range methodNames[:4] {
		if m == n {
			return i
		}
	}
	return 4
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	st := Stats{
		Requests: s.requests.Load(), InFlight: s.inFlight.Load(), Logins: s.logins.Load(),
		AuthBasic: s.authBasic.Load(), AuthCookie: s.authCookie.Load(), AuthFailed: s.authFailed.Load(),
		Logouts: s.logouts.Load(), Sessions: s.sess.count(),
		Connections: s.conns.Load(), OpenConnections: s.openConns.Load(),
		RequestsByMethod: map[string]int64{}, RequestsByStatus: map[string]int64{},
		Objects: map[string]int{},
		Profile: s.opts.profile.Name, Speed: s.opts.speed, Faults: map[string]int64{},
	}
	up := s.opts.now().Sub(s.started).Seconds()
	st.UptimeSeconds, st.GridSeconds = up, up*s.opts.speed
	if g := s.sim; g != nil {
		st.InService = g.ps.inService()
		st.ServiceGridSeconds = time.Duration(g.serviceNS.Load()).Seconds() * s.opts.speed
		for i, k := range faultKinds {
			if n := g.counts[i].Load(); n > 0 {
				st.Faults[string(k)] = n
			}
		}
		st.Restarts = g.restarts.Load()
	}
	for i := range s.byMethod {
		if n := s.byMethod[i].Load(); n > 0 {
			st.RequestsByMethod[methodNames[i]] = n
		}
	}
	for i := range s.byStatus {
		if n := s.byStatus[i].Load(); n > 0 {
			st.RequestsByStatus[strconv.Itoa(i)] = n
		}
	}
	s.mu.RLock()
	for _, t := range s.ty.list {
		st.Objects[t.name] = s.st.counts[t.index]
	}
	s.mu.RUnlock()
	return st
}

// statusWriter remembers the status and size of a reply.
type statusWriter struct {
	http.ResponseWriter
	status int
	size   int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.size += n
	return n, err
}

// ServeHTTP serves WAPI under /wapi/ and the simulator's endpoints under /_sim/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := s.opts.now()
	s.requests.Add(1)
	s.inFlight.Add(1)
	s.byMethod[methodIndex(r.Method)].Add(1)
	sw := &statusWriter{ResponseWriter: w}
	user := "-"
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				s.inFlight.Add(-1)
				panic(p)
			}
			s.log.Error("gridsim: panic serving request", "method", r.Method, "path", r.URL.Path,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if sw.status == 0 {
				writeError(sw, &apiError{status: http.StatusInternalServerError,
					class: "AdmConProtoError: internal error", code: "Server.Ibap.Internal", text: "internal error"})
			}
		}
		s.inFlight.Add(-1)
		if sw.status > 0 && sw.status < len(s.byStatus) {
			s.byStatus[sw.status].Add(1)
		}
		s.accessLog(r, sw, user, start)
	}()
	path := r.URL.Path
	switch {
	case strings.HasPrefix(path, "/wapi/"):
		user = s.serveWAPI(sw, r)
	case path == "/_sim/health":
		writeJSON(sw, http.StatusOK, map[string]any{"status": "ok"})
	case path == "/_sim/stats":
		writeJSON(sw, http.StatusOK, s.Stats())
	case path == "/_sim/profile":
		writeJSON(sw, http.StatusOK, s.SimInfo())
	case path == "/_sim/reset":
		s.serveReset(sw, r)
	default:
		sw.Header().Set("Content-Type", "text/html; charset=iso-8859-1")
		sw.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(sw, notFoundPage)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.MarshalIndent(v, "", "    ")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, e *apiError) {
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	if e.page != "" {
		w.Header().Set("Content-Type", "text/html; charset=iso-8859-1")
		w.WriteHeader(e.status)
		_, _ = io.WriteString(w, e.page)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	_, _ = w.Write(appendError(nil, e))
}

func (s *Server) serveReset(w http.ResponseWriter, r *http.Request) {
	if !s.opts.allowReset {
		writeJSON(w, http.StatusForbidden, map[string]any{"error": "reset is disabled (start the simulator with --allow-reset)"})
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"error": "reset needs POST"})
		return
	}
	if _, _, ok := s.authenticate(w, r); !ok { // it deletes everything: a user of the grid only
		writeUnauthorized(w)
		return
	}
	if err := s.reset(); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"reset": true})
}

// SimInfo is what GET /_sim/profile serves: the active cost profile (with its assumptions),
// the speed, the seed and the faults, so that a report on a run against a grid started
// elsewhere can label its assumptions and convert wall time into grid time.
type SimInfo struct {
	Profile Profile `json:"profile"`
	Speed   float64 `json:"speed"`
	Seed    int64   `json:"seed"`
	// Faults is the fault spec in ParseFaults syntax ("" for none).
	Faults string `json:"faults"`
	// MaxBatch is the cap on items per request call in force (profile or WithMaxBatch; 0:
	// none).
	MaxBatch int `json:"max_batch"`
}

// SimInfo returns the active profile, speed, seed and faults.
func (s *Server) SimInfo() SimInfo {
	p := s.opts.profile.clone()
	if p.Assumptions == nil {
		p.Assumptions = []string{}
	}
	return SimInfo{Profile: p, Speed: s.opts.speed, Seed: s.opts.seed, Faults: s.opts.faults.String(), MaxBatch: s.opts.maxBatch}
}

// reset deletes every object, in memory and on disk.
func (s *Server) reset() *apiError {
	s.mu.Lock()
	s.st = newStore(s.ty)
	var wait <-chan error
	if s.db != nil {
		wait = s.db.wipe(s.st)
	}
	s.mu.Unlock()
	if wait != nil {
		if err := <-wait; err != nil {
			return unavailableErr(err.Error())
		}
	}
	return nil
}

// restart rebuilds the store as a restarted grid would: from the database when there is a
// data directory (so memory holds exactly what was committed), otherwise it keeps memory as
// it is. It waits for commits in progress to finish first.
func (s *Server) restart() error {
	if s.db == nil {
		return nil
	}
	for {
		s.mu.Lock()
		if s.db.idle() {
			st := newStore(s.ty)
			err := s.db.loadInto(st)
			if err == nil {
				s.st = st
			}
			s.mu.Unlock()
			return err
		}
		s.mu.Unlock()
		<-s.db.barrier()
	}
}

func (s *Server) accessLog(r *http.Request, w *statusWriter, user string, start time.Time) {
	if s.opts.accessLog == nil {
		return
	}
	host := clientIP(r)
	line := fmt.Sprintf("%s - %s [%s] %q %d %d %.6f\n", host, user, start.Format("02/Jan/2006:15:04:05 -0700"),
		r.Method+" "+r.URL.RequestURI()+" "+r.Proto, w.status, w.size, s.opts.now().Sub(start).Seconds())
	s.logMu.Lock()
	_, _ = io.WriteString(s.opts.accessLog, line)
	s.logMu.Unlock()
}

// supportedVersions are the WAPI versions the simulator answers to (1.0 to 2.13.x).
var supportedVersions = []string{
	"1.0", "1.1", "1.2", "1.2.1", "1.3", "1.4", "1.4.1", "1.4.2", "1.5", "1.6", "1.6.1", "1.7", "1.7.1",
	"1.7.2", "1.7.3", "1.7.4", "1.7.5", "2.0", "2.1", "2.1.1", "2.1.2", "2.2", "2.2.1", "2.2.2", "2.3",
	"2.3.1", "2.4", "2.5", "2.6", "2.6.1", "2.7", "2.7.1", "2.7.2", "2.7.3", "2.8", "2.9", "2.9.1", "2.9.5",
	"2.9.7", "2.10", "2.10.1", "2.10.2", "2.10.3", "2.10.5", "2.11", "2.11.1", "2.11.2", "2.11.3", "2.11.5",
	"2.12", "2.12.1", "2.12.2", "2.12.3", "2.13", "2.13.1", "2.13.2", "2.13.3", "2.13.4", "2.13.5", "2.13.6",
}

// checkVersion accepts "vX.Y" or "vX.Y.Z" from 1.0 to 2.13.x.
func checkVersion(seg string) (string, bool) {
	v, ok := strings.CutPrefix(seg, "v")
	if !ok {
		return seg, false
	}
	parts := strings.Split(v, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return v, false
	}
	var n [3]int
	for i, p := range parts {
		if p == "" || len(p) > 3 {
			return v, false
		}
		x, err := strconv.Atoi(p)
		if err != nil || x < 0 || p[0] == '+' {
			return v, false
		}
		n[i] = x
	}
	switch {
	case n[0] == 1:
		return v, true
	case n[0] == 2 && n[1] <= 13:
		return v, true
	}
	return v, false
}

// authenticate checks the cookie, then Basic credentials. It returns the user and whether
// Basic was used, having set a new cookie for a Basic login.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (string, bool, bool) {
	now := s.opts.now()
	if v, ok := cookieValue(r); ok {
		if user, _, ok := s.sess.check(v, now); ok {
			s.authCookie.Add(1)
			return user, false, true
		}
	}
	if user, pass, ok := r.BasicAuth(); ok && s.checkPassword(user, pass) {
		v := s.sess.create(user, clientIP(r), now)
		w.Header().Add("Set-Cookie", cookieName+`="`+v+`"; httponly; Path=/`)
		s.logins.Add(1)
		s.authBasic.Add(1)
		return user, true, true
	}
	s.authFailed.Add(1)
	return "", false, false
}

// readBody reads the body within the limit.
func (s *Server) readBody(r *http.Request) ([]byte, *apiError) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > s.opts.maxBody {
		return nil, tooLargeErr(s.opts.maxBody)
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, s.opts.maxBody+1))
	if int64(len(b)) > s.opts.maxBody {
		return nil, tooLargeErr(s.opts.maxBody)
	}
	if err != nil {
		return nil, protoErr("Error reading the request body")
	}
	return b, nil
}

// resetConn resets the client's connection without a reply: the connection is hijacked and
// closed with SO_LINGER 0, so the client reads a TCP RST (ECONNRESET), not an orderly close.
// Without a hijackable connection (HTTP/2, a recorder) the handler aborts instead.
func (s *Server) resetConn(w *statusWriter) {
	conn, _, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	raw := conn
	if tc, ok := conn.(*tls.Conn); ok {
		raw = tc.NetConn() // no close_notify: the peer must see a reset
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = raw.Close()
}
