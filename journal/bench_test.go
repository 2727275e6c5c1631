package journal_test

import (
	"fmt"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/turbowapi/turbowapi/bulk"
	"github.com/turbowapi/turbowapi/journal"
)

// BenchmarkObject journals one object as a run does (an intent, then its outcome) from 1 or
// 16 goroutines, with and without fsync of intents: the cost the journal adds per object.
//
//	go test ./journal -run '^$' -bench Object -benchmem
func BenchmarkObject(b *testing.B) {
	for _, durable := range []bool{true, false} {
		for _, par := range []int{1, 16} {
			b.Run(fmt.Sprintf("sync=%v/goroutines=%d", durable, par), func(b *testing.B) {
				w, err := journal.Create(filepath.Join(b.TempDir(), "j.jsonl"), hdr(), journal.WithSync(durable))
				if err != nil {
					b.Fatal(err)
				}
				defer w.Close()
				out := bulk.Outcome{Status: bulk.StatusCreated, Type: "network", Source: "nets.csv", Line: 1,
					Key: "network=10.0.0.0/24&network_view=default", Ref: "network/ZG5zLm5ldHdvcmskMTAuMC4wLjAvMjQvMA:10.0.0.0/24/default", Attempts: 1}
				if par == 1 {
					for i := range b.N {
						w.Intent([]int64{int64(i)})
						out.Ordinal = int64(i)
						w.Outcome(out)
					}
					return
				}
				b.SetParallelism(max(1, par/runtime.GOMAXPROCS(0)))
				b.RunParallel(func(pb *testing.PB) {
					o := out
					for i := int64(0); pb.Next(); i++ {
						w.Intent([]int64{i})
						o.Ordinal = i
						w.Outcome(o)
					}
				})
			})
		}
	}
}
