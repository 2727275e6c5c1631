package wapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// maxErrorText bounds the Text of an [*Error] built from a non-JSON body.
const maxErrorText = 300

// wapiErrorBody is the WAPI error envelope: { "Error": "...", "code": "...", "text": "..." }.
type wapiErrorBody struct {
	Error string `json:"Error"`
	Code  string `json:"code"`
	Text  string `json:"text"`
}

// parseError builds the *Error for a non-2xx reply from its (size-limited) body.
func parseError(status int, h http.Header, body []byte, method, object string, now time.Time) *Error {
	e := &Error{
		StatusCode: status,
		Method:     method,
		Object:     object,
		RetryAfter: parseRetryAfter(h.Get("Retry-After"), now),
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var w wapiErrorBody
		if json.Unmarshal(trimmed, &w) == nil && (w.Error != "" || w.Code != "" || w.Text != "") {
			e.Class, e.Code, e.Text = w.Error, w.Code, w.Text
			if e.Text == "" {
				e.Text = e.Class
			}
			return e
		}
	}
	if isHTML(h, trimmed) {
		title := htmlTitle(trimmed)
		if status == http.StatusUnauthorized {
			e.Text = "invalid credentials or insufficient permissions"
			if title != "" {
				e.Text += " (" + title + ")"
			}
			return e
		}
		if title != "" {
			e.Text = title
			return e
		}
		e.Text = summarize(stripTags(trimmed))
		return e
	}
	if status == http.StatusUnauthorized && len(trimmed) == 0 {
		e.Text = "invalid credentials or insufficient permissions"
		return e
	}
	e.Text = summarize(trimmed)
	return e
}

func isHTML(h http.Header, body []byte) bool {
	ct := h.Get("Content-Type")
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct)), "text/html") {
		return true
	}
	return len(body) > 0 && body[0] == '<'
}

// summarize returns a short, printable version of b.
func summarize(b []byte) string {
	var sb strings.Builder
	space := false
	for len(b) > 0 && sb.Len() < maxErrorText {
		r, n := utf8.DecodeRune(b)
		b = b[n:]
		if r == utf8.RuneError && n <= 1 {
			r = '?'
		}
		if r < 0x20 || r == 0x7f || r == ' ' {
			space = sb.Len() > 0
			continue
		}
		if space {
			sb.WriteByte(' ')
			space = false
		}
		sb.WriteRune(r)
	}
	if len(b) > 0 {
		sb.WriteString("…")
	}
	return sb.String()
}

func stripTags(b []byte) []byte {
	out := make([]byte, 0, len(b))
	in := false
	for _, c := range b {
		switch {
		case c == '<':
			in = true
			out = append(out, ' ')
		case c == '>':
			in = false
		case !in:
			out = append(out, c)
		}
	}
	return out
}

// htmlTitle returns the text of the first <title> (or, failing that, <h1>) element.
func htmlTitle(b []byte) string {
	for _, tag := range [...]string{"title", "h1"} {
		i := indexFold(b, "<"+tag)
		if i < 0 {
			continue
		}
		rest := b[i:]
		gt := bytes.IndexByte(rest, '>')
		if gt < 0 {
			continue
		}
		rest = rest[gt+1:]
		end := indexFold(rest, "</"+tag)
		if end < 0 {
			end = len(rest)
		}
		if s := summarize(rest[:end]); s != "" {
			return s
		}
	}
	return ""
}

// indexFold is a case-insensitive bytes.Index for an ASCII needle.
func indexFold(b []byte, needle string) int {
	n := len(needle)
	for i := 0; i+n <= len(b); i++ {
		if asciiEqualFold(b[i:i+n], needle) {
			return i
		}
	}
	return -1
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// parseMetaRefresh finds <meta http-equiv="refresh" content="0; URL=..."> in an HTML page,
// as sent by a grid member that is not the Grid Master, and returns the URL.
func parseMetaRefresh(b []byte) (string, bool) {
	for {
		i := indexFold(b, "<meta")
		if i < 0 {
			return "", false
		}
		b = b[i+len("<meta"):]
		end := bytes.IndexByte(b, '>')
		if end < 0 {
			end = len(b)
		}
		attrs := parseAttrs(b[:end])
		b = b[end:]
		if !strings.EqualFold(strings.TrimSpace(attrs["http-equiv"]), "refresh") {
			continue
		}
		if u, ok := refreshURL(attrs["content"]); ok {
			return u, true
		}
	}
}

// refreshURL extracts the URL from a refresh content value such as "0; URL='https://gm/'".
func refreshURL(content string) (string, bool) {
	semi := strings.IndexByte(content, ';')
	if semi < 0 {
		return "", false
	}
	rest := strings.TrimSpace(content[semi+1:])
	if len(rest) >= 3 && strings.EqualFold(rest[:3], "url") {
		r := strings.TrimSpace(rest[3:])
		if !strings.HasPrefix(r, "=") {
			return "", false
		}
		rest = strings.TrimSpace(r[1:])
	}
	if len(rest) >= 2 && (rest[0] == '\'' || rest[0] == '"') {
		if j := strings.IndexByte(rest[1:], rest[0]); j >= 0 {
			rest = rest[1 : 1+j]
		} else {
			rest = rest[1:]
		}
	}
	rest = strings.TrimSpace(rest)
	return rest, rest != ""
}

// parseAttrs parses HTML attributes (name=value, name='value', name="value", bare names);
// names are lower-cased.
func parseAttrs(b []byte) map[string]string {
	m := make(map[string]string, 4)
	for len(b) > 0 {
		// skip separators
		for len(b) > 0 && (isSpace(b[0]) || b[0] == '/') {
			b = b[1:]
		}
		start := 0
		for start < len(b) && !isSpace(b[start]) && b[start] != '=' && b[start] != '/' {
			start++
		}
		if start == 0 {
			if len(b) > 0 {
				b = b[1:]
			}
			continue
		}
		name := strings.ToLower(string(b[:start]))
		b = b[start:]
		for len(b) > 0 && isSpace(b[0]) {
			b = b[1:]
		}
		if len(b) == 0 || b[0] != '=' {
			m[name] = ""
			continue
		}
		b = b[1:]
		for len(b) > 0 && isSpace(b[0]) {
			b = b[1:]
		}
		var val []byte
		if len(b) > 0 && (b[0] == '"' || b[0] == '\'') {
			q := b[0]
			b = b[1:]
			j := bytes.IndexByte(b, q)
			if j < 0 {
				j = len(b)
				val, b = b, nil
			} else {
				val, b = b[:j], b[j+1:]
			}
		} else {
			j := 0
			for j < len(b) && !isSpace(b[j]) {
				j++
			}
			val, b = b[:j], b[j:]
		}
		if _, dup := m[name]; !dup {
			m[name] = string(val)
		}
	}
	return m
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }
