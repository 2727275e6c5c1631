package wapi

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Sentinel errors. Match them with [errors.Is]; the typed errors of this package ([*Error],
// [*TransportError], [*LoginError], [*BatchError]) report which sentinels they match.
var (
	// ErrConflict: the object already exists (WAPI code Client.Ibap.Data.Conflict with a
	// duplicate text such as "already exists" or "Duplicate object"). A Conflict reply that is
	// not a duplicate (for example a missing parent) does not match it.
	ErrConflict = errors.New("wapi: object already exists")

	// ErrParentNotFound: the grid refused the object because its parent (zone, view,
	// network view) does not exist. WAPI reports it with the Conflict code and the text
	// "A parent was not found"; it is not a duplicate.
	ErrParentNotFound = errors.New("wapi: parent object not found")

	// ErrNotFound: the grid answered with the WAPI code Client.Ibap.Data.NotFound (unknown
	// reference, view, network view...). A bare HTTP 404 without a WAPI error body (a wrong
	// URL) does not match it.
	ErrNotFound = errors.New("wapi: object not found")

	// ErrAuth: authentication or authorisation failed (HTTP 401 or 403), including bad
	// credentials at login.
	ErrAuth = errors.New("wapi: authentication failed")

	// ErrTransient: a failure that may succeed if tried again later: connection reset or
	// refused, timeouts, HTTP 429, 502, 503 and 504. See [RetryAfter] for the grid's hint and
	// [MaybeApplied] before repeating a write.
	ErrTransient = errors.New("wapi: transient failure")

	// ErrInvalid: a call was rejected by the client before anything was sent (bad argument,
	// bad option, malformed reference).
	ErrInvalid = errors.New("wapi: invalid argument")

	// ErrClosed: the client was closed.
	ErrClosed = errors.New("wapi: client closed")
)

// WAPI error codes (the "code" field of an error reply) that this package classifies.
const (
	CodeConflict = "Client.Ibap.Data.Conflict"
	CodeNotFound = "Client.Ibap.Data.NotFound"
	CodeData     = "Client.Ibap.Data"
	CodeProto    = "Client.Ibap.Proto"
)

// Error is a non-2xx reply from the grid. It never holds credentials or cookies.
type Error struct {
	StatusCode int           // HTTP status
	Code       string        // WAPI "code", e.g. "Client.Ibap.Data.Conflict"; empty for non-JSON replies
	Text       string        // WAPI "text"; for non-JSON replies, a short summary of the body
	Class      string        // WAPI "Error" field, e.g. "AdmConDataError: None (IBDataConflictError: ...)"
	RetryAfter time.Duration // from the Retry-After header; 0 if absent
	Method     string        // HTTP method of the failed call
	Object     string        // object type or reference the call addressed (no query string)
}

func (e *Error) Error() string {
	var b strings.Builder
	b.Grow(32 + len(e.Object) + len(e.Code) + len(e.Text))
	b.WriteString("wapi: ")
	b.WriteString(e.Method)
	b.WriteByte(' ')
	if e.Object == "" {
		b.WriteByte('/')
	} else {
		b.WriteString(e.Object)
	}
	b.WriteString(": ")
	b.WriteString(strconv.Itoa(e.StatusCode))
	if e.Code != "" {
		b.WriteByte(' ')
		b.WriteString(e.Code)
	}
	if e.Text != "" {
		b.WriteString(": ")
		b.WriteString(e.Text)
	}
	return b.String()
}

// Is reports whether e matches one of the package's sentinels.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrConflict:
		return e.conflictCode() && isDuplicateText(e.Text, e.Class)
	case ErrParentNotFound:
		return e.conflictCode() && containsFold(e.Text+" "+e.Class, "parent was not found")
	case ErrNotFound:
		return e.Code == CodeNotFound
	case ErrAuth:
		return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden
	case ErrTransient:
		return transientStatus(e.StatusCode)
	}
	return false
}

func (e *Error) conflictCode() bool {
	if e.Code != "" {
		return e.Code == CodeConflict
	}
	// Some replies carry only the Error class.
	return strings.Contains(e.Class, "IBDataConflictError")
}

func isDuplicateText(text, class string) bool {
	for _, s := range [...]string{text, class} {
		if containsFold(s, "already exists") || containsFold(s, "duplicate") {
			return true
		}
	}
	return false
}

func transientStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// TransportError is a call that got no HTTP reply: the connection could not be made, broke,
// or timed out, or the context ended.
//
// Sent tells whether the complete request may have reached the grid. When Sent is false the
// request was never written in full (dial failure, connection refused, TLS failure, context
// done before sending), so a write was certainly not applied and may be repeated as is. When
// Sent is true the outcome is unknown: a create may have been applied even though no reply
// arrived; look the object up before repeating it. Sent is conservative: it is true whenever
// the whole request was handed to the connection.
type TransportError struct {
	Method string
	Object string // object type or reference (no query string)
	Sent   bool
	Err    error // the underlying network or context error
}

func (e *TransportError) Error() string {
	state := "not sent"
	if e.Sent {
		state = "sent, no reply"
	}
	obj := e.Object
	if obj == "" {
		obj = "/"
	}
	return "wapi: " + e.Method + " " + obj + ": " + state + ": " + e.Err.Error()
}

func (e *TransportError) Unwrap() error { return e.Err }

// Is matches [ErrTransient] for connection failures and timeouts. It does not match when the
// caller's own context was cancelled or expired, nor for certificate or DNS name errors.
func (e *TransportError) Is(target error) bool {
	return target == ErrTransient && transientNetErr(e.Err)
}

// requestTimeoutError is the error of a call that exceeded the client's per-request timeout.
type requestTimeoutError struct{ d time.Duration }

func (e requestTimeoutError) Error() string {
	return "request timed out after " + e.d.String()
}
func (requestTimeoutError) Timeout() bool        { return true }
func (requestTimeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

// callerContextError wraps the caller's own context error: it is not transient.
type callerContextError struct{ err error }

func (e callerContextError) Error() string { return e.err.Error() }
func (e callerContextError) Unwrap() error { return e.err }

func transientNetErr(err error) bool {
	if err == nil {
		return false
	}
	var cce callerContextError
	if errors.As(err, &cce) {
		return false
	}
	var rte requestTimeoutError
	if errors.As(err, &rte) {
		return true
	}
	// Configuration errors: retrying cannot help.
	var (
		cve  *tls.CertificateVerificationError
		uae  x509.UnknownAuthorityError
		he   x509.HostnameError
		cie  x509.CertificateInvalidError
		rhe  tls.RecordHeaderError
		dnse *net.DNSError
		ae   *net.AddrError
	)
	switch {
	case errors.As(err, &cve), errors.As(err, &uae), errors.As(err, &he), errors.As(err, &cie),
		errors.As(err, &rhe), errors.As(err, &ae):
		return false
	case errors.As(err, &dnse):
		return !dnse.IsNotFound
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ETIMEDOUT), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH), errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return true
	}
	// Any other failure of an established exchange (for example "server closed idle
	// connection") is treated as transient; the list above covers the permanent ones.
	var oe *net.OpError
	return errors.As(err, &oe) || isHTTPTransportErr(err)
}

// isHTTPTransportErr recognises net/http transport failures that carry no typed cause. They
// come from the transportFailure wrapper set in send.
func isHTTPTransportErr(err error) bool {
	var tf transportFailure
	return errors.As(err, &tf)
}

// transportFailure marks an error returned by the HTTP transport after a connection was
// obtained (as opposed to one built by this package).
type transportFailure struct{ err error }

func (e transportFailure) Error() string { return e.err.Error() }
func (e transportFailure) Unwrap() error { return e.err }

// LoginError reports that the session could not be established. The call that needed the
// session was not sent, so [MaybeApplied] is false for it. Err is the login's own failure (an
// [*Error] with status 401 for bad credentials, a [*TransportError], ...), so errors.Is with
// [ErrAuth] or [ErrTransient] sees through it.
type LoginError struct {
	Err error
}

func (e *LoginError) Error() string { return "wapi: login failed: " + e.Err.Error() }
func (e *LoginError) Unwrap() error { return e.Err }

// DecodeError is a reply the client could not understand: a 2xx reply whose body is not the
// expected JSON, or a body that could not be read in full. A write that got a DecodeError
// with a 2xx status was applied.
type DecodeError struct {
	Method     string
	Object     string
	StatusCode int
	Err        error
}

func (e *DecodeError) Error() string {
	return "wapi: " + e.Method + " " + e.Object + ": " + strconv.Itoa(e.StatusCode) + " reply not understood: " + e.Err.Error()
}
func (e *DecodeError) Unwrap() error { return e.Err }

// BatchError is the failure of a `request` (batch) call. Index is the position of the item
// that failed, as given by the grid's reply, or -1 when the reply does not say. Err is the
// grid's error, so errors.Is(err, ErrConflict) and friends work on a BatchError. The grid
// treats a batch as one transaction: when it fails, none of its items was applied.
type BatchError struct {
	Index int
	Err   error
}

func (e *BatchError) Error() string {
	if e.Index < 0 {
		return "wapi: batch failed: " + e.Err.Error()
	}
	return "wapi: batch failed at item " + strconv.Itoa(e.Index) + ": " + e.Err.Error()
}
func (e *BatchError) Unwrap() error { return e.Err }

// MaybeApplied reports whether a failed write may nevertheless have been applied by the grid,
// in which case repeating it blindly could create a duplicate (or fail with [ErrConflict]).
//
//   - nil: false (the outcome is known).
//   - [*TransportError]: its Sent field ("sent, no reply" → true; never sent → false).
//   - [*LoginError], [ErrInvalid], [ErrClosed]: false, the call was not sent.
//   - [*Error]: false (the grid answered and refused), except 502 and 504, which a proxy in
//     front of the grid may return after forwarding the request: true.
//   - [*DecodeError]: true (the grid answered 2xx but the reply was unreadable).
//   - anything else: true, the safe answer.
func MaybeApplied(err error) bool {
	if err == nil {
		return false
	}
	var le *LoginError
	if errors.As(err, &le) {
		return false
	}
	var te *TransportError
	if errors.As(err, &te) {
		return te.Sent
	}
	var we *Error
	if errors.As(err, &we) {
		return we.StatusCode == http.StatusBadGateway || we.StatusCode == http.StatusGatewayTimeout
	}
	if errors.Is(err, ErrInvalid) || errors.Is(err, ErrClosed) {
		return false
	}
	return true
}

// RetryAfter returns the delay the grid asked for with a Retry-After header on the reply
// that produced err, if any.
func RetryAfter(err error) (time.Duration, bool) {
	var we *Error
	if errors.As(err, &we) && we.RetryAfter > 0 {
		return we.RetryAfter, true
	}
	return 0, false
}

// parseRetryAfter reads a Retry-After value: delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > int64(24*time.Hour/time.Second) {
			n = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

func containsFold(s, sub string) bool {
	n := len(sub)
	for i := 0; i+n <= len(s); i++ {
		if strings.EqualFold(s[i:i+n], sub) {
			return true
		}
	}
	return false
}
