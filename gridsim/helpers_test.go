package gridsim_test

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/turbowapi/turbowapi/gridsim"
	"github.com/turbowapi/turbowapi/internal/simtest"
)

// client talks raw HTTP to a grid, with Basic credentials unless told otherwise.
type client struct {
	t    testing.TB
	g    *simtest.Grid
	hc   *http.Client
	user string
	pass string
}

func start(t testing.TB, opts ...gridsim.Option) *client {
	t.Helper()
	g := simtest.Start(t, opts...)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: g.RootCAs}, MaxIdleConnsPerHost: 16}
	t.Cleanup(tr.CloseIdleConnections)
	return &client{t: t, g: g, hc: &http.Client{Transport: tr, Timeout: 30 * time.Second},
		user: simtest.User, pass: simtest.Password}
}

type resp struct {
	status int
	body   string
	header http.Header
}

// do sends method path (relative to /wapi/v2.11/ unless it starts with '/') with body
// (JSON unless a Content-Type header is given in hdr as "Name: value").
func (c *client) do(method, path, body string, hdr ...string) resp {
	c.t.Helper()
	r, err := c.try(method, path, body, hdr...)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// try sends like do but returns transport errors instead of failing the test.
func (c *client) try(method, path, body string, hdr ...string) (resp, error) {
	c.t.Helper()
	if !strings.HasPrefix(path, "/") {
		path = "/wapi/v2.11/" + path
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.g.URL+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	ctSet := false
	for _, h := range hdr {
		k, v, _ := strings.Cut(h, ": ")
		if k == "Content-Type" {
			ctSet = true
		}
		req.Header.Add(k, v)
	}
	if body != "" && !ctSet {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.user != "" && req.Header.Get("Cookie") == "" && req.Header.Get("Authorization") == "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return resp{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, body: string(b), header: res.Header}, err
}

// must sends and requires the status; it returns the decoded body.
func (c *client) must(want int, method, path, body string, hdr ...string) any {
	c.t.Helper()
	r := c.do(method, path, body, hdr...)
	if r.status != want {
		c.t.Fatalf("%s %s %s: status %d, want %d; body:\n%s", method, path, body, r.status, want, r.body)
	}
	var v any
	if r.body != "" {
		if err := json.Unmarshal([]byte(r.body), &v); err != nil {
			c.t.Fatalf("%s %s: reply is not JSON: %v\n%s", method, path, err, r.body)
		}
	}
	return v
}

func (c *client) create(path, body string) string {
	c.t.Helper()
	v := c.must(http.StatusCreated, "POST", path, body)
	ref, ok := v.(string)
	if !ok {
		c.t.Fatalf("POST %s: reply %v is not a ref", path, v)
	}
	return ref
}

// wapiError is the grid's error envelope.
type wapiError struct {
	Error string `json:"Error"`
	Code  string `json:"code"`
	Text  string `json:"text"`
}

func (c *client) fails(status int, code, text, method, path, body string, hdr ...string) {
	c.t.Helper()
	r := c.do(method, path, body, hdr...)
	checkError(c.t, r, status, code, text, method+" "+path+" "+body)
}

func checkError(t testing.TB, r resp, status int, code, text, what string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d; body:\n%s", what, r.status, status, r.body)
	}
	if !strings.HasPrefix(r.body, `{ "Error": `) {
		t.Fatalf("%s: body is not the WAPI error layout:\n%s", what, r.body)
	}
	var e wapiError
	if err := json.Unmarshal([]byte(r.body), &e); err != nil {
		t.Fatalf("%s: error body is not JSON: %v\n%s", what, err, r.body)
	}
	if e.Code != code || (text != "" && e.Text != text) {
		t.Fatalf("%s: got code %q text %q, want %q %q", what, e.Code, e.Text, code, text)
	}
	if !strings.HasSuffix(e.Error, e.Text+")") && !strings.HasSuffix(e.Error, e.Text) {
		t.Fatalf("%s: Error %q does not end with the text %q", what, e.Error, e.Text)
	}
}
