package journal_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/turbowapi/turbowapi/adaptive"
	"github.com/turbowapi/turbowapi/bulk"
	"github.com/turbowapi/turbowapi/journal"
)

var fixed = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func clock() time.Time { return fixed }

func hdr() journal.Header {
	return journal.Header{Command: "load", Sources: []string{"nets.csv", "generate:network 10.0.0.0/8 /24 4"},
		Grid: "https://127.0.0.1:8443", Strategy: "auto", OnConflict: "skip", Tool: "turbowapi test"}
}

func readAll(t *testing.T, path string) ([]journal.Record, journal.Info) {
	t.Helper()
	var recs []journal.Record
	info, err := journal.Read(path, func(r journal.Record) error { recs = append(recs, r); return nil })
	if err != nil {
		t.Fatal(err)
	}
	return recs, info
}

// TestRoundTrip writes every kind of record and reads them back, in order, field for field.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "j.jsonl")
	w, err := journal.Create(path, hdr(), journal.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	out := bulk.Outcome{Ordinal: 3, Source: "nets.csv", Line: 5, Type: "network", Key: "network=10.0.0.0/24&network_view=default",
		Status: bulk.StatusFailed, Code: "Client.Ibap.Data.Conflict", Text: "already exists", Attempts: 2}
	steps := []func() error{
		func() error { return w.Intent([]int64{3, 4}) },
		func() error { return w.Outcome(out) },
		func() error {
			return w.Decision(adaptive.Decision{Time: fixed, Limit: 8, BatchSize: 16, Reason: adaptive.Reason("grow"),
				Window: adaptive.Window{Throughput: 123.456, Estimate: 130.001, Latency: 40 * time.Millisecond}})
		},
		func() error {
			return w.Finish(bulk.Summary{Operation: "load", Total: 2, Outcomes: map[bulk.Status]int64{bulk.StatusFailed: 1}})
		},
	}
	for i, s := range steps {
		if err := s(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	recs, info := readAll(t, path)
	if info.Torn || info.Records != 5 || info.Lines != 5 {
		t.Fatalf("info %+v, want 5 complete records", info)
	}
	kinds := []journal.Kind{journal.KindHeader, journal.KindIntent, journal.KindOutcome, journal.KindDecision, journal.KindSummary}
	for i, r := range recs {
		if r.Kind != kinds[i] || r.Line != i+1 || !r.Time.Equal(fixed) {
			t.Errorf("record %d: kind %s line %d time %v, want %s line %d time %v", i, r.Kind, r.Line, r.Time, kinds[i], i+1, fixed)
		}
	}
	if h := recs[0].Header; recs[0].Format != journal.Format || h.Command != "load" || len(h.Sources) != 2 || h.Grid != hdr().Grid {
		t.Errorf("header %d %+v", recs[0].Format, h)
	}
	if got := recs[1].Ordinals; len(got) != 2 || got[0] != 3 || got[1] != 4 {
		t.Errorf("intent ordinals %v", got)
	}
	if got := recs[2].Outcome.Bulk(); got != out {
		t.Errorf("outcome\n got %+v\nwant %+v", got, out)
	}
	if d := recs[3].Decision; d.Limit != 8 || d.BatchSize != 16 || d.Reason != "grow" || d.Goodput != 123.46 || d.Estimate != 130 || d.Latency != 40*time.Millisecond {
		t.Errorf("decision %+v", d)
	}
	if s := recs[4].Summary; s.Operation != "load" || s.Outcomes[bulk.StatusFailed] != 1 {
		t.Errorf("summary %+v", s)
	}
}

func TestCreateRefusesAnExistingFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "j.jsonl")
	if err := os.WriteFile(path, []byte("precious\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := journal.Create(path, hdr()); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Create over a file: %v, want fs.ErrExist", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "precious\n" {
		t.Fatalf("file changed: %q", b)
	}
}

func TestClosedWriter(t *testing.T) {
	t.Parallel()
	w, err := journal.Create(filepath.Join(t.TempDir(), "j.jsonl"), hdr())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	calls := map[string]error{
		"Intent":   w.Intent([]int64{1}),
		"Outcome":  w.Outcome(bulk.Outcome{Status: bulk.StatusCreated}),
		"Decision": w.Decision(adaptive.Decision{}),
		"Finish":   w.Finish(bulk.Summary{}),
	}
	for name, err := range calls {
		if !errors.Is(err, journal.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", name, err)
		}
	}
}

func TestOptions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, opt := range map[string]journal.Option{"nil option": nil, "nil clock": journal.WithClock(nil)} {
		if _, err := journal.Create(filepath.Join(dir, strings.ReplaceAll(name, " ", "-")), hdr(), opt); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestConcurrentWriters has many goroutines write intents and outcomes at once, as a run
// with many requests in flight does: every record arrives whole, each outcome after its
// intent, and the state accounts for every object.
func TestConcurrentWriters(t *testing.T) {
	t.Parallel()
	for _, durable := range []bool{true, false} {
		t.Run(fmt.Sprintf("sync=%v", durable), func(t *testing.T) {
			t.Parallel()
			const workers, per = 16, 200
			path := filepath.Join(t.TempDir(), "j.jsonl")
			w, err := journal.Create(path, hdr(), journal.WithSync(durable))
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for g := range workers {
				wg.Go(func() {
					for i := range per {
						o := int64(g*per + i)
						if err := w.Intent([]int64{o}); err != nil {
							t.Error(err)
							return
						}
						if i%10 == 9 {
							continue // left in flight
						}
						if err := w.Outcome(bulk.Outcome{Ordinal: o, Status: bulk.StatusCreated, Type: "network"}); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			seen := map[int64]bool{}
			recs, _ := readAll(t, path)
			for _, r := range recs {
				switch r.Kind {
				case journal.KindIntent:
					seen[r.Ordinals[0]] = true
				case journal.KindOutcome:
					if !seen[r.Outcome.Ordinal] {
						t.Fatalf("line %d: outcome of %d before its intent", r.Line, r.Outcome.Ordinal)
					}
				}
			}
			st, err := journal.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			want := int64(workers * per)
			if st.Outcomes[bulk.StatusCreated] != want*9/10 || st.InFlightCount != want/10 || st.Duplicates != 0 || st.Finished {
				t.Fatalf("state: %v created, %d in flight, %d duplicates, finished %v", st.Outcomes, st.InFlightCount, st.Duplicates, st.Finished)
			}
			for o := range want {
				inflight := o%per%10 == 9
				if st.InFlight(o) != inflight || st.Final(o) == inflight {
					t.Fatalf("ordinal %d: in flight %v final %v", o, st.InFlight(o), st.Final(o))
				}
			}
		})
	}
}

// TestCreateDoesNotFollowSymlinks: a link planted where the journal goes is refused, not
// written through.
func TestCreateDoesNotFollowSymlinks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	path := filepath.Join(dir, "j.jsonl")
	if err := os.Symlink(target, path); err != nil {
		t.Skip(err)
	}
	if _, err := journal.Create(path, hdr()); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Create through a symlink: %v", err)
	}
	if _, err := os.Stat(target); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the link's target was created: %v", err)
	}
}

// TestReadDamage is the catalogue of journals the reader must refuse or tolerate.
func TestReadDamage(t *testing.T) {
	t.Parallel()
	const head = `{"kind":"header","time":"2026-11-25T10:00:00Z","format":1,"header":{"command":"load"}}` + "\n"
	const intent = `{"kind":"intent","time":"2026-11-25T10:00:00Z","ordinals":[0,1]}` + "\n"
	const outcome = `{"kind":"outcome","time":"2026-11-25T10:00:00Z","outcome":{"ordinal":0,"status":"created","type":"network"}}` + "\n"
	cases := []struct {
		name, text string
		records    int
		torn       bool
		err        string // substring of the error; "" for none
	}{
		{"complete", head + intent + outcome, 3, false, ""},
		{"blank lines", head + "\n  \n" + intent, 2, false, ""},
		{"torn last line", head + intent + outcome[:40], 2, true, ""},
		{"last record without newline", head + intent + strings.TrimSuffix(outcome, "\n"), 3, true, ""},
		{"empty file", "", 0, false, "empty: not a turbowapi journal"},
		{"not json", "hello\n", 0, false, ":1: invalid character"},
		{"starts with an intent", intent + head, 0, false, ":1: starts with a \"intent\" record"},
		{"second header", head + head, 1, false, ":2: a second header"},
		{"later format", strings.Replace(head, `"format":1`, `"format":9`, 1), 0, false, ":1: format 9"},
		{"header without command", `{"kind":"header","format":1,"header":{}}` + "\n", 0, false, "header without a command"},
		{"damaged middle line", head + outcome[:40] + "\n" + intent, 1, false, ":2: "},
		{"unknown kind", head + `{"kind":"gossip"}` + "\n", 1, false, `:2: unknown record kind "gossip"`},
		{"intent without ordinals", head + `{"kind":"intent"}` + "\n", 1, false, ":2: intent without ordinals"},
		{"negative ordinal", head + `{"kind":"intent","ordinals":[-1]}` + "\n", 1, false, ":2: intent with ordinal -1 out of range"},
		{"huge ordinal", head + `{"kind":"outcome","outcome":{"ordinal":9000000000,"status":"created"}}` + "\n", 1, false, "out of range"},
		{"outcome without status", head + `{"kind":"outcome","outcome":{"ordinal":1}}` + "\n", 1, false, ":2: outcome of ordinal 1 without a status"},
		{"outcome without body", head + `{"kind":"outcome"}` + "\n", 1, false, ":2: outcome record without an outcome"},
		{"wrong field type", head + `{"kind":"intent","ordinals":"all"}` + "\n", 1, false, ":2: json: cannot unmarshal"},
		{"summary without body", head + `{"kind":"summary"}` + "\n", 1, false, ":2: summary record without a summary"},
		{"decision without body", head + `{"kind":"decision"}` + "\n", 1, false, ":2: decision record without a decision"},
		{"resume without header", head + `{"kind":"resume"}` + "\n", 1, false, ":2: resume record without a header"},
		{"line too long", head + `{"kind":"intent","ordinals":[` + strings.Repeat("1,", journal.MaxLine/2) + "1]}\n", 1, false, "line longer than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			n := 0
			info, err := journal.Scan(strings.NewReader(c.text), "j.jsonl", func(journal.Record) error { n++; return nil })
			if c.err == "" {
				if err != nil {
					t.Fatalf("error %v", err)
				}
			} else if err == nil || !strings.Contains(err.Error(), c.err) || !strings.HasPrefix(err.Error(), "journal j.jsonl") {
				t.Fatalf("error %v, want one naming j.jsonl with %q", err, c.err)
			}
			if n != c.records || info.Torn != c.torn {
				t.Fatalf("%d records, torn %v; want %d, %v", n, info.Torn, c.records, c.torn)
			}
		})
	}
}

func TestCallbackErrorStopsReading(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "j.jsonl")
	w, err := journal.Create(path, hdr())
	if err != nil {
		t.Fatal(err)
	}
	w.Intent([]int64{1})
	w.Close()
	stop := errors.New("stop")
	n := 0
	if _, err := journal.Read(path, func(journal.Record) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Fatalf("err %v after %d records", err, n)
	}
	if _, err := journal.Read(filepath.Join(t.TempDir(), "missing"), func(journal.Record) error { return nil }); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing journal: %v", err)
	}
}

// TestResume continues a journal whose writer died in the middle of a line: the torn line
// is cut, the new records follow on their own lines, and the state is right.
func TestResume(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "j.jsonl")
	w, err := journal.Create(path, hdr())
	if err != nil {
		t.Fatal(err)
	}
	w.Intent([]int64{0, 1, 2})
	w.Outcome(bulk.Outcome{Ordinal: 0, Status: bulk.StatusCreated, Type: "network", Ref: "network/x"})
	w.Intent([]int64{3})
	w.Close()
	// Simulate a crash in the middle of the next outcome.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"kind":"outcome","time":"2026-11-25T10:00:00Z","outcome":{"ordinal":1,"sta`)
	f.Close()

	w2, st, err := journal.Resume(path, hdr())
	if err != nil {
		t.Fatal(err)
	}
	for o, want := range map[int64][2]bool{0: {true, false}, 1: {false, true}, 2: {false, true}, 3: {false, true}, 4: {false, false}} {
		if st.Final(o) != want[0] || st.InFlight(o) != want[1] {
			t.Errorf("ordinal %d: final %v in flight %v, want %v", o, st.Final(o), st.InFlight(o), want)
		}
	}
	if st.Runs != 1 || st.InFlightCount != 3 || st.Info.Torn {
		t.Errorf("state runs %d in flight %d torn %v", st.Runs, st.InFlightCount, st.Info.Torn)
	}
	w2.Outcome(bulk.Outcome{Ordinal: 1, Status: bulk.StatusExisted, Type: "network"})
	if err := w2.Finish(bulk.Summary{Operation: "load"}); err != nil {
		t.Fatal(err)
	}
	recs, info := readAll(t, path)
	if info.Torn {
		t.Fatal("torn after resume")
	}
	if k := recs[len(recs)-3].Kind; k != journal.KindResume {
		t.Fatalf("record before the new outcome is %s, want resume", k)
	}
	st2, err := journal.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if st2.Runs != 2 || !st2.Finished || st2.InFlightCount != 2 || st2.Outcomes[bulk.StatusExisted] != 1 {
		t.Fatalf("after resume: runs %d finished %v in flight %d outcomes %v", st2.Runs, st2.Finished, st2.InFlightCount, st2.Outcomes)
	}
}

func TestResumeMismatch(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "j.jsonl")
	w, err := journal.Create(path, hdr())
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	before, _ := os.ReadFile(path)
	other := hdr()
	other.Sources = []string{"other.csv"}
	del := hdr()
	del.Command = "delete"
	for name, h := range map[string]journal.Header{"other sources": other, "other command": del} {
		if _, _, err := journal.Resume(path, h); !errors.Is(err, journal.ErrMismatch) {
			t.Errorf("%s: %v, want ErrMismatch", name, err)
		}
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatal("a refused resume changed the journal")
	}
}

func TestDuplicateOutcomesAreCounted(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "j.jsonl")
	w, _ := journal.Create(path, hdr())
	w.Intent([]int64{7})
	w.Outcome(bulk.Outcome{Ordinal: 7, Status: bulk.StatusCreated})
	w.Outcome(bulk.Outcome{Ordinal: 7, Status: bulk.StatusFailed})
	w.Close()
	st, err := journal.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Duplicates != 1 || st.Outcomes[bulk.StatusCreated] != 1 || st.Outcomes[bulk.StatusFailed] != 0 {
		t.Fatalf("duplicates %d outcomes %v", st.Duplicates, st.Outcomes)
	}
}

// TestNoNonFiniteNumbers: a decision with NaN measurements (an empty window) still journals.
func TestNoNonFiniteNumbers(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "j.jsonl")
	w, _ := journal.Create(path, hdr())
	if err := w.Decision(adaptive.Decision{Limit: 1, Window: adaptive.Window{Throughput: math.NaN(), Estimate: math.Inf(1)}}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	recs, _ := readAll(t, path)
	if d := recs[1].Decision; d.Goodput != 0 || d.Limit != 1 {
		t.Fatalf("decision %+v", d)
	}
}
