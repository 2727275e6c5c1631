package wapi_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/turbowapi/turbowapi/wapi"
	"github.com/turbowapi/turbowapi/wapi/internal/fakegrid"
)

func TestCRUD(t *testing.T) {
	t.Parallel()
	_, srv, pool := startGrid(t)
	c := newClient(t, srv.URL, pool)
	ctx := testCtx(t)

	ref, err := c.Create(ctx, wapi.TypeNetwork, wapi.Network{Network: "10.1.0.0/24", Comment: "lab", ExtAttrs: wapi.EAs(map[string]any{"Site": "East"})})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ref, "network/") || wapi.RefType(ref) != "network" {
		t.Fatalf("ref %q", ref)
	}
	obj, err := c.Get(ctx, ref, wapi.NewQuery().ReturnFieldsPlus("extattrs"))
	if err != nil {
		t.Fatal(err)
	}
	if obj.Ref() != ref || obj.StringField("network") != "10.1.0.0/24" || obj.StringField("comment") != "lab" || obj.Type() != "network" {
		t.Fatalf("object %v", obj)
	}
	var n wapi.Network
	if err := obj.Decode(&n); err != nil || n.ExtAttrs["Site"].Value != "East" || n.Ref != ref {
		t.Fatalf("decode: %+v %v", n, err)
	}
	typed, err := wapi.GetAs[wapi.Network](ctx, c, ref, nil)
	if err != nil || typed.Network != "10.1.0.0/24" {
		t.Fatalf("GetAs: %+v %v", typed, err)
	}

	if got, err := c.Update(ctx, ref, wapi.Object{"comment": "prod"}); err != nil || got != ref {
		t.Fatalf("Update: %q %v", got, err)
	}
	found, err := c.Search(ctx, "network", wapi.NewQuery().Eq("comment", "prod"))
	if err != nil || len(found) != 1 || found[0].Ref() != ref {
		t.Fatalf("Search: %v %v", found, err)
	}
	none, err := c.Search(ctx, "network", wapi.NewQuery().Eq("comment", "nothing"))
	if err != nil || none == nil || len(none) != 0 {
		t.Fatalf("empty search: %#v %v", none, err)
	}
	nets, err := wapi.SearchAs[wapi.Network](ctx, c, wapi.NewQuery().Eq("network", "10.1.0.0/24"))
	if err != nil || len(nets) != 1 || nets[0].Comment != "prod" {
		t.Fatalf("SearchAs: %+v %v", nets, err)
	}

	if got, err := c.Delete(ctx, ref); err != nil || got != ref {
		t.Fatalf("Delete: %q %v", got, err)
	}
	if _, err := c.Delete(ctx, ref); !errors.Is(err, wapi.ErrNotFound) {
		t.Fatalf("second Delete: %v", err)
	}
	if _, err := c.Get(ctx, ref, nil); !errors.Is(err, wapi.ErrNotFound) {
		t.Fatalf("Get after Delete: %v", err)
	}
}

func TestCreateReturning(t *testing.T) {
	t.Parallel()
	_, srv, pool := startGrid(t)
	c := newClient(t, srv.URL, pool)
	ctx := testCtx(t)
	obj, err := c.CreateReturning(ctx, "network", []byte(`{"network":"10.2.0.0/24","comment":"x"}`), wapi.NewQuery().ReturnFields("network", "comment"))
	if err != nil {
		t.Fatal(err)
	}
	if obj.Ref() == "" || obj.StringField("comment") != "x" {
		t.Fatalf("%v", obj)
	}
	obj, err = c.CreateReturning(ctx, "network", wapi.Object{"network": "10.3.0.0/24"}, nil)
	if err != nil || obj.StringField("network") != "10.3.0.0/24" {
		t.Fatalf("%v %v", obj, err)
	}
}

func TestSearchPaging(t *testing.T) {
	t.Parallel()
	g, srv, pool := startGrid(t)
	var mu sync.Mutex
	var queries []string
	g.Hook = func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/network") {
			mu.Lock()
			queries = append(queries, r.URL.RawQuery)
			mu.Unlock()
		}
		return false
	}
	c := newClient(t, srv.URL, pool)
	ctx := testCtx(t)
	const n = 25
	b := wapi.NewBatch(n)
	for i := range n {
		b.Create("network", wapi.Object{"network": networkCIDR(i), "comment": "paged"})
	}
	if _, err := c.SendBatch(ctx, b); err != nil {
		t.Fatal(err)
	}

	var got []string
	for obj, err := range c.SearchAll(ctx, "network", wapi.NewQuery().Eq("comment", "paged"), 10) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, obj.StringField("network"))
	}
	if len(got) != n || got[0] != networkCIDR(0) || got[n-1] != networkCIDR(n-1) {
		t.Fatalf("got %d objects: %v", len(got), got)
	}
	mu.Lock()
	if len(queries) != 3 || !strings.Contains(queries[0], "_paging=1&_return_as_object=1&_max_results=10") ||
		strings.Contains(queries[0], "_page_id") || !strings.Contains(queries[1], "_page_id=") ||
		!strings.HasPrefix(queries[1], "comment=paged&") {
		t.Fatalf("queries %q", queries)
	}
	queries = nil
	mu.Unlock()

	// Breaking out stops reading pages.
	count := 0
	for _, err := range c.SearchAll(ctx, "network", nil, 10) {
		if err != nil {
			t.Fatal(err)
		}
		if count++; count == 5 {
			break
		}
	}
	mu.Lock()
	if len(queries) != 1 {
		t.Fatalf("early break read %d pages", len(queries))
	}
	mu.Unlock()

	// Typed iteration and resumable pages.
	typed := 0
	for nw, err := range wapi.SearchAllAs[wapi.Network](ctx, c, nil, 7) {
		if err != nil || nw.Network == "" {
			t.Fatal(nw, err)
		}
		typed++
	}
	if typed != n {
		t.Fatalf("typed: %d", typed)
	}
	p1, err := c.SearchPage(ctx, "network", nil, 20, "")
	if err != nil || len(p1.Objects) != 20 || p1.NextPageID == "" {
		t.Fatalf("page 1: %d %q %v", len(p1.Objects), p1.NextPageID, err)
	}
	p2, err := c.SearchPage(ctx, "network", nil, 20, p1.NextPageID)
	if err != nil || len(p2.Objects) != 5 || p2.NextPageID != "" {
		t.Fatalf("page 2: %d %q %v", len(p2.Objects), p2.NextPageID, err)
	}

	// An error ends the iteration with the error.
	yields := 0
	for _, err := range c.SearchAll(ctx, "network", wapi.NewQuery().MaxResults(3), 10) {
		if yields++; !errors.Is(err, wapi.ErrInvalid) {
			t.Fatalf("MaxResults with paging: %v", err)
		}
	}
	if yields != 1 {
		t.Fatalf("MaxResults with paging: %d yields, want the error alone", yields)
	}
}

// TestFollowPages: the pages are read from "" along NextPageID; an error is yielded once,
// with a zero value, and ends the iteration; breaking out reads no further page.
func TestFollowPages(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	pages := map[string]wapi.Page[int]{
		"":  {Objects: []int{1, 2}, NextPageID: "b"},
		"b": {Objects: nil, NextPageID: "c"},
		"c": {Objects: []int{3}, NextPageID: ""},
	}
	var read []string
	reader := func(failAt string) func(string) (wapi.Page[int], error) {
		read = nil
		return func(id string) (wapi.Page[int], error) {
			read = append(read, id)
			if id == failAt {
				return wapi.Page[int]{Objects: []int{9}}, boom
			}
			return pages[id], nil
		}
	}
	for _, tc := range []struct {
		name    string
		failAt  string
		stopAt  int // break after this many objects; 0: never
		want    []int
		wantErr bool
		reads   []string
	}{
		{"all", "-", 0, []int{1, 2, 3}, false, []string{"", "b", "c"}},
		{"error", "c", 0, []int{1, 2, 0}, true, []string{"", "b", "c"}},
		{"break", "-", 2, []int{1, 2}, false, []string{""}},
	} {
		var got []int
		var gotErr error
		for v, err := range wapi.FollowPages(reader(tc.failAt)) {
			got = append(got, v)
			if err != nil {
				if gotErr != nil {
					t.Fatalf("%s: a second error %v", tc.name, err)
				}
				gotErr = err
			}
			if len(got) == tc.stopAt {
				break
			}
		}
		if !slices.Equal(got, tc.want) || (gotErr != nil) != tc.wantErr || (gotErr != nil && !errors.Is(gotErr, boom)) ||
			!slices.Equal(read, tc.reads) {
			t.Errorf("%s: got %v, %v after reading %q; want %v (error %v) after %q", tc.name, got, gotErr, read, tc.want, tc.wantErr, tc.reads)
		}
	}
}

func TestSearchTooLarge(t *testing.T) {
	t.Parallel()
	g, srv, pool := startGrid(t)
	g.Hook = func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/network") && r.URL.Query().Get("_max_results") == "" {
			fakegrid.WriteError(w, 400, "AdmConProtoError: Result set too large (> 1000)", "Client.Ibap.Proto", "Result set too large (> 1000)")
			return true
		}
		return false
	}
	c := newClient(t, srv.URL, pool)
	_, err := c.Search(testCtx(t), "network", nil)
	var we *wapi.Error
	if !errors.As(err, &we) || we.Code != wapi.CodeProto || we.StatusCode != 400 {
		t.Fatalf("%v", err)
	}
}

func TestFunctionsAndSchema(t *testing.T) {
	t.Parallel()
	g, srv, pool := startGrid(t)
	var mu sync.Mutex
	var bodies []string
	g.Hook = func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Query().Has("_function") {
			mu.Lock()
			bodies = append(bodies, r.Method+" "+r.URL.RawQuery)
			mu.Unlock()
		}
		return false
	}
	c := newClient(t, srv.URL, pool)
	ctx := testCtx(t)
	ref, err := c.Create(ctx, "network", wapi.Object{"network": "10.0.0.0/24"})
	if err != nil {
		t.Fatal(err)
	}
	ips, err := c.NextAvailableIP(ctx, ref, 3, "10.0.0.1")
	if err != nil || len(ips) != 3 {
		t.Fatalf("%v %v", ips, err)
	}
	nets, err := c.NextAvailableNetwork(ctx, ref, 26, 2)
	if err != nil || !slices.Equal(nets, []string{"10.9.0.0/26", "10.9.1.0/26"}) {
		t.Fatalf("%v %v", nets, err)
	}
	var raw json.RawMessage
	if err := c.Call(ctx, ref, "next_available_ip", wapi.Object{"num": 1}, &raw); err != nil || !strings.Contains(string(raw), `"ips"`) {
		t.Fatalf("%s %v", raw, err)
	}
	mu.Lock()
	if len(bodies) != 3 || bodies[0] != "POST _function=next_available_ip" {
		t.Fatalf("%q", bodies)
	}
	mu.Unlock()
	if _, err := c.NextAvailableIP(ctx, ref, 0); !errors.Is(err, wapi.ErrInvalid) {
		t.Fatal(err)
	}

	s, err := c.Schema(ctx)
	if err != nil || s.RequestedVersion != "2.12.3" || !slices.Contains(s.SupportedObjects, "network") {
		t.Fatalf("%+v %v", s, err)
	}
	os, err := c.ObjectSchema(ctx, "network")
	if err != nil || os.StringField("type") != "network" {
		t.Fatalf("ObjectSchema: %v %v", os, err)
	}
	var out []wapi.Object
	if err := c.Do(ctx, http.MethodGet, "network", wapi.NewQuery().Eq("network", "10.0.0.0/24"), nil, &out); err != nil || len(out) != 1 {
		t.Fatalf("Do: %v %v", out, err)
	}
	if err := c.Do(ctx, "PATCH", "network", nil, nil, nil); !errors.Is(err, wapi.ErrInvalid) {
		t.Fatal(err)
	}
}

func TestVersionNegotiation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		grid     []string
		pin      string
		url      string
		want     string
		wantErr  error
		wantCode string
	}{
		{name: "highest common", grid: []string{"1.0", "2.1", "2.10", "2.9", "2.12.3"}, want: "2.12.3"},
		{name: "capped at MaxVersion", grid: []string{"1.0", "2.12", "2.13.6", "2.14", "3.0"}, want: wapi.MaxVersion},
		{name: "numeric, not lexical", grid: []string{"1.0", "2.9", "2.10"}, want: "2.10"},
		{name: "nothing in range", grid: []string{"1.0", "1.4", "2.0"}, wantErr: wapi.ErrInvalid},
		{name: "pinned", grid: []string{"1.0", "2.5", "2.12"}, pin: "2.5", want: "2.5"},
		{name: "pinned in the URL", grid: []string{"1.0", "2.5", "2.12"}, url: "/wapi/v2.5/", want: "2.5"},
		{name: "pinned but unsupported", grid: []string{"1.0", "2.12"}, pin: "2.7", wantCode: wapi.CodeProto},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := fakegrid.New()
			g.Versions = tc.grid
			srv, pool := fakegrid.Start(t, g)
			var opts []wapi.Option
			if tc.pin != "" {
				opts = append(opts, wapi.WithVersion(tc.pin))
			}
			c := newClient(t, srv.URL+tc.url, pool, opts...)
			if tc.pin != "" || tc.url != "" {
				if c.Version() != tc.want && tc.want != "" {
					t.Fatalf("pinned version %q before login", c.Version())
				}
			} else if c.Version() != "" {
				t.Fatalf("version %q before negotiation", c.Version())
			}
			ctx := testCtx(t)
			_, err := c.Create(ctx, "network", wapi.Object{"network": "10.0.0.0/24"})
			switch {
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("%v", err)
				}
			case tc.wantCode != "":
				var we *wapi.Error
				if !errors.As(err, &we) || we.Code != tc.wantCode || !strings.Contains(we.Text, "not supported") {
					t.Fatalf("%v", err)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if c.Version() != tc.want {
					t.Fatalf("version %q, want %q", c.Version(), tc.want)
				}
				if st := g.Stats(); st.Basic != 1 {
					t.Fatalf("negotiation and login must be one request: %+v", st)
				}
			}
		})
	}
}

// TestGridMasterRedirect: a member answers with an HTML meta-refresh to the Grid Master; the
// client moves there and logs in there.
func TestGridMasterRedirect(t *testing.T) {
	t.Parallel()
	g, gm, pool := startGrid(t)
	var memberHits int
	var mu sync.Mutex
	member, _ := startTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		memberHits++
		mu.Unlock()
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<html><head><META HTTP-EQUIV="Refresh" CONTENT="0; URL=%s"></head><body>Redirecting to the Grid Master</body></html>`, gm.URL)
	}))
	c := newClient(t, member.URL, pool)
	ctx := testCtx(t)
	for i := range 3 {
		if _, err := c.Create(ctx, "network", wapi.Object{"network": networkCIDR(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if c.BaseURL() != gm.URL {
		t.Fatalf("base %q, want %q", c.BaseURL(), gm.URL)
	}
	mu.Lock()
	defer mu.Unlock()
	if st := g.Stats(); memberHits != 1 || st.Basic != 1 || g.Count("network") != 3 {
		t.Fatalf("member hits %d, GM stats %+v", memberHits, st)
	}
}

func TestGridMasterRedirectRefusesDowngrade(t *testing.T) {
	t.Parallel()
	member, pool := startTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<meta http-equiv="refresh" content="0; url=http://gm.invalid/">`)
	}))
	c := newClient(t, member.URL, pool)
	err := c.Login(testCtx(t))
	var de *wapi.DecodeError
	if !errors.As(err, &de) || c.BaseURL() != member.URL {
		t.Fatalf("%v, base %q", err, c.BaseURL())
	}
}

func TestInvalidArguments(t *testing.T) {
	t.Parallel()
	_, srv, pool := startGrid(t)
	c := newClient(t, srv.URL, pool)
	ctx := testCtx(t)
	calls := map[string]func() error{
		"bad type":      func() error { _, err := c.Create(ctx, "net work", wapi.Object{}); return err },
		"type as ref":   func() error { _, err := c.Delete(ctx, "network"); return err },
		"ref query":     func() error { _, err := c.Get(ctx, "network/x?y=1", nil); return err },
		"ref traversal": func() error { _, err := c.Delete(ctx, "network/../logout"); return err },
		"ref fragment":  func() error { _, err := c.Delete(ctx, "network/x#y"); return err },
		"bad json":      func() error { _, err := c.Create(ctx, "network", []byte("{")); return err },
		"bad float": func() error {
			_, err := c.Create(ctx, "network", wapi.Object{"x": func() float64 { z := 0.0; return 1 / z }()})
			return err
		},
		"bad query":     func() error { _, err := c.Search(ctx, "network", wapi.NewQuery().Where("a", "=~", "x")); return err },
		"empty batch":   func() error { _, err := c.SendBatch(ctx, wapi.NewBatch(0)); return err },
		"bad batch ref": func() error { b := wapi.NewBatch(1); b.Delete("nope"); _, err := c.SendBatch(ctx, b); return err },
	}
	for name, f := range calls {
		if err := f(); !errors.Is(err, wapi.ErrInvalid) || wapi.MaybeApplied(err) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
