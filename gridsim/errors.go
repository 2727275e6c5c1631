package gridsim

import (
	"fmt"
	"net/http"
	"strconv"
	"unicode/utf8"
)

// apiError is a WAPI error reply: an HTTP status and the JSON envelope
// { "Error": "<class>: <detail>", "code": "<code>", "text": "<text>" }.
type apiError struct {
	status int
	class  string // the full value of "Error"
	code   string
	text   string
	// Front-end replies and faults (cost.go): page is an HTML body sent instead of the JSON
	// envelope, retryAfter (seconds, when > 0) a Retry-After header, and reset asks for the
	// connection to be reset instead of any reply.
	page       string
	retryAfter int
	reset      bool
}

func (e *apiError) Error() string { return e.class }

// Error classes, shaped as in wapi.md §8.
func protoErr(format string, a ...any) *apiError {
	t := sprintf(format, a...)
	return &apiError{status: http.StatusBadRequest, class: "AdmConProtoError: " + t, code: "Client.Ibap.Proto", text: t}
}

func conflictErr(format string, a ...any) *apiError {
	t := sprintf(format, a...)
	return &apiError{status: http.StatusBadRequest, class: "AdmConDataError: None (IBDataConflictError: IB.Data.Conflict:" + t + ")", code: "Client.Ibap.Data.Conflict", text: t}
}

func notFoundErr(format string, a ...any) *apiError {
	t := sprintf(format, a...)
	return &apiError{status: http.StatusNotFound, class: "AdmConDataNotFoundError: " + t, code: "Client.Ibap.Data.NotFound", text: t}
}

// jsonErr is the reply to a body that is not valid JSON (observed code
// Client.Ibap.Proto.JSONDecoding).
func jsonErr(detail string) *apiError {
	t := "JSON Decoding: " + detail
	return &apiError{status: http.StatusBadRequest, class: "AdmConProtoError: " + t, code: "Client.Ibap.Proto.JSONDecoding", text: t}
}

// tooLargeErr answers a body over the limit.
func tooLargeErr(limit int64) *apiError {
	t := "Request body too large: the limit is " + strconv.FormatInt(limit, 10) + " bytes"
	return &apiError{status: http.StatusRequestEntityTooLarge, class: "AdmConProtoError: " + t, code: "Client.Ibap.Proto", text: t}
}

// unavailableErr answers a write that could not be made durable.
func unavailableErr(detail string) *apiError {
	t := "The database is unavailable: " + detail
	return &apiError{status: http.StatusServiceUnavailable, class: "AdmConDataError: None (IBDataError: IB.Data:" + t + ")", code: "Server.Ibap.Data", text: t}
}

// statusPage is the web server's own HTML reply for 503 or 429, sent before WAPI is reached
// (overload and injected faults), with a Retry-After header when retryAfter > 0.
func statusPage(status, retryAfter int) *apiError {
	e := &apiError{status: status, retryAfter: retryAfter}
	switch status {
	case http.StatusTooManyRequests:
		e.class, e.page = "429 Too Many Requests", tooManyPage
	default:
		e.class, e.page = "503 Service Unavailable", unavailablePage
	}
	return e
}

// resetConn is the "error" that resets the connection instead of replying.
var resetConn = &apiError{class: "connection reset", reset: true}

const unavailablePage = `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html><head>
<title>503 Service Unavailable</title>
</head><body>
<h1>Service Unavailable</h1>
<p>The server is temporarily unable to service your
request due to maintenance downtime or capacity
problems. Please try again later.</p>
</body></html>
`

const tooManyPage = `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html><head>
<title>429 Too Many Requests</title>
</head><body>
<h1>Too Many Requests</h1>
<p>The user has sent too many requests
in a given amount of time.</p>
</body></html>
`

// Frequent texts.
func refNotFound(ref string) *apiError { return notFoundErr("Reference %s not found", ref) }
func unknownField(f string) *apiError  { return protoErr("Unknown argument/field: %s", f) }
func notSearchable(f string) *apiError { return protoErr("Field is not searchable: %s", f) }
func missingField(f string) *apiError  { return protoErr("field for create missing: %s", f) }
func notWritable(f string) *apiError   { return protoErr("Field is not writable: %s", f) }
func invalidValue(f, v, why string) *apiError {
	return protoErr("Invalid value for %s: %s: %s", f, v, why)
}
func parentNotFound() *apiError {
	return conflictErr("The action is not allowed. A parent was not found.")
}

func sprintf(format string, a ...any) string {
	if len(a) == 0 {
		return format
	}
	return fmt.Sprintf(format, a...)
}

// appendError renders the envelope exactly as a grid does: a leading space before each key,
// "Error" first, and no trailing newline.
func appendError(b []byte, e *apiError) []byte {
	b = append(b, `{ "Error": `...)
	b = appendQuoted(b, e.class)
	b = append(b, ",\n  \"code\": "...)
	b = appendQuoted(b, e.code)
	b = append(b, ",\n  \"text\": "...)
	b = appendQuoted(b, e.text)
	b = append(b, "\n}"...)
	return b
}

// appendQuoted appends s as a JSON string the way the grid's Python encoder does: ASCII only,
// non-ASCII escaped as \uXXXX (surrogate pairs above the BMP), no HTML escaping.
func appendQuoted(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x80 && c != '"' && c != '\\' {
			i++
			continue
		}
		b = append(b, s[start:i]...)
		if c < 0x80 {
			switch c {
			case '"':
				b = append(b, '\\', '"')
			case '\\':
				b = append(b, '\\', '\\')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		appendU := func(v rune) {
			b = append(b, '\\', 'u', hex[v>>12&0xf], hex[v>>8&0xf], hex[v>>4&0xf], hex[v&0xf])
		}
		if r > 0xffff {
			r -= 0x10000
			appendU(0xd800 + (r>>10)&0x3ff)
			appendU(0xdc00 + r&0x3ff)
		} else {
			appendU(r)
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
