package wapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	values := []any{
		nil, "", "plain", "quote\" back\\slash", "ctl\x00\x01\x1f\n\r\t", "<html>&amp;", "é ü 日本", "bad \xff utf8",
		"line\u2028sep\u2029", true, false, 0.0, -0.0, 1.5, 1e21, 1e-7, 123456789.0, math.MaxFloat64, float32(1.25),
		42, int64(-7), int32(3), uint32(9), uint64(1 << 60), json.Number("12.5"), json.RawMessage(`{"a":[1,2]}`),
		Object{"network": "10.0.0.0/24", "b": []any{1.0, "x", nil, map[string]any{"z": true}}},
		map[string]any{}, []any{}, []string{"a", "b"}, []string(nil), map[string]string{"k": "v", "a": "b"},
		ExtAttrs{"Site": {Value: "East"}, "Multi": {Value: []any{"a", "b"}}},
		Network{Network: "10.0.0.0/24", Comment: "c"},
		struct{ A int }{3},
	}
	for _, v := range values {
		got, err := appendJSON(nil, v)
		if err != nil {
			t.Fatalf("%#v: %v", v, err)
		}
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var g, w any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("%#v: invalid JSON %s: %v", v, got, err)
		}
		_ = json.Unmarshal(want, &w)
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%#v:\n got  %s\n want %s", v, got, want)
		}
		// Apart from HTML escaping, the bytes are the same as encoding/json's.
		if !bytes.ContainsAny(want, `\`) && !bytes.Equal(got, want) {
			t.Errorf("%#v: bytes differ:\n got  %s\n want %s", v, got, want)
		}
	}
	for _, bad := range []any{math.NaN(), math.Inf(1), json.Number("x"), json.RawMessage("{"), Object{"f": func() {}}} {
		if _, err := appendJSON(nil, bad); err == nil {
			t.Errorf("%#v: no error", bad)
		}
	}
}

func TestAppendJSONAllocations(t *testing.T) {
	o := Object{"network": "10.0.0.0/24", "network_view": "default", "comment": "founding workload",
		"extattrs": ExtAttrs{"Site": {Value: "East"}}}
	buf := make([]byte, 0, 1024)
	allocs := testing.AllocsPerRun(100, func() {
		var err error
		if buf, err = appendJSON(buf[:0], o); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0 {
		t.Fatalf("appendJSON of an Object allocates %.0f times", allocs)
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a", "\"\\", "\x00\x7f", "\xff\xfe", "\u2028", "日本語", "<>&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := appendString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q → %s: %v", s, b, err)
		}
		want := strings.ToValidUTF8(s, "\uFFFD")
		// encoding/json replaces each invalid byte, ToValidUTF8 each run: compare with json.
		wb, _ := json.Marshal(s)
		var w string
		_ = json.Unmarshal(wb, &w)
		if got != w {
			t.Fatalf("%q: got %q, want %q (%q)", s, got, w, want)
		}
		if !utf8.Valid(b) {
			t.Fatalf("invalid UTF-8 output %q", b)
		}
	})
}

func TestParseError(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	h := func(kv ...string) http.Header {
		hh := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			hh.Set(kv[i], kv[i+1])
		}
		return hh
	}
	cases := []struct {
		name   string
		status int
		h      http.Header
		body   string
		want   Error
	}{
		{"conflict", 400, h("Content-Type", "application/json"),
			"{ \"Error\": \"AdmConDataError: None (IBDataConflictError: IB.Data.Conflict:The network 10.26.60.0/24 already exists.  Select another network.)\", \n  \"code\": \"Client.Ibap.Data.Conflict\", \n  \"text\": \"The network 10.26.60.0/24 already exists.  Select another network.\"\n}",
			Error{StatusCode: 400, Code: CodeConflict, Text: "The network 10.26.60.0/24 already exists.  Select another network.",
				Class: "AdmConDataError: None (IBDataConflictError: IB.Data.Conflict:The network 10.26.60.0/24 already exists.  Select another network.)"}},
		{"with trace", 400, h(), `{"Error":"AdmConProtoError: Unknown argument/field: netwdork","code":"Client.Ibap.Proto","text":"Unknown argument/field: netwdork","trace":"  File..."}`,
			Error{StatusCode: 400, Code: CodeProto, Text: "Unknown argument/field: netwdork", Class: "AdmConProtoError: Unknown argument/field: netwdork"}},
		{"class only", 400, h(), `{"Error":"AdmConDataError: None (IBDataConflictError: IB.Data.Conflict:dup)"}`,
			Error{StatusCode: 400, Text: "AdmConDataError: None (IBDataConflictError: IB.Data.Conflict:dup)", Class: "AdmConDataError: None (IBDataConflictError: IB.Data.Conflict:dup)"}},
		{"401 html", 401, h("Content-Type", "text/html; charset=iso-8859-1"),
			"<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>401 Authorization Required</title>\n</head><body>\n<h1>Authorization Required</h1></body></html>",
			Error{StatusCode: 401, Text: "invalid credentials or insufficient permissions (401 Authorization Required)"}},
		{"503 retry", 503, h("Retry-After", "120"), "busy\n\n  now", Error{StatusCode: 503, Text: "busy now", RetryAfter: 2 * time.Minute}},
		{"html no title", 502, h("Content-Type", "text/html"), "<html><body><p>Bad   gateway</p></body></html>", Error{StatusCode: 502, Text: "Bad gateway"}},
		{"empty", 500, h(), "", Error{StatusCode: 500}},
	}
	for _, tc := range cases {
		got := parseError(tc.status, tc.h, []byte(tc.body), "POST", "network", now)
		tc.want.Method, tc.want.Object = "POST", "network"
		if *got != tc.want {
			t.Errorf("%s:\n got  %+v\n want %+v", tc.name, *got, tc.want)
		}
	}
	if e := parseError(400, h(), bytes.Repeat([]byte("x"), 10000), "GET", "", now); utf8.RuneCountInString(e.Text) > maxErrorText+1 {
		t.Errorf("text not bounded: %d", len(e.Text))
	}
}

func FuzzParseError(f *testing.F) {
	f.Add(400, "application/json", `{"Error":"a","code":"Client.Ibap.Data.Conflict","text":"already exists"}`)
	f.Add(401, "text/html", "<title>401</title>")
	f.Add(503, "", "\xff\x00<h1>")
	f.Fuzz(func(t *testing.T, status int, ct, body string) {
		h := http.Header{}
		h.Set("Content-Type", ct)
		e := parseError(status, h, []byte(body), "GET", "x", time.Unix(0, 0))
		if e.StatusCode != status || len(e.Error()) == 0 {
			t.Fatal(e)
		}
		if !bytes.HasPrefix(bytes.TrimSpace([]byte(body)), []byte("{")) && utf8.RuneCountInString(e.Text) > maxErrorText+60 {
			t.Fatalf("text too long: %d", len(e.Text))
		}
	})
}

func TestParseMetaRefresh(t *testing.T) {
	t.Parallel()
	cases := []struct {
		body string
		want string
		ok   bool
	}{
		{`<html><head><meta http-equiv="refresh" content="0; URL=https://gm.example.com"></head></html>`, "https://gm.example.com", true},
		{`<META HTTP-EQUIV='Refresh' CONTENT='0;url=https://10.0.0.1/'>`, "https://10.0.0.1/", true},
		{`<meta content="0; URL='https://gm/'" http-equiv=refresh />`, "https://gm/", true},
		{`<meta charset="utf-8"><meta http-equiv="refresh" content="5;https://gm">`, "https://gm", true},
		{`<meta http-equiv="refresh" content="0">`, "", false},
		{`<meta name="refresh" content="0; URL=https://gm">`, "", false},
		{`<html>no meta</html>`, "", false},
		{`<meta http-equiv="refresh" content="0; URL=`, "", false},
	}
	for _, tc := range cases {
		got, ok := parseMetaRefresh([]byte(tc.body))
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: got %q %v, want %q %v", tc.body, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzParseMetaRefresh(f *testing.F) {
	f.Add(`<meta http-equiv="refresh" content="0; URL=https://gm">`)
	f.Add(`<meta http-equiv=refresh content='0;url="x'>`)
	f.Add(`<meta<meta =="" http-equiv`)
	f.Fuzz(func(t *testing.T, s string) {
		u, ok := parseMetaRefresh([]byte(s))
		if ok && (u == "" || strings.TrimSpace(u) != u) {
			t.Fatalf("%q → %q", s, u)
		}
	})
}

func TestFindSessionCookie(t *testing.T) {
	t.Parallel()
	real := `ibapauth="ip=10.30.19.110,client=API,group=admin-group,ctime=1568815778,timeout=600,mtime=1568815778,su=1,auth=LOCAL,user=admin,ZWE4ZmQ3"; httponly; Path=/`
	cases := []struct {
		lines   []string
		value   string
		found   bool
		deleted bool
	}{
		{[]string{real}, `"ip=10.30.19.110,client=API,group=admin-group,ctime=1568815778,timeout=600,mtime=1568815778,su=1,auth=LOCAL,user=admin,ZWE4ZmQ3"`, true, false},
		{[]string{"other=1; Path=/", "ibapauth=abc; Path=/"}, "abc", true, false},
		{[]string{"ibapauth=; Max-Age=0"}, "", true, true},
		{[]string{`ibapauth=""; Path=/`}, "", true, true},
		{[]string{"ibapauth=abc; Max-Age=0; Path=/"}, "", true, true},
		{[]string{"xibapauth=abc"}, "", false, false},
		{nil, "", false, false},
	}
	for _, tc := range cases {
		h := http.Header{"Set-Cookie": tc.lines}
		v, found, deleted := findSessionCookie(h)
		if v != tc.value || found != tc.found || deleted != tc.deleted {
			t.Errorf("%q: got %q %v %v", tc.lines, v, found, deleted)
		}
	}
	c, to, ok := cookieTiming(`"ip=1,ctime=1568815778,timeout=600,mtime=1"`)
	if c != 1568815778 || to != 600 || !ok {
		t.Fatal(c, to, ok)
	}
	if _, _, ok := cookieTiming("opaque"); ok {
		t.Fatal("timing from an opaque cookie")
	}
}

func FuzzSessionCookie(f *testing.F) {
	f.Add(`ibapauth="ip=1,ctime=5,timeout=600,x"; httponly; Path=/`, "Mon, 02 Jan 2006 15:04:05 GMT")
	f.Add(`ibapauth="unterminated`, "")
	f.Fuzz(func(t *testing.T, line, date string) {
		h := http.Header{"Set-Cookie": {line}}
		v, found, deleted := findSessionCookie(h)
		if found && !deleted && v == "" {
			t.Fatal("found an empty cookie")
		}
		now := time.Unix(1_700_000_000, 0)
		if exp := sessionExpiry(v, now, date); !exp.IsZero() && !exp.After(now) {
			t.Fatalf("expiry %v not after now for %q / %q", exp, v, date)
		}
	})
}

func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	date := func(d time.Duration) string { return time.Unix(1000, 0).Add(d).UTC().Format(http.TimeFormat) }
	v := `"ip=1,ctime=1000,timeout=600,mtime=1000,user=a,tok"`
	cases := []struct {
		date string
		want time.Duration
	}{
		{"", 570 * time.Second},                            // no Date: fresh cookie, 600 s less the 30 s margin
		{date(0), 570 * time.Second},                       // grid and cookie agree
		{date(300 * time.Second), 270 * time.Second},       // cookie minted 300 s ago on the grid's clock
		{date(595 * time.Second), 2500 * time.Millisecond}, // nearly expired: margin shrinks
		{date(-50 * time.Hour), 570 * time.Second},         // nonsense Date: ignored
	}
	for _, tc := range cases {
		if got := sessionExpiry(v, now, tc.date).Sub(now); got != tc.want {
			t.Errorf("date %q: expiry in %v, want %v", tc.date, got, tc.want)
		}
	}
	if !sessionExpiry("opaque", now, "").IsZero() {
		t.Error("opaque cookie has an expiry")
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	cases := map[string]time.Duration{
		"":   0,
		"0":  0,
		"-3": 0,
		"5":  5 * time.Second,
		now.Add(90 * time.Second).UTC().Format(http.TimeFormat):  90 * time.Second,
		now.Add(-90 * time.Second).UTC().Format(http.TimeFormat): 0,
		"soon":     0,
		"99999999": 24 * time.Hour,
	}
	for in, want := range cases {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("%q: %v, want %v", in, got, want)
		}
	}
}

func TestParseBaseURL(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in, base, version string
		ok                bool
	}{
		{"https://gm.example.com", "https://gm.example.com", "", true},
		{"https://gm.example.com/", "https://gm.example.com", "", true},
		{"https://gm:8443/wapi", "https://gm:8443", "", true},
		{"https://gm/wapi/v2.12.3/", "https://gm", "2.12.3", true},
		{"https://proxy/infoblox/wapi/v2.11", "https://proxy/infoblox", "2.11", true},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080", "", true},
		{"https://admin:pw@gm", "", "", false},
		{"ftp://gm", "", "", false},
		{"gm.example.com", "", "", false},
		{"https://gm/?x=1", "", "", false},
		{"https://gm/wapi/vX", "", "", false},
		{"https://[::1", "", "", false},
	}
	for _, tc := range cases {
		base, ver, err := parseBaseURL(tc.in)
		if (err == nil) != tc.ok || base != tc.base || ver != tc.version {
			t.Errorf("%q: got %q %q %v", tc.in, base, ver, err)
		}
		if err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("%q: error echoes the URL: %v", tc.in, err)
		}
	}
}

func TestPickVersion(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   []string
		want string
	}{
		{[]string{"1.0", "2.1", "2.9", "2.10", "2.12.3", "2.12"}, "2.12.3"},
		{[]string{"2.13.7", "2.13.6", "2.13"}, "2.13.6"},
		{[]string{"v2.5", "junk", "2.x"}, "2.5"},
		{[]string{"1.0", "2.0"}, ""},
		{nil, ""},
	}
	for _, tc := range cases {
		got, ok := pickVersion(tc.in)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("%v: got %q", tc.in, got)
		}
	}
}

func TestOpValid(t *testing.T) {
	t.Parallel()
	for _, op := range []Op{"=", ":=", "~=", ":~=", "~:=", "!=", "!:=", "<=", ">=", "!~=", "!:~<>="} {
		if !op.valid() {
			t.Errorf("%q invalid", op)
		}
	}
	for _, op := range []Op{"", "==", "::=", "~", "=~", "a=", "!!="} {
		if op.valid() {
			t.Errorf("%q valid", op)
		}
	}
}

func FuzzSplitJSONArray(f *testing.F) {
	f.Add(`["a","b,c",{"x":[1,2]},null,"\"]"]`)
	f.Add(`[]`)
	f.Add(` [ 1 , [2,3] ] `)
	f.Fuzz(func(t *testing.T, s string) {
		var want []json.RawMessage
		if json.Unmarshal([]byte(s), &want) != nil || !json.Valid([]byte(s)) || want == nil {
			return // not an array (null unmarshals into a nil slice)
		}
		got, err := splitJSONArray([]byte(s))
		if err != nil || len(got) != len(want) {
			t.Fatalf("%q: got %d elements (%v), want %d", s, len(got), err, len(want))
		}
		for i := range got {
			if !bytes.Equal(got[i], bytes.TrimSpace(want[i])) {
				t.Fatalf("%q: element %d = %q, want %q", s, i, got[i], want[i])
			}
		}
	})
}

func TestSecretPrinting(t *testing.T) {
	t.Parallel()
	const pw = "hunter2-secret"
	sec := secret(pw)
	creds := &credentials{user: "admin", password: sec}
	o := defaultOptions()
	o.password = sec
	sess := &session{cookie: []string{"ibapauth=" + pw}}
	var b bytes.Buffer
	for _, v := range []any{sec, creds, &o, sess, []any{sec}, map[string]any{"p": sec}} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
			b.WriteString(fmt.Sprintf(verb, v))
		}
	}
	j, _ := json.Marshal(map[string]any{"p": sec})
	b.Write(j)
	txt, _ := sec.MarshalText()
	b.Write(txt)
	b.WriteString(sec.LogValue().String())
	if strings.Contains(b.String(), pw) {
		t.Fatalf("secret printed: %s", b.String())
	}
	if !strings.Contains(b.String(), redacted) {
		t.Fatal("no redaction marker")
	}
	if sec.basicAuth("admin") != "Basic YWRtaW46aHVudGVyMi1zZWNyZXQ=" {
		t.Fatal(sec.basicAuth("admin"))
	}
}
