// Package fakegrid is a small WAPI server for the wapi package's own tests: sessions with the
// ibapauth cookie, networks and records with duplicate detection, searches with paging, the
// request object and a fault hook. It is deliberately minimal; the faithful simulator is
// gridsim.
package fakegrid

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Stats counts requests by how they authenticated.
type Stats struct {
	Requests int64 // every request that reached the handler
	Basic    int64 // requests carrying HTTP Basic credentials
	Cookie   int64 // requests authenticated by the session cookie
	Logins   int64 // sessions created
	Logouts  int64
	Rejected int64 // 401 replies
	// Authorization counts requests carrying an Authorization header, whatever else they
	// carry (Basic counts only those the grid authenticated with it).
	Authorization int64
}

// Grid is the fake grid. Configure the exported fields before serving.
type Grid struct {
	User, Password string
	Versions       []string
	Timeout        int64            // session timeout in seconds (cookie "timeout=")
	Now            func() time.Time // clock for sessions; default time.Now
	NoCookie       bool             // never set a session cookie
	RefreshCookie  bool             // answer cookie requests with a fresh cookie (new ctime)
	// Hook, when set, sees every request first; returning true means it answered.
	Hook func(w http.ResponseWriter, r *http.Request) bool

	requests, basic, cookie, logins, logouts, rejected, authz atomic.Int64

	mu       sync.Mutex
	sessions map[string]int64 // token -> ctime (unix seconds)
	objects  map[string]map[string]any
	order    []string // refs in creation order
	seq      int
}

// New returns a grid with user admin/infoblox, versions 1.0 to 2.12.3 and a 600 s timeout.
func New() *Grid {
	return &Grid{
		User: "admin", Password: "infoblox",
		Versions: []string{"1.0", "1.4", "2.0", "2.1", "2.5", "2.9", "2.10", "2.10.5", "2.11", "2.12", "2.12.3"},
		Timeout:  600,
		sessions: map[string]int64{},
		objects:  map[string]map[string]any{},
	}
}

// Start serves g over TLS on loopback for the duration of the test and returns the server and
// a pool trusting its certificate.
func Start(t testing.TB, g *Grid) (*httptest.Server, *x509.CertPool) {
	t.Helper()
	srv := httptest.NewTLSServer(g)
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return srv, pool
}

// Stats returns the counters.
func (g *Grid) Stats() Stats {
	return Stats{
		Requests: g.requests.Load(), Basic: g.basic.Load(), Cookie: g.cookie.Load(),
		Logins: g.logins.Load(), Logouts: g.logouts.Load(), Rejected: g.rejected.Load(),
		Authorization: g.authz.Load(),
	}
}

// ExpireSessions invalidates every session.
func (g *Grid) ExpireSessions() {
	g.mu.Lock()
	clear(g.sessions)
	g.mu.Unlock()
}

// Sessions returns the number of live sessions.
func (g *Grid) Sessions() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.sessions)
}

// Count returns the number of stored objects of type t.
func (g *Grid) Count(t string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, o := range g.objects {
		if typeOf(o["_ref"].(string)) == t {
			n++
		}
	}
	return n
}

func (g *Grid) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

// Unauthorized writes the Apache 401 page a grid sends.
func Unauthorized(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=iso-8859-1")
	w.Header().Set("WWW-Authenticate", `Basic realm="InfoBlox ONE Platform"`)
	w.WriteHeader(http.StatusUnauthorized)
	fmt.Fprint(w, `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html><head>
<title>401 Authorization Required</title>
</head><body>
<h1>Authorization Required</h1>
<p>This server could not verify that you
are authorized to access the document
requested.</p>
</body></html>
`)
}

// WriteError writes a WAPI error envelope.
func WriteError(w http.ResponseWriter, status int, class, code, text string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(text)
	c, _ := json.Marshal(class)
	fmt.Fprintf(w, "{ \"Error\": %s, \n  \"code\": %q, \n  \"text\": %s\n}", c, code, b)
}

type apiError struct {
	status            int
	class, code, text string
}

func conflict(text string) *apiError {
	return &apiError{400, "AdmConDataError: None (IBDataConflictError: IB.Data.Conflict:" + text + ")", "Client.Ibap.Data.Conflict", text}
}
func notFound(text string) *apiError {
	return &apiError{404, "AdmConDataNotFoundError: " + text, "Client.Ibap.Data.NotFound", text}
}
func proto(text string) *apiError {
	return &apiError{400, "AdmConProtoError: " + text, "Client.Ibap.Proto", text}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (g *Grid) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.requests.Add(1)
	if r.Header.Get("Authorization") != "" {
		g.authz.Add(1)
	}
	if g.Hook != nil && g.Hook(w, r) {
		return
	}
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/wapi/v")
	if !ok {
		http.NotFound(w, r)
		return
	}
	ver, rest, _ := strings.Cut(rest, "/")
	if !slices.Contains(g.Versions, ver) {
		e := proto("Version " + ver + " not supported")
		WriteError(w, 400, e.class, e.code, e.text)
		return
	}
	if !g.authenticate(w, r) {
		g.rejected.Add(1)
		Unauthorized(w)
		return
	}
	q := r.URL.Query()
	var (
		status = http.StatusOK
		out    any
		aerr   *apiError
	)
	switch {
	case rest == "" && q.Has("_schema"):
		out = map[string]any{"requested_version": ver, "supported_versions": g.Versions,
			"supported_objects": []string{"network", "networkcontainer", "record:a", "zone_auth"}}
	case rest == "logout" && r.Method == http.MethodPost:
		g.logout(r)
		out = map[string]any{}
	case rest == "request" && r.Method == http.MethodPost:
		out, aerr = g.batch(r)
	case q.Has("_schema"):
		out = map[string]any{"type": rest, "version": ver, "fields": []map[string]any{{"name": "network", "type": []string{"string"}}}}
	case strings.Contains(rest, "/"):
		out, aerr = g.onRef(r.Method, rest, q, r)
	case r.Method == http.MethodGet:
		out, aerr = g.search(rest, q)
	case r.Method == http.MethodPost:
		var data map[string]any
		if err := json.NewDecoder(r.Body).Decode(&data); err != nil {
			aerr = proto("Invalid JSON: " + err.Error())
			break
		}
		g.mu.Lock()
		out, aerr = g.create(rest, data)
		g.mu.Unlock()
		status = http.StatusCreated
		if aerr == nil && (q.Has("_return_fields") || q.Has("_return_fields+")) {
			g.mu.Lock()
			out = clone(g.objects[out.(string)])
			g.mu.Unlock()
		}
	default:
		aerr = proto("Operation not allowed")
	}
	if aerr != nil {
		WriteError(w, aerr.status, aerr.class, aerr.code, aerr.text)
		return
	}
	writeJSON(w, status, out)
}

func (g *Grid) authenticate(w http.ResponseWriter, r *http.Request) bool {
	if c, err := r.Cookie("ibapauth"); err == nil {
		tok := c.Value
		if i := strings.LastIndexByte(tok, ','); i >= 0 {
			tok = tok[i+1:]
		}
		g.mu.Lock()
		ctime, ok := g.sessions[tok]
		if ok && g.now().Unix() >= ctime+g.Timeout {
			delete(g.sessions, tok)
			ok = false
		}
		g.mu.Unlock()
		if ok {
			g.cookie.Add(1)
			if g.RefreshCookie {
				now := g.now().Unix()
				g.mu.Lock()
				g.sessions[tok] = now
				g.mu.Unlock()
				w.Header().Add("Set-Cookie", fmt.Sprintf(`ibapauth="ip=127.0.0.1,client=API,ctime=%d,timeout=%d,mtime=%d,user=%s,%s"; httponly; Path=/`,
					now, g.Timeout, now, g.User, tok))
			}
			return true
		}
	}
	user, pass, ok := r.BasicAuth()
	if !ok {
		return false
	}
	g.basic.Add(1)
	if user != g.User || pass != g.Password {
		return false
	}
	if g.NoCookie {
		return true
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	ctime := g.now().Unix()
	g.mu.Lock()
	g.sessions[tok] = ctime
	g.mu.Unlock()
	g.logins.Add(1)
	w.Header().Add("Set-Cookie", fmt.Sprintf(`ibapauth="ip=127.0.0.1,client=API,group=admin-group,ctime=%d,timeout=%d,mtime=%d,su=1,auth=LOCAL,user=%s,%s"; httponly; Path=/`,
		ctime, g.Timeout, ctime, user, tok))
	return true
}

func (g *Grid) logout(r *http.Request) {
	if c, err := r.Cookie("ibapauth"); err == nil {
		tok := c.Value
		if i := strings.LastIndexByte(tok, ','); i >= 0 {
			tok = tok[i+1:]
		}
		g.mu.Lock()
		delete(g.sessions, tok)
		g.mu.Unlock()
	}
	g.logouts.Add(1)
}

func typeOf(ref string) string {
	t, _, _ := strings.Cut(ref, "/")
	return t
}

func clone(o map[string]any) map[string]any {
	c := make(map[string]any, len(o))
	for k, v := range o {
		c[k] = v
	}
	return c
}

// key returns the identity of an object of type t, and its required-field error.
func key(t string, data map[string]any) (string, *apiError) {
	s := func(f string) string { v, _ := data[f].(string); return v }
	switch t {
	case "network", "networkcontainer":
		if s("network") == "" {
			return "", proto("field for create missing: network")
		}
		view := s("network_view")
		if view == "" {
			view = "default"
		}
		return s("network") + "/" + view, nil
	case "zone_auth":
		if s("fqdn") == "" {
			return "", proto("field for create missing: fqdn")
		}
		return s("fqdn") + "/" + viewOf(data), nil
	case "networkview":
		return s("name"), nil
	default:
		if s("name") == "" {
			return "", proto("field for create missing: name")
		}
		return s("name") + "/" + viewOf(data) + "/" + s("ipv4addr"), nil
	}
}

func viewOf(data map[string]any) string {
	if v, _ := data["view"].(string); v != "" {
		return v
	}
	return "default"
}

func (g *Grid) create(t string, data map[string]any) (string, *apiError) {
	k, aerr := key(t, data)
	if aerr != nil {
		return "", aerr
	}
	if strings.HasSuffix(k, ".orphan/default/") || strings.Contains(k, ".orphan/") {
		return "", conflict("The action is not allowed. A parent was not found.")
	}
	id := base64.RawStdEncoding.EncodeToString([]byte(t + "$" + k))
	ref := t + "/" + id + ":" + strings.ReplaceAll(k, "/", "%2F")
	if _, dup := g.objects[ref]; dup {
		switch t {
		case "network", "networkcontainer":
			return "", conflict("The network " + data["network"].(string) + " already exists.  Select another network.")
		case "zone_auth":
			return "", conflict("Duplicate object '" + data["fqdn"].(string) + "' of type zone exists in the database.")
		default:
			return "", conflict("The record '" + fmt.Sprint(data["name"]) + "' already exists.")
		}
	}
	o := clone(data)
	o["_ref"] = ref
	if t == "network" || t == "networkcontainer" {
		if _, ok := o["network_view"]; !ok {
			o["network_view"] = "default"
		}
	}
	g.objects[ref] = o
	g.order = append(g.order, ref)
	return ref, nil
}

func (g *Grid) onRef(method, ref string, q map[string][]string, r *http.Request) (any, *apiError) {
	g.mu.Lock()
	defer g.mu.Unlock()
	o, ok := g.objects[ref]
	if !ok {
		return nil, notFound("Reference " + ref + " not found")
	}
	switch method {
	case http.MethodGet:
		return clone(o), nil
	case http.MethodDelete:
		delete(g.objects, ref)
		g.order = slices.DeleteFunc(g.order, func(s string) bool { return s == ref })
		return ref, nil
	case http.MethodPut:
		var data map[string]any
		if err := json.NewDecoder(r.Body).Decode(&data); err != nil {
			return nil, proto("Invalid JSON")
		}
		for k, v := range data {
			o[k] = v
		}
		return ref, nil
	case http.MethodPost:
		switch fn := first(q["_function"]); fn {
		case "next_available_ip":
			var p struct{ Num int }
			_ = json.NewDecoder(r.Body).Decode(&p)
			ips := make([]string, 0, p.Num)
			for i := range p.Num {
				ips = append(ips, "10.0.0."+strconv.Itoa(10+i))
			}
			return map[string]any{"ips": ips}, nil
		case "next_available_network":
			var p struct{ Num, Cidr int }
			_ = json.NewDecoder(r.Body).Decode(&p)
			nets := make([]string, 0, p.Num)
			for i := range p.Num {
				nets = append(nets, "10.9."+strconv.Itoa(i)+".0/"+strconv.Itoa(p.Cidr))
			}
			return map[string]any{"networks": nets}, nil
		default:
			return nil, proto("Unknown function " + fn)
		}
	}
	return nil, proto("Operation not allowed")
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func (g *Grid) search(t string, q map[string][]string) (any, *apiError) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var matched []map[string]any
	for _, ref := range g.order {
		o := g.objects[ref]
		if typeOf(ref) != t {
			continue
		}
		ok := true
		for k, vs := range q {
			if strings.HasPrefix(k, "_") {
				continue
			}
			if fmt.Sprint(o[k]) != first(vs) {
				ok = false
			}
		}
		if ok {
			matched = append(matched, clone(o))
		}
	}
	max := -1000
	if v := first(q["_max_results"]); v != "" {
		max, _ = strconv.Atoi(v)
	}
	if first(q["_paging"]) == "1" {
		if first(q["_return_as_object"]) != "1" || max <= 0 {
			return nil, proto("_paging requires _return_as_object and a positive _max_results")
		}
		off := 0
		if id := first(q["_page_id"]); id != "" {
			b, err := base64.RawURLEncoding.DecodeString(id)
			if err != nil {
				return nil, proto("Invalid page id")
			}
			off, _ = strconv.Atoi(string(b))
		}
		end := min(off+max, len(matched))
		page := matched[min(off, len(matched)):end]
		if page == nil {
			page = []map[string]any{}
		}
		res := map[string]any{"result": page}
		if end < len(matched) {
			res["next_page_id"] = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))
		}
		return res, nil
	}
	if max < 0 && len(matched) > -max {
		return nil, proto("Result set too large (> " + strconv.Itoa(-max) + ")")
	}
	if max > 0 && len(matched) > max {
		matched = matched[:max]
	}
	if matched == nil {
		matched = []map[string]any{}
	}
	return matched, nil
}

type batchItem struct {
	Method  string         `json:"method"`
	Object  string         `json:"object"`
	Data    map[string]any `json:"data"`
	Discard bool           `json:"discard"`
}

// batch runs the items in order as one transaction.
func (g *Grid) batch(r *http.Request) (any, *apiError) {
	var items []batchItem
	if err := json.NewDecoder(r.Body).Decode(&items); err != nil {
		return nil, proto("Invalid request body: " + err.Error())
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	saved := make(map[string]map[string]any, len(g.objects))
	for k, v := range g.objects {
		saved[k] = v
	}
	savedOrder := slices.Clone(g.order)
	results := make([]any, 0, len(items))
	for _, it := range items {
		var res any
		var aerr *apiError
		switch it.Method {
		case http.MethodPost:
			res, aerr = g.create(it.Object, it.Data)
		case http.MethodDelete:
			if _, ok := g.objects[it.Object]; !ok {
				aerr = notFound("Reference " + it.Object + " not found")
			} else {
				delete(g.objects, it.Object)
				res = it.Object
			}
		default:
			aerr = proto("Method " + it.Method + " not supported by fakegrid")
		}
		if aerr != nil {
			g.objects, g.order = saved, savedOrder
			return nil, aerr
		}
		if !it.Discard {
			results = append(results, res)
		}
	}
	return results, nil
}
