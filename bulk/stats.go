package bulk

import (
	"math"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"
)

// Progress is a live view of a run, safe to read from another goroutine while the run goes
// on (the progress line reads it a few times a second).
type Progress struct {
	total, done, failed, requests, retries atomic.Int64
	limit, batch                           atomic.Int64
}

// ProgressSnapshot is a copy of the counters of a [Progress].
type ProgressSnapshot struct {
	// Total is the number of objects this run has to account for; Done the number with an
	// outcome, Failed those failed or invalid.
	Total, Done, Failed int64
	// Requests is the number of requests sent, Retries those that repeated an earlier one.
	Requests, Retries int64
	// Limit is the number of requests allowed in flight and Batch the batch size, now.
	Limit, Batch int
}

// Snapshot returns the counters.
func (p *Progress) Snapshot() ProgressSnapshot {
	return ProgressSnapshot{
		Total: p.total.Load(), Done: p.done.Load(), Failed: p.failed.Load(),
		Requests: p.requests.Load(), Retries: p.retries.Load(),
		Limit: int(p.limit.Load()), Batch: int(p.batch.Load()),
	}
}

// Summary is the account of a run.
type Summary struct {
	Operation string   `json:"operation"` // "load" or "delete"
	Strategy  Strategy `json:"strategy"`
	// Total is the number of input objects (valid and invalid); Resumed those skipped because
	// the journal of an earlier run already held their final outcome.
	Total   int64 `json:"total"`
	Resumed int64 `json:"resumed"`
	// Outcomes counts this run's outcomes by status; Pending is the number of objects left
	// without an outcome (the run was interrupted).
	Outcomes map[Status]int64 `json:"outcomes"`
	Pending  int64            `json:"pending"`
	// Elapsed is the run's wall time (after the first pass), Rate the outcomes per second.
	Elapsed time.Duration `json:"elapsed_ns"`
	Rate    float64       `json:"objects_per_second"`
	// Requests is every request sent: Writes (creates, updates, deletes, single or batched)
	// plus Lookups (searches by key). Retries counts the requests that repeated an earlier
	// one after a transient failure or an unknown outcome; Isolation the requests spent
	// splitting failed batches; Backoff the time spent waiting between retries (summed over
	// workers).
	Requests  int64         `json:"requests"`
	Writes    int64         `json:"writes"`
	Lookups   int64         `json:"lookups"`
	Retries   int64         `json:"retries"`
	Isolation int64         `json:"isolation_requests"`
	Backoff   time.Duration `json:"backoff_ns"`
	// Latency percentiles of all requests.
	P50 time.Duration `json:"latency_p50_ns"`
	P95 time.Duration `json:"latency_p95_ns"`
	P99 time.Duration `json:"latency_p99_ns"`
	// Concurrency and BatchSize used: the final setting, and the range over the run.
	Concurrency    int `json:"concurrency"`
	MinConcurrency int `json:"min_concurrency"`
	MaxConcurrency int `json:"max_concurrency"`
	BatchSize      int `json:"batch_size"`
	MinBatchSize   int `json:"min_batch_size"`
	MaxBatchSize   int `json:"max_batch_size"`
	// Decisions is the number of controller decisions journaled (strategy auto).
	Decisions int64 `json:"decisions"`
}

// Failed returns the number of objects failed or invalid in this run.
func (s *Summary) Failed() int64 { return s.Outcomes[StatusFailed] + s.Outcomes[StatusInvalid] }

// hist is a log-linear latency histogram: 16 buckets per power of two of microseconds, so a
// percentile is within about 6 % of the truth, in constant memory.
type hist struct {
	mu sync.Mutex
	n  int64
	b  [64 * 16]int64
}

func histIndex(d time.Duration) int {
	us := uint64(max(d.Microseconds(), 0)) + 1
	e := bits.Len64(us) - 1 // us in [2^e, 2^(e+1))
	if e < 4 {
		return int(us) // exact below 16
	}
	sub := (us >> (e - 4)) & 15
	return e*16 + int(sub)
}

func histValue(i int) time.Duration {
	if i < 16 {
		return time.Duration(i-1) * time.Microsecond
	}
	e, sub := i/16, i%16
	lo := (uint64(16) + uint64(sub)) << (e - 4)
	mid := float64(lo) + float64(uint64(1)<<(e-4))/2
	return time.Duration(mid-1) * time.Microsecond
}

func (h *hist) add(d time.Duration) {
	i := histIndex(d)
	h.mu.Lock()
	h.b[i]++
	h.n++
	h.mu.Unlock()
}

func (h *hist) quantile(q float64) time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(h.n)))
	var c int64
	for i, v := range h.b {
		c += v
		if c >= rank && v > 0 {
			return histValue(i)
		}
	}
	return 0
}
