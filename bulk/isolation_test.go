package bulk_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"testing"

	"github.com/turbowapi/turbowapi/bulk"
	"github.com/turbowapi/turbowapi/wapi"
)

// recordA returns an A record in zone (ordinal i+1).
func recordA(i int, zone string) *bulk.Item {
	name := fmt.Sprintf("host%d.%s", i, zone)
	ip := fmt.Sprintf("192.0.%d.%d", i/250, i%250+1)
	body, _ := json.Marshal(map[string]any{"name": name, "ipv4addr": ip, "comment": "iso"})
	return &bulk.Item{
		Ordinal: int64(i + 1), Source: "test", Line: i + 2, Type: "record:a", Body: body, Phase: 60,
		Key: []bulk.Field{{Name: "name", Value: name}, {Name: "ipv4addr", Value: ip}, {Name: "view", Value: "default"}},
	}
}

// A failed batch is split until the failing objects are isolated: every good object is
// created, every bad one gets its own error, and the extra requests stay within
// 2·k·log2(M) for k bad objects (the simulator does not say which item failed).
func TestBatchIsolationRequestCount(t *testing.T) {
	t.Parallel()
	const m = 64
	cases := []struct {
		name string
		bad  []int
	}{
		{"none", nil},
		{"first", []int{0}},
		{"middle", []int{37}},
		{"last", []int{63}},
		{"two-apart", []int{5, 50}},
		{"three-adjacent", []int{20, 21, 22}},
		{"eight-spread", []int{1, 9, 17, 25, 33, 41, 49, 57}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := startGrid(t, nil)
			if _, err := g.client.Create(context.Background(), "zone_auth", map[string]any{"fqdn": "good.test"}); err != nil {
				t.Fatal(err)
			}
			bad := map[int]bool{}
			for _, b := range tc.bad {
				bad[b] = true
			}
			items := make([]*bulk.Item, m)
			for i := range items {
				zone := "good.test"
				if bad[i] {
					zone = "missing.test" // no such zone: "A parent was not found"
				}
				items[i] = recordA(i, zone)
			}
			e := newEngine(t, g, append(fastOpts(nil), bulk.WithStrategy(bulk.Batch), bulk.WithBatchSize(m))...)
			rec := new(recorder)
			before := g.posts()
			sum, err := e.Load(context.Background(), spoolOf(t, items...), rec, nil)
			if err != nil {
				t.Fatal(err)
			}
			requests := g.posts() - before
			if got := g.count("record:a"); got != m-len(tc.bad) {
				t.Fatalf("%d records created, want %d", got, m-len(tc.bad))
			}
			outs := rec.byOrdinal(t)
			for i := range m {
				o := outs[int64(i+1)]
				switch {
				case bad[i] && (o.Status != bulk.StatusFailed || o.Code != wapi.CodeConflict):
					t.Errorf("bad object %d: %+v", i, o)
				case !bad[i] && o.Status != bulk.StatusCreated:
					t.Errorf("good object %d: %+v", i, o)
				}
			}
			k := len(tc.bad)
			limit := int64(1 + 2*k*int(math.Log2(m)))
			if k == 0 {
				limit = 1
			}
			if requests > limit || requests != sum.Requests {
				t.Fatalf("%d requests (summary %d), want at most %d", requests, sum.Requests, limit)
			}
			if k > 0 && sum.Isolation != requests-1 {
				t.Errorf("summary counts %d isolation requests, want %d", sum.Isolation, requests-1)
			}
			t.Logf("k=%d M=%d: %d requests (k·log2 M = %d)", k, m, requests, k*int(math.Log2(m)))
		})
	}
}

// A batch holding objects that already exist is settled with one request of searches, not
// bisected: for k existing objects in a batch of M, 3 requests whatever k.
func TestBatchConflictLookup(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		existing []int
		lookup   bool
		want     int64 // requests, exactly (-1: bisection, checked against its bound)
	}{
		{"one-existing", []int{10}, true, 3},
		{"all-existing", nil, true, 2},
		{"half-existing", []int{0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30}, true, 3},
		{"one-existing-bisect", []int{10}, false, -1},
	}
	const m = 32
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := startGrid(t, nil)
			items := networks(m, "batch")
			pre := tc.existing
			if pre == nil {
				for i := range m {
					pre = append(pre, i)
				}
			}
			refs := map[int64]string{}
			for _, i := range pre {
				ref, err := g.client.Create(context.Background(), "network", items[i].Body)
				if err != nil {
					t.Fatal(err)
				}
				refs[int64(i+1)] = ref
			}
			e := newEngine(t, g, append(fastOpts(nil), bulk.WithStrategy(bulk.Batch), bulk.WithBatchSize(m),
				bulk.WithConflictLookup(tc.lookup))...)
			rec := new(recorder)
			before := g.Server.Stats().Requests
			if _, err := e.Load(context.Background(), spoolOf(t, items...), rec, nil); err != nil {
				t.Fatal(err)
			}
			requests := g.Server.Stats().Requests - before
			if g.count("network") != m {
				t.Fatalf("%d networks", g.count("network"))
			}
			outs := rec.byOrdinal(t)
			for ord, o := range outs {
				ref, existed := refs[ord]
				switch {
				case existed && o.Status != bulk.StatusExisted:
					t.Errorf("%d: %+v, want existed", ord, o)
				case existed && tc.lookup && o.Ref != ref:
					t.Errorf("%d: existed with ref %q, want %q", ord, o.Ref, ref)
				case !existed && o.Status != bulk.StatusCreated:
					t.Errorf("%d: %+v, want created", ord, o)
				}
			}
			if tc.want >= 0 && requests != tc.want {
				t.Fatalf("%d requests, want %d", requests, tc.want)
			}
			if tc.want < 0 && requests > int64(1+2*math.Log2(m)) {
				t.Fatalf("%d requests, want at most 1+2·log2(M)", requests)
			}
			t.Logf("%d requests", requests)
		})
	}
}
