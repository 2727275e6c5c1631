package bench

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind is a way of sending the workload: one of the article's scripts, or turbowapi's auto
// strategy.
type Kind string

// Kinds of technique.
const (
	// Sequential replays wapi-network.py: one POST network at a time, JSON without a
	// Content-Type, the session cookie, keep-alive. Login before the timer.
	Sequential Kind = "sequential"
	// Threads replays wapi-threaded.py: N workers (16 in the article) sharing one session
	// whose pool keeps at most 10 connections. Login before the timer.
	Threads Kind = "threads"
	// Request replays wapi-request.py: one POST request call carrying every network. Login
	// before the timer.
	Request Kind = "request"
	// Async replays wapi-async.py: N requests in flight under a semaphore, form-encoded
	// bodies; the timer includes client setup and the login.
	Async Kind = "async"
	// Auto is turbowapi's auto strategy, through the bulk engine. Login before the timer.
	Auto Kind = "auto"
)

// Technique is one row of the benchmark.
type Technique struct {
	Kind Kind `json:"kind"`
	// N is the number of workers (Threads) or the semaphore (Async); 0 otherwise.
	N int `json:"n,omitempty"`
}

// DefaultTechniques are the rows of `turbowapi bench`: the article's scripts in the order of
// the series (sequential, 16 threads, one request call, 2 to 32 in flight), then auto.
var DefaultTechniques = []Technique{
	{Kind: Sequential}, {Kind: Threads, N: 16}, {Kind: Request},
	{Kind: Async, N: 2}, {Kind: Async, N: 4}, {Kind: Async, N: 8}, {Kind: Async, N: 16}, {Kind: Async, N: 32},
	{Kind: Auto},
}

// Name is the technique's name in --strategies: sequential, threads16, request, async8, auto.
func (t Technique) Name() string {
	switch t.Kind {
	case Threads, Async:
		return string(t.Kind) + strconv.Itoa(t.N)
	}
	return string(t.Kind)
}

// String returns Name.
func (t Technique) String() string { return t.Name() }

// Label describes the technique for a report: "8 in flight", "16 threads".
func (t Technique) Label() string {
	switch t.Kind {
	case Sequential:
		return "sequential"
	case Threads:
		return strconv.Itoa(t.N) + " threads"
	case Request:
		return "one request call"
	case Async:
		return strconv.Itoa(t.N) + " in flight"
	case Auto:
		return "turbowapi auto"
	}
	return t.Name()
}

// Script names the article's script the technique replays ("turbowapi" for auto).
func (t Technique) Script() string {
	switch t.Kind {
	case Sequential:
		return "wapi-network.py"
	case Threads:
		return "wapi-threaded.py"
	case Request:
		return "wapi-request.py"
	case Async:
		return "wapi-async.py"
	}
	return "turbowapi"
}

// InFlight is the number of requests the technique keeps in flight (0 for auto, which
// adapts it).
func (t Technique) InFlight() int {
	switch t.Kind {
	case Sequential, Request:
		return 1
	case Threads, Async:
		return t.N
	}
	return 0
}

// LoginTimed reports whether the login is inside the timed region: only for the async script,
// whose timer also covers creating the client (seed-series.md §4.6).
func (t Technique) LoginTimed() bool { return t.Kind == Async }

// Article returns the article's published row for the technique, if the article measured it:
// the sequential script and the async script at 2, 4, 8, 16 and 32. The threaded script, the
// request call (their figures were never published, seed-series.md §6) and auto have none.
func (t Technique) Article() (Published, bool) {
	switch t.Kind {
	case Sequential:
		return ArticleRow(1)
	case Async:
		return ArticleRow(t.N)
	}
	return Published{}, false
}

// ParseTechniques reads a comma-separated list of technique names: sequential, threads
// (16 workers) or threadsN, request, async (2, 4, 8, 16 and 32) or asyncN, auto, and "all"
// for DefaultTechniques. Duplicates are dropped; the order given is kept.
func ParseTechniques(s string) ([]Technique, error) {
	var out []Technique
	seen := map[Technique]bool{}
	add := func(t Technique) {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(strings.ToLower(f))
		switch {
		case f == "":
			continue
		case f == "all":
			for _, t := range DefaultTechniques {
				add(t)
			}
		case f == string(Sequential), f == string(Request), f == string(Auto):
			add(Technique{Kind: Kind(f)})
		case f == string(Threads):
			add(Technique{Kind: Threads, N: 16})
		case f == string(Async):
			for _, n := range []int{2, 4, 8, 16, 32} {
				add(Technique{Kind: Async, N: n})
			}
		case strings.HasPrefix(f, string(Threads)), strings.HasPrefix(f, string(Async)):
			k := Threads
			if strings.HasPrefix(f, string(Async)) {
				k = Async
			}
			n, err := strconv.Atoi(strings.TrimPrefix(f, string(k)))
			if err != nil || n < 1 || n > 256 {
				return nil, fmt.Errorf("bench: technique %q: want %s followed by 1 to 256", f, k)
			}
			add(Technique{Kind: k, N: n})
		default:
			return nil, fmt.Errorf("bench: unknown technique %q (want sequential, threads[N], request, async[N], auto or all)", f)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("bench: no technique in %q", s)
	}
	return out, nil
}
