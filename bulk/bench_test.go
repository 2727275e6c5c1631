package bulk_test

import (
	"context"
	"testing"

	"github.com/turbowapi/turbowapi/bulk"
)

// BenchmarkLoad loads the founding workload (1,024 networks) into a fresh in-process
// simulated grid (instant costs) per iteration, in each strategy, and reports objects/s and
// the engine's allocations per object:
//
//	go test -run XXX -bench Load -benchmem ./bulk
func BenchmarkLoad(b *testing.B) {
	cases := []struct {
		name string
		opts []bulk.Option
	}{
		{"sequential", []bulk.Option{bulk.WithStrategy(bulk.Sequential)}},
		{"concurrent-8", []bulk.Option{bulk.WithStrategy(bulk.Concurrent), bulk.WithConcurrency(8)}},
		{"batch-1000", []bulk.Option{bulk.WithStrategy(bulk.Batch), bulk.WithBatchSize(1000)}},
		{"batch-100x4", []bulk.Option{bulk.WithStrategy(bulk.Batch), bulk.WithBatchSize(100), bulk.WithConcurrency(4)}},
		{"auto", []bulk.Option{bulk.WithStrategy(bulk.Auto)}},
	}
	const n = 1024
	items := networks(n, "bench")
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			var objs int64
			var secs float64
			for b.Loop() {
				b.StopTimer()
				g := startGrid(b, nil)
				e := newEngine(b, g, append(fastOpts(nil), tc.opts...)...)
				s := spoolOf(b, items...)
				b.StartTimer()
				sum, err := e.Load(context.Background(), s, nil, nil)
				if err != nil || sum.Outcomes[bulk.StatusCreated] != n {
					b.Fatalf("%v %+v", err, sum.Outcomes)
				}
				objs += n
				secs += sum.Elapsed.Seconds()
			}
			b.ReportMetric(float64(objs)/secs, "objects/s")
		})
	}
}
