package wapi_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/turbowapi/turbowapi/wapi"
)

func TestBatchEncoding(t *testing.T) {
	t.Parallel()
	b := wapi.NewBatch(4)
	b.Add(wapi.BatchItem{Method: "GET", Object: "record:host", Data: wapi.Object{"name": "h.example.com"},
		Args: map[string]any{"_return_fields": "name"}, AssignState: map[string]string{"host_ref": "_ref"}, Discard: true})
	b.Add(wapi.BatchItem{Method: "PUT", Object: "##STATE:host_ref:##", Data: wapi.Object{"comment": "new"}, EnableSubstitution: true, Discard: true})
	b.Create("network", json.RawMessage(`{"network":"10.0.0.0/24"}`))
	b.Add(wapi.BatchItem{Method: wapi.MethodStateDisplay})
	got, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"method":"GET","object":"record:host","data":{"name":"h.example.com"},"args":{"_return_fields":"name"},"assign_state":{"host_ref":"_ref"},"discard":true},` +
		`{"method":"PUT","object":"##STATE:host_ref:##","data":{"comment":"new"},"enable_substitution":true,"discard":true},` +
		`{"method":"POST","object":"network","data":{"network":"10.0.0.0/24"}},` +
		`{"method":"STATE:DISPLAY"}]`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if b.Len() != 4 {
		t.Fatal(b.Len())
	}
	b.Reset()
	if b.Len() != 0 {
		t.Fatal(b.Len())
	}
}

func TestBatchResults(t *testing.T) {
	t.Parallel()
	_, srv, pool := startGrid(t)
	c := newClient(t, srv.URL, pool)
	ctx := testCtx(t)
	b := wapi.NewBatch(3)
	b.Create("network", wapi.Object{"network": "10.0.0.0/24"})
	b.Add(wapi.BatchItem{Method: http.MethodPost, Object: "network", Data: wapi.Object{"network": "10.0.1.0/24"}, Discard: true})
	b.Create("network", wapi.Network{Network: "10.0.2.0/24"})
	res, err := c.SendBatch(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].Index != 0 || res[1].Index != 2 {
		t.Fatalf("%+v", res)
	}
	for _, r := range res {
		ref, ok := r.Ref()
		if !ok || wapi.RefType(ref) != "network" {
			t.Fatalf("ref %q %v", ref, ok)
		}
		obj, err := r.Object()
		if err != nil || obj.Ref() != ref {
			t.Fatalf("%v %v", obj, err)
		}
		var s string
		if err := r.Decode(&s); err != nil || s != ref {
			t.Fatal(s, err)
		}
	}
}

// TestBatchFailure: a duplicate in the middle fails the whole batch; nothing is applied.
func TestBatchFailure(t *testing.T) {
	t.Parallel()
	g, srv, pool := startGrid(t)
	c := newClient(t, srv.URL, pool)
	ctx := testCtx(t)
	if _, err := c.Create(ctx, "network", wapi.Object{"network": "10.0.1.0/24"}); err != nil {
		t.Fatal(err)
	}
	b := wapi.NewBatch(3)
	for i := range 3 {
		b.Create("network", wapi.Object{"network": networkCIDR(i)})
	}
	res, err := c.SendBatch(ctx, b)
	var be *wapi.BatchError
	if res != nil || !errors.As(err, &be) || !errors.Is(err, wapi.ErrConflict) || wapi.MaybeApplied(err) {
		t.Fatalf("%v %v", res, err)
	}
	if be.Index != -1 {
		t.Fatalf("index %d: the fake grid does not name the item", be.Index)
	}
	if g.Count("network") != 1 {
		t.Fatalf("%d networks: the batch must be all or nothing", g.Count("network"))
	}
}

func TestBatchReplyMismatch(t *testing.T) {
	t.Parallel()
	g, srv, pool := startGrid(t)
	g.Hook = func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/wapi/v2.12.3/request" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`["network/a:1"]`))
			return true
		}
		return false
	}
	c := newClient(t, srv.URL, pool)
	b := wapi.NewBatch(2)
	b.Create("network", wapi.Object{"network": "10.0.0.0/24"})
	b.Create("network", wapi.Object{"network": "10.0.1.0/24"})
	_, err := c.SendBatch(testCtx(t), b)
	var de *wapi.DecodeError
	if !errors.As(err, &de) || !wapi.MaybeApplied(err) {
		t.Fatalf("%v", err)
	}
}
