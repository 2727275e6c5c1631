package gridsim

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Sessions. A successful Basic login creates a session and sets the ibapauth cookie, shaped
// like a grid's:
//
//	ibapauth="ip=127.0.0.1,client=API,group=admin-group,ctime=1700000000,timeout=600,mtime=1700000000,su=1,auth=LOCAL,user=admin,<signature>"; httponly; Path=/
//
// The last part is a random nonce and an HMAC-SHA256 of everything before it and the nonce,
// under a key drawn at start-up, so a cookie cannot be forged or altered, and every login
// gets its own cookie even when the same user logs in from the same address in the same
// second (logging one out must not end the other, nor may a later login revive a logged-out
// cookie). The server also keeps the session (keyed by that last part) so that logout and
// ExpireSessions end it, and so that an idle session expires after the timeout.

const cookieName = "ibapauth"

type session struct {
	user     string
	lastUsed atomic.Int64 // unix nanoseconds
}

type sessions struct {
	key     []byte
	timeout time.Duration
	mu      sync.RWMutex
	m       map[string]*session
	sweepAt int
}

func newSessions(timeout time.Duration) *sessions {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return &sessions{key: k, timeout: timeout, m: make(map[string]*session), sweepAt: 1024}
}

// nonceLen is the length of a cookie's random nonce.
const nonceLen = 16

// mac appends to b the HMAC of payload and nonce.
func (ss *sessions) mac(b []byte, payload string, nonce []byte) []byte {
	m := hmac.New(sha256.New, ss.key)
	m.Write([]byte(payload))
	m.Write(nonce)
	return m.Sum(b)
}

// sign returns the last part of a new cookie: a random nonce and the HMAC, in base64.
func (ss *sessions) sign(payload string) string {
	tok := make([]byte, nonceLen, nonceLen+sha256.Size)
	_, _ = rand.Read(tok)
	return base64.RawURLEncoding.EncodeToString(ss.mac(tok, payload, tok))
}

// verify reports whether sig is the last part of a cookie signed for payload.
func (ss *sessions) verify(payload, sig string) bool {
	if base64.RawURLEncoding.DecodedLen(len(sig)) != nonceLen+sha256.Size {
		return false
	}
	var tok [nonceLen + sha256.Size]byte
	if n, err := base64.RawURLEncoding.Decode(tok[:], []byte(sig)); err != nil || n != len(tok) {
		return false
	}
	var want [sha256.Size]byte
	return hmac.Equal(ss.mac(want[:0], payload, tok[:nonceLen]), tok[nonceLen:])
}

// create opens a session for user and returns the cookie value (without quotes).
func (ss *sessions) create(user, ip string, now time.Time) string {
	ts := strconv.FormatInt(now.Unix(), 10)
	payload := "ip=" + ip + ",client=API,group=admin-group,ctime=" + ts +
		",timeout=" + strconv.FormatInt(int64(ss.timeout/time.Second), 10) +
		",mtime=" + ts + ",su=1,auth=LOCAL,user=" + user
	sig := ss.sign(payload)
	se := &session{user: user}
	se.lastUsed.Store(now.UnixNano())
	ss.mu.Lock()
	ss.m[sig] = se
	if len(ss.m) >= ss.sweepAt {
		ss.sweepLocked(now)
	}
	ss.mu.Unlock()
	return payload + "," + sig
}

func (ss *sessions) sweepLocked(now time.Time) {
	for k, se := range ss.m {
		if now.UnixNano()-se.lastUsed.Load() > int64(ss.timeout) {
			delete(ss.m, k)
		}
	}
	ss.sweepAt = 2*len(ss.m) + 1024
}

// check validates a cookie value and returns its user. It refreshes the session's idle
// timer.
func (ss *sessions) check(value string, now time.Time) (string, string, bool) {
	i := strings.LastIndexByte(value, ',')
	if i < 0 {
		return "", "", false
	}
	payload, sig := value[:i], value[i+1:]
	if !ss.verify(payload, sig) {
		return "", "", false
	}
	ss.mu.RLock()
	se := ss.m[sig]
	ss.mu.RUnlock()
	if se == nil {
		return "", "", false
	}
	n := now.UnixNano()
	if n-se.lastUsed.Load() > int64(ss.timeout) {
		ss.end(sig)
		return "", "", false
	}
	se.lastUsed.Store(n)
	return se.user, sig, true
}

func (ss *sessions) end(sig string) {
	ss.mu.Lock()
	delete(ss.m, sig)
	ss.mu.Unlock()
}

func (ss *sessions) endAll() {
	ss.mu.Lock()
	ss.m = make(map[string]*session)
	ss.mu.Unlock()
}

func (ss *sessions) count() int {
	ss.mu.RLock()
	defer ss.mu.RUnlock()
	return len(ss.m)
}

// cookieValue finds ibapauth in the Cookie headers and strips its quotes.
func cookieValue(r *http.Request) (string, bool) {
	for _, h := range r.Header.Values("Cookie") {
		for h != "" {
			var part string
			part, h, _ = strings.Cut(h, ";")
			part = strings.TrimSpace(part)
			name, val, ok := strings.Cut(part, "=")
			if !ok || name != cookieName {
				continue
			}
			if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
				val = val[1 : len(val)-1]
			}
			return val, true
		}
	}
	return "", false
}

// checkPassword compares in constant time.
func (s *Server) checkPassword(user, pass string) bool {
	want, ok := s.opts.users[user]
	if !ok {
		// spend the same time as a real comparison.
		subtle.ConstantTimeCompare([]byte(pass), []byte(pass))
		return false
	}
	return subtle.ConstantTimeCompare([]byte(pass), []byte(want)) == 1
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return "unknown"
	}
	return host
}

// The 401 page, as Apache sends it in front of a grid.
const unauthorizedPage = `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html><head>
<title>401 Authorization Required</title>
</head><body>
<h1>Authorization Required</h1>
<p>This server could not verify that you
are authorized to access the document
requested.  Either you supplied the wrong
credentials (e.g., bad password), or your
browser doesn't understand how to supply
the credentials required.</p>
</body></html>
`

const notFoundPage = `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html><head>
<title>404 Not Found</title>
</head><body>
<h1>Not Found</h1>
<p>The requested URL was not found on this server.</p>
</body></html>
`

func writeUnauthorized(w http.ResponseWriter) {
	h := w.Header()
	h.Set("WWW-Authenticate", `Basic realm="InfoBlox ONE Platform"`)
	h.Set("Content-Type", "text/html; charset=iso-8859-1")
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = w.Write([]byte(unauthorizedPage))
}
