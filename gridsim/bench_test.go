package gridsim

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// Benchmarks of the request path (ServeHTTP with a recorder: no network, no TLS) on grids
// holding 10,000 and 1,000,000 networks, and the memory of a million networks. The 1M cases
// take a while to set up; they run only under -bench.

func netCIDR(i int) string {
	a := netip.AddrFrom4([4]byte{10, 0, 0, 0}).As4()
	v := (uint32(a[0])<<24 | uint32(a[1])<<16) + uint32(i)<<8
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), 0}), 24).String()
}

// load adds n networks directly through the store, in batches.
func load(tb testing.TB, s *Server, from, n int) {
	ty := s.ty.byName["network"]
	for i := from; i < from+n; {
		s.mu.Lock()
		t := s.st.begin()
		for j := 0; j < 10000 && i < from+n; j, i = j+1, i+1 {
			if _, err := t.create(ty, map[string]any{"network": netCIDR(i), "comment": "test-network"}, false); err != nil {
				s.mu.Unlock()
				tb.Fatal(err)
			}
		}
		s.mu.Unlock()
	}
}

var (
	benchMu    sync.Mutex
	benchGrids = map[int]*Server{}
)

func benchGrid(b *testing.B, n int) (*Server, string) {
	benchMu.Lock()
	defer benchMu.Unlock()
	s := benchGrids[n]
	if s == nil {
		var err error
		if s, err = New(WithUser("admin", "infoblox")); err != nil {
			b.Fatal(err)
		}
		load(b, s, 0, n)
		benchGrids[n] = s
	}
	req := httptest.NewRequest("GET", "/wapi/v2.11/grid", nil)
	req.SetBasicAuth("admin", "infoblox")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	cookie := rec.Header().Get("Set-Cookie")
	cookie = strings.TrimSuffix(cookie, "; httponly; Path=/")
	return s, cookie
}

func serve(b *testing.B, s *Server, cookie, method, target, body string, want int) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "/wapi/v2.11/"+target, strings.NewReader(body))
	req.Header.Set("Cookie", cookie)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != want {
		b.Fatalf("%s %s: %d %s", method, target, rec.Code, rec.Body)
	}
	return rec
}

var sizes = []struct {
	name string
	n    int
}{{"10k", 10_000}, {"1M", 1_000_000}}

// BenchmarkCreate: POST network (one object per request) on a grid of n networks.
func BenchmarkCreate(b *testing.B) {
	for _, sz := range sizes {
		b.Run(sz.name, func(b *testing.B) {
			s, cookie := benchGrid(b, sz.n)
			base := 2_000_000 + sz.n
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				serve(b, s, cookie, "POST", "network",
					`{"network":"`+netCIDR(base+i)+`","comment":"test-network"}`, http.StatusCreated)
			}
			b.StopTimer()
			benchMu.Lock()
			delete(benchGrids, sz.n) // the grid grew: rebuild for the next benchmark
			benchMu.Unlock()
		})
	}
}

// BenchmarkSearch: GET network?network=<cidr>, an exact search answered from the prefix trie.
// (Searches the indexes cannot narrow, such as a regular expression, scan every network and
// are not measured here.)
func BenchmarkSearch(b *testing.B) {
	for _, sz := range sizes {
		b.Run(sz.name, func(b *testing.B) {
			s, cookie := benchGrid(b, sz.n)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				rec := serve(b, s, cookie, "GET", "network?network="+netCIDR(i*7919%sz.n), "", http.StatusOK)
				if rec.Body.Len() < 50 {
					b.Fatalf("no result: %s", rec.Body)
				}
			}
		})
	}
}

// BenchmarkPage: one page of 1,000 networks per request, following next_page_id through the
// whole grid and starting again at the end.
func BenchmarkPage(b *testing.B) {
	for _, sz := range sizes {
		b.Run(sz.name, func(b *testing.B) {
			s, cookie := benchGrid(b, sz.n)
			first := "network?_paging=1&_return_as_object=1&_max_results=1000"
			q := first
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				rec := serve(b, s, cookie, "GET", q, "", http.StatusOK)
				body := rec.Body.String()
				i := strings.Index(body, `"next_page_id": "`)
				if i < 0 {
					q = first
					continue
				}
				j := strings.IndexByte(body[i+17:], '"')
				q = "network?_page_id=" + body[i+17:i+17+j]
			}
			b.ReportMetric(1000, "objects/op")
		})
	}
}

// BenchmarkMemory1M reports the heap in use by a grid holding one million networks (each with
// a comment), measured after a garbage collection.
func BenchmarkMemory1M(b *testing.B) {
	for range b.N {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s, err := New(WithUser("admin", "infoblox"))
		if err != nil {
			b.Fatal(err)
		}
		load(b, s, 0, 1_000_000)
		runtime.GC()
		runtime.ReadMemStats(&after)
		inuse := float64(after.HeapInuse) - float64(before.HeapInuse)
		b.ReportMetric(inuse/(1<<20), "heap-MiB")
		b.ReportMetric(inuse/1e6, "bytes/network")
		runtime.KeepAlive(s)
	}
}

func TestBenchHelpers(t *testing.T) {
	if got := netCIDR(0); got != "10.0.0.0/24" {
		t.Fatal(got)
	}
	if got := netCIDR(257); got != "10.1.1.0/24" {
		t.Fatal(got)
	}
	s, err := New(WithUser("admin", "infoblox"))
	if err != nil {
		t.Fatal(err)
	}
	load(t, s, 0, 300)
	if s.st.counts[s.ty.byName["network"].index] != 300 {
		t.Fatal(fmt.Sprint(s.st.counts))
	}
}

// BenchmarkGate is the cost model's share of a request: the fault draw, admission, jitter
// and a processor-sharing turn (a microsecond of modelled work).
func BenchmarkGate(b *testing.B) {
	fs, _ := ParseFaults("503=0.001@100h+1s")
	s, err := New(WithProfile(Profile{Name: "b", RequestMS: 0.001, Sigma: 0.1, Jitter: 0.1}), WithFaults(fs))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := b.Context()
	ri := &requestInfo{kind: kindCreate, items: 1, writes: 1}
	b.ReportAllocs()
	for b.Loop() {
		ri.seq++
		ri.arrived = s.sim.ps.now()
		if e := s.gate.admit(ctx, ri); e != nil {
			b.Fatal(e)
		}
		if e := s.gate.done(ctx, ri); e != nil {
			b.Fatal(e)
		}
	}
}
