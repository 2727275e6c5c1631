package wapi

import (
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const redacted = "REDACTED"

// secret holds a password or a session cookie. Every way of printing it (fmt verbs, slog,
// JSON, text marshalling) yields "REDACTED".
type secret string

func (secret) String() string               { return redacted }
func (secret) GoString() string             { return `"` + redacted + `"` }
func (secret) Format(f fmt.State, _ rune)   { _, _ = io.WriteString(f, redacted) }
func (secret) LogValue() slog.Value         { return slog.StringValue(redacted) }
func (secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
func (secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// basicAuth returns the Authorization header value for user and this password.
func (s secret) basicAuth(user string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+string(s)))
}

// sessionCookieName is the WAPI session cookie.
const sessionCookieName = "ibapauth"

// findSessionCookie returns the raw value (quotes kept, as sent) of the ibapauth cookie in
// Set-Cookie headers. deleted is true when the grid clears the cookie.
func findSessionCookie(h http.Header) (value string, found, deleted bool) {
	for _, line := range h["Set-Cookie"] {
		line = strings.TrimSpace(line)
		eq := strings.IndexByte(line, '=')
		if eq < 0 || strings.TrimSpace(line[:eq]) != sessionCookieName {
			continue
		}
		rest := strings.TrimLeft(line[eq+1:], " ")
		var v string
		if strings.HasPrefix(rest, `"`) {
			if j := strings.IndexByte(rest[1:], '"'); j >= 0 {
				v = rest[:j+2]
				rest = rest[j+2:]
			} else {
				v, rest = rest, ""
			}
		} else if j := strings.IndexByte(rest, ';'); j >= 0 {
			v, rest = strings.TrimSpace(rest[:j]), rest[j:]
		} else {
			v, rest = strings.TrimSpace(rest), ""
		}
		if v == "" || v == `""` || cookieClears(rest) {
			return "", true, true
		}
		return v, true, false
	}
	return "", false, false
}

// cookieClears reports whether the attributes of a Set-Cookie line delete the cookie.
func cookieClears(attrs string) bool {
	for _, a := range strings.Split(attrs, ";") {
		a = strings.TrimSpace(a)
		if len(a) > 8 && strings.EqualFold(a[:8], "max-age=") {
			if n, err := strconv.Atoi(strings.TrimSpace(a[8:])); err == nil && n <= 0 {
				return true
			}
		}
	}
	return false
}

// cookieTiming extracts ctime and timeout (seconds) from an ibapauth value such as
// "ip=10.0.0.1,client=API,ctime=1568815778,timeout=600,mtime=...,<opaque>".
func cookieTiming(v string) (ctime, timeout int64, ok bool) {
	v = strings.Trim(v, `"`)
	var haveC, haveT bool
	for part := range strings.SplitSeq(v, ",") {
		part = strings.TrimSpace(part)
		switch {
		case strings.HasPrefix(part, "ctime="):
			n, err := strconv.ParseInt(part[len("ctime="):], 10, 64)
			if err == nil {
				ctime, haveC = n, true
			}
		case strings.HasPrefix(part, "timeout="):
			n, err := strconv.ParseInt(part[len("timeout="):], 10, 64)
			if err == nil && n > 0 {
				timeout, haveT = n, true
			}
		}
	}
	return ctime, timeout, haveC && haveT
}

// sessionExpiry computes, on the client's clock, when a session cookie received at now
// stops being valid: the grid's ctime + timeout, translated through the reply's Date header
// (so a skew between the two clocks does not matter), less a safety margin of a tenth of the
// timeout (at most 30 s). The zero time means "unknown": rely on 401 replies.
func sessionExpiry(v string, now time.Time, dateHeader string) time.Time {
	ctime, timeout, ok := cookieTiming(v)
	if !ok {
		return time.Time{}
	}
	full := time.Duration(timeout) * time.Second
	remaining := full
	if d, err := http.ParseTime(dateHeader); err == nil {
		r := time.Unix(ctime+timeout, 0).Sub(d)
		if r > 0 && r <= full {
			remaining = r
		}
	}
	margin := min(full/10, 30*time.Second)
	if margin > remaining/2 {
		margin = remaining / 2
	}
	return now.Add(remaining - margin)
}
