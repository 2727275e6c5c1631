package bulk_test

import (
	"context"
	"testing"

	"github.com/turbowapi/turbowapi/bulk"
)

// The founding workload in small, in every strategy: every network created once, a rerun
// creates nothing and reports every object as existed.
func TestLoadStrategies(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		opts []bulk.Option
	}{
		{"sequential", []bulk.Option{bulk.WithStrategy(bulk.Sequential)}},
		{"concurrent", []bulk.Option{bulk.WithStrategy(bulk.Concurrent), bulk.WithConcurrency(8)}},
		{"batch", []bulk.Option{bulk.WithStrategy(bulk.Batch), bulk.WithBatchSize(50)}},
		{"concurrent-batches", []bulk.Option{bulk.WithStrategy(bulk.Batch), bulk.WithBatchSize(25), bulk.WithConcurrency(4)}},
		{"auto", []bulk.Option{bulk.WithStrategy(bulk.Auto)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			const n = 200
			g := startGrid(t, nil)
			e := newEngine(t, g, append(fastOpts(nil), tc.opts...)...)
			rec := new(recorder)
			sum, err := e.Load(context.Background(), spoolOf(t, networks(n, "founding")...), rec, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := g.count("network"); got != n {
				t.Fatalf("grid holds %d networks, want %d", got, n)
			}
			outs := rec.byOrdinal(t)
			if len(outs) != n || sum.Outcomes[bulk.StatusCreated] != n || sum.Pending != 0 {
				t.Fatalf("outcomes %d, summary %+v", len(outs), sum.Outcomes)
			}
			for ord, o := range outs {
				if o.Status != bulk.StatusCreated || o.Ref == "" || o.Attempts != 1 {
					t.Fatalf("ordinal %d: %+v", ord, o)
				}
			}
			if len(rec.inflight) != 0 {
				t.Fatalf("%d intents without outcome", len(rec.inflight))
			}
			// Rerun: nothing created, every object existed.
			posts := g.posts()
			rec2 := new(recorder)
			sum2, err := e.Load(context.Background(), spoolOf(t, networks(n, "founding")...), rec2, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := g.count("network"); got != n {
				t.Fatalf("after rerun: %d networks", got)
			}
			if c := rec2.counts(); c[bulk.StatusExisted] != n || len(rec2.byOrdinal(t)) != n {
				t.Fatalf("rerun outcomes %v", c)
			}
			t.Logf("%s: %d requests; rerun: %d requests (%d POST), %+v", tc.name, sum.Requests,
				sum2.Requests, g.posts()-posts, sum2.Outcomes)
		})
	}
}
