package bulk_test

import (
	"context"
	"testing"

	"github.com/turbowapi/turbowapi/bulk"
	"github.com/turbowapi/turbowapi/wapi"
)

// --on-conflict: skip records existed, update sets the input's fields, fail records failed;
// singly and in batches.
func TestConflictPolicies(t *testing.T) {
	t.Parallel()
	cases := []struct {
		policy  bulk.ConflictPolicy
		batch   bool
		want    bulk.Status
		comment string // comment of the existing objects afterwards
	}{
		{bulk.Skip, false, bulk.StatusExisted, "old"},
		{bulk.Skip, true, bulk.StatusExisted, "old"},
		{bulk.Update, false, bulk.StatusUpdated, "new"},
		{bulk.Update, true, bulk.StatusUpdated, "new"},
		{bulk.Fail, false, bulk.StatusFailed, "old"},
		{bulk.Fail, true, bulk.StatusFailed, "old"},
	}
	for _, tc := range cases {
		name := string(tc.policy)
		if tc.batch {
			name += "-batch"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			const n, existing = 20, 5
			g := startGrid(t, nil)
			ctx := context.Background()
			for _, it := range networks(existing, "old") {
				if _, err := g.client.Create(ctx, "network", it.Body); err != nil {
					t.Fatal(err)
				}
			}
			opts := append(fastOpts(nil), bulk.WithConflictPolicy(tc.policy), bulk.WithStrategy(bulk.Sequential))
			if tc.batch {
				opts = append(fastOpts(nil), bulk.WithConflictPolicy(tc.policy), bulk.WithStrategy(bulk.Batch), bulk.WithBatchSize(8))
			}
			e := newEngine(t, g, opts...)
			rec := new(recorder)
			if _, err := e.Load(ctx, spoolOf(t, networks(n, "new")...), rec, nil); err != nil {
				t.Fatal(err)
			}
			outs := rec.byOrdinal(t)
			for i := range n {
				o := outs[int64(i+1)]
				want := bulk.StatusCreated
				if i < existing {
					want = tc.want
				}
				if o.Status != want {
					t.Errorf("object %d: %+v, want %s", i, o, want)
				}
				if want == bulk.StatusUpdated && o.Ref == "" {
					t.Errorf("object %d updated without ref", i)
				}
			}
			objs, err := g.client.Search(ctx, "network", wapi.NewQuery().Eq("comment", tc.comment))
			if err != nil {
				t.Fatal(err)
			}
			wantOld := existing
			if tc.comment == "new" {
				wantOld = n
			}
			if len(objs) != wantOld || g.count("network") != n {
				t.Fatalf("%d networks with comment %q (want %d), %d in all", len(objs), tc.comment, wantOld, g.count("network"))
			}
		})
	}
}

// Resume: objects with a final outcome are skipped; objects in flight when the previous run
// died are looked up first: those the grid holds are created (fields match), the others are
// sent. Nothing is duplicated and no conflict appears.
func TestResumeReconcilesInFlight(t *testing.T) {
	t.Parallel()
	for _, st := range strategies {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			const n = 60
			g := startGrid(t, nil)
			ctx := context.Background()
			items := networks(n, "resume")
			// The previous run: 0-19 done (journaled), 20-29 sent and applied but not
			// journaled, 30-34 sent and never applied.
			prev := new(recorder)
			for i := range 30 {
				ref, err := g.client.Create(ctx, "network", items[i].Body)
				if err != nil {
					t.Fatal(err)
				}
				if i < 20 {
					prev.outcomes = append(prev.outcomes, bulk.Outcome{Ordinal: int64(i + 1), Status: bulk.StatusCreated, Ref: ref})
				}
			}
			var inflight []int64
			for i := 20; i < 35; i++ {
				inflight = append(inflight, int64(i+1))
			}
			prev.Intent(inflight)

			e := newEngine(t, g, append(fastOpts(nil), st.opts...)...)
			rec := new(recorder)
			sum, err := e.Load(ctx, spoolOf(t, networks(n, "resume")...), rec, prev)
			if err != nil {
				t.Fatal(err)
			}
			if g.count("network") != n {
				t.Fatalf("%d networks", g.count("network"))
			}
			outs := rec.byOrdinal(t)
			if len(outs) != n-20 || sum.Resumed != 20 || sum.Pending != 0 {
				t.Fatalf("%d outcomes, summary %+v", len(outs), sum)
			}
			for ord, o := range outs {
				if ord <= 20 {
					t.Fatalf("final object %d got an outcome again", ord)
				}
				if o.Status != bulk.StatusCreated {
					t.Fatalf("%d: %+v", ord, o)
				}
				if ord <= 30 && o.Attempts != 0 {
					t.Errorf("%d was on the grid but was sent again: %+v", ord, o)
				}
			}
		})
	}
}

// An in-flight object found with other fields was there before: it is existed, not created
// (undo must not delete it).
func TestResumeForeignObject(t *testing.T) {
	t.Parallel()
	g := startGrid(t, nil)
	ctx := context.Background()
	if _, err := g.client.Create(ctx, "network", network(0, "someone else's").Body); err != nil {
		t.Fatal(err)
	}
	prev := new(recorder)
	prev.Intent([]int64{1})
	e := newEngine(t, g, fastOpts(nil)...)
	rec := new(recorder)
	if _, err := e.Load(ctx, spoolOf(t, network(0, "mine")), rec, prev); err != nil {
		t.Fatal(err)
	}
	if o := rec.byOrdinal(t)[1]; o.Status != bulk.StatusExisted || o.Ref == "" {
		t.Fatalf("%+v, want existed with its ref", o)
	}
}

// Delete removes exactly the objects given, in phase order; objects already gone are
// not_found; containers keep children that were not deleted.
func TestDelete(t *testing.T) {
	t.Parallel()
	for _, st := range []struct {
		name string
		opts []bulk.Option
	}{
		{"sequential", []bulk.Option{bulk.WithStrategy(bulk.Sequential)}},
		{"batch", []bulk.Option{bulk.WithStrategy(bulk.Batch), bulk.WithBatchSize(7)}},
		{"auto", nil},
	} {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			g := startGrid(t, nil)
			ctx := context.Background()
			cref, err := g.client.Create(ctx, "networkcontainer", map[string]any{"network": "10.0.0.0/16"})
			if err != nil {
				t.Fatal(err)
			}
			var items []*bulk.Item
			for i, it := range networks(30, "del") {
				ref, err := g.client.Create(ctx, "network", it.Body)
				if err != nil {
					t.Fatal(err)
				}
				if i >= 25 {
					continue // not ours: must survive
				}
				items = append(items, &bulk.Item{Ordinal: int64(i + 1), Source: "journal", Type: "network", Ref: ref, Phase: -30})
			}
			items = append(items, &bulk.Item{Ordinal: 100, Source: "journal", Type: "networkcontainer", Ref: cref, Phase: -16})
			// One already gone.
			if _, err := g.client.Delete(ctx, items[3].Ref); err != nil {
				t.Fatal(err)
			}
			e := newEngine(t, g, append(fastOpts(nil), st.opts...)...)
			rec := new(recorder)
			if _, err := e.Delete(ctx, spoolOf(t, items...), rec); err != nil {
				t.Fatal(err)
			}
			c := rec.counts()
			if c[bulk.StatusDeleted] != 25 || c[bulk.StatusNotFound] != 1 || len(rec.byOrdinal(t)) != 26 {
				t.Fatalf("outcomes %v: %+v", c, rec.outcomes)
			}
			if g.count("network") != 5 || g.count("networkcontainer") != 0 {
				t.Fatalf("left %d networks, %d containers", g.count("network"), g.count("networkcontainer"))
			}
		})
	}
}
