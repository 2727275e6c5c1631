package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/turbowapi/turbowapi/bulk"
	"github.com/turbowapi/turbowapi/gridsim"
	"github.com/turbowapi/turbowapi/input"
	"github.com/turbowapi/turbowapi/journal"
	"github.com/turbowapi/turbowapi/wapi"
)

// Chaos runs: the built command loads, deletes and exports a mix of object types through
// `turbowapi sim` processes that inject every kind of fault, and the grid is then checked
// against the input — from a second, fault-free simulator started on the first one's data
// directory, so the check reads what the grid durably holds. TURBOWAPI_CHAOS_OBJECTS=100000
// runs the load of each strategy at that size and prints the figures (see README,
// Reliability).

// chaosObjectsEnv sizes the benchmark mode of TestChaosLoad.
const chaosObjectsEnv = "TURBOWAPI_CHAOS_OBJECTS"

// chaosObject is one input object: its type and fields as the input file gives them.
type chaosObject struct {
	typ    string
	fields map[string]any
}

// key identifies the object on the grid: its type and key fields.
func (o chaosObject) key() string {
	return o.typ + " " + input.KeyString(input.Object{Type: o.typ, Fields: o.fields})
}

// chaosTypes are the types of a chaos workload, in load order.
var chaosTypes = []string{"networkview", "networkcontainer", "network", "zone_auth", "record:a"}

// chaosWorkload returns n objects (n >= 10) of every type of chaosTypes, in a shuffled order
// (the loader orders them): a network view; /16 containers in it and /24 networks inside
// them (45 %); a zone with subzones; A records in the subzones. Every object has a comment
// of its own and an extensible attribute, so that the check can tell fields were set as
// given.
func chaosWorkload(n int, seed uint64) []chaosObject {
	nNet := n * 45 / 100
	nCont := min(max(1, nNet/40), 200)
	nSub := min(max(1, n/100), 1000)
	nRec := n - 1 - nCont - nNet - 1 - nSub
	ea := func(i int) map[string]any {
		return map[string]any{"Chaos": map[string]any{"value": "c" + strconv.Itoa(i%7)}}
	}
	out := make([]chaosObject, 0, n)
	add := func(typ string, f map[string]any) {
		f["comment"] = fmt.Sprintf("chaos %d", len(out))
		f["extattrs"] = ea(len(out))
		out = append(out, chaosObject{typ, f})
	}
	add("networkview", map[string]any{"name": "chaos"})
	for c := range nCont {
		add("networkcontainer", map[string]any{"network": fmt.Sprintf("10.%d.0.0/16", c), "network_view": "chaos"})
	}
	for j := range nNet {
		add("network", map[string]any{"network": fmt.Sprintf("10.%d.%d.0/24", j%nCont, j/nCont), "network_view": "chaos"})
	}
	add("zone_auth", map[string]any{"fqdn": "chaos.test"})
	for k := range nSub {
		add("zone_auth", map[string]any{"fqdn": fmt.Sprintf("z%d.chaos.test", k)})
	}
	base := netip.MustParseAddr("172.16.0.0").As4()
	for i := range nRec {
		a := base
		a[1] += byte(i >> 16)
		a[2], a[3] = byte(i>>8), byte(i)
		add("record:a", map[string]any{"name": fmt.Sprintf("h%d.z%d.chaos.test", i, i%nSub),
			"ipv4addr": netip.AddrFrom4(a).String()})
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// writeWorkload writes the objects as JSON lines (with _type) to dir/name.
func writeWorkload(t testing.TB, dir, name string, objs []chaosObject) string {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, o := range objs {
		m := map[string]any{"_type": o.typ}
		for k, v := range o.fields {
			m[k] = v
		}
		if err := enc.Encode(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// gridObject is an object read back from the grid.
type gridObject struct {
	ref    string
	fields map[string]any
}

// gridContent reads every object of the chaos types from the grid, by key, failing if a
// key is there twice. The default network view is left out.
func gridContent(t testing.TB, c *wapi.Client) map[string]gridObject {
	t.Helper()
	fieldsOf := map[string][]string{
		"networkview":      {"name", "comment", "extattrs"},
		"networkcontainer": {"network", "network_view", "comment", "extattrs"},
		"network":          {"network", "network_view", "comment", "extattrs"},
		"zone_auth":        {"fqdn", "view", "comment", "extattrs"},
		"record:a":         {"name", "ipv4addr", "view", "comment", "extattrs"},
	}
	out := map[string]gridObject{}
	for _, typ := range chaosTypes {
		q := wapi.NewQuery().ReturnFieldsPlus(fieldsOf[typ]...)
		for o, err := range c.SearchAll(context.Background(), typ, q, 1000) {
			if err != nil {
				t.Fatalf("reading the grid's %s objects: %v", typ, err)
			}
			if typ == "networkview" && o.StringField("name") == "default" {
				continue
			}
			k := chaosObject{typ, o}.key()
			if prev, dup := out[k]; dup {
				t.Fatalf("%s is on the grid twice: %s and %s", k, prev.ref, o.Ref())
			}
			out[k] = gridObject{ref: o.Ref(), fields: o}
		}
	}
	return out
}

// jsonEqual compares two values as JSON (numbers of any Go type compare by value).
func jsonEqual(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// gridCheck is what a comparison of the grid with the input found.
type gridCheck struct {
	missing, extra, wrongFields int
	first                       string // the first difference, described
}

func (g *gridCheck) note(format string, a ...any) {
	if g.first == "" {
		g.first = fmt.Sprintf(format, a...)
	}
}

func (g gridCheck) ok() bool { return g.missing+g.extra+g.wrongFields == 0 }

// compareGrid compares the grid's objects with the input: every object there once (by key),
// with every field as given, and nothing else.
func compareGrid(grid map[string]gridObject, want []chaosObject) gridCheck {
	var g gridCheck
	seen := make(map[string]bool, len(want))
	for _, o := range want {
		k := o.key()
		seen[k] = true
		got, ok := grid[k]
		if !ok {
			g.missing++
			g.note("%s is missing", k)
			continue
		}
		names := make([]string, 0, len(o.fields))
		for f := range o.fields {
			names = append(names, f)
		}
		sort.Strings(names)
		for _, f := range names {
			if !jsonEqual(o.fields[f], got.fields[f]) {
				g.wrongFields++
				g.note("%s: %s is %v on the grid, %v in the input", k, f, got.fields[f], o.fields[f])
				break
			}
		}
	}
	for k := range grid {
		if !seen[k] {
			g.extra++
			g.note("%s is on the grid but not in the input", k)
		}
	}
	return g
}

// journalCheck is what a check of a run's journal found.
type journalCheck struct {
	outcomes   int            // objects with an outcome
	byStatus   map[string]int // outcomes by status
	duplicates int            // second outcomes for an object
	inFlight   int64          // objects with an intent and no outcome
	wrong      int            // outcomes other than want, or whose ref is not the grid's
	first      string
}

// checkRunJournal checks a journal against the input: exactly one outcome per object, each
// with status want and, for created objects, the ref of the object on the grid.
func checkRunJournal(t testing.TB, path string, objs []chaosObject, grid map[string]gridObject, want bulk.Status) journalCheck {
	t.Helper()
	st, err := journal.Load(path)
	if err != nil {
		t.Fatalf("journal %s: %v", path, err)
	}
	if b, err := os.ReadFile(path); err != nil || bytes.Contains(b, []byte(e2ePassword)) {
		t.Fatalf("journal %s: unreadable (%v) or holds the password", path, err)
	}
	jc := journalCheck{byStatus: map[string]int{}, duplicates: int(st.Duplicates), inFlight: st.InFlightCount}
	seen := make([]bool, len(objs))
	_, err = journal.Read(path, func(r journal.Record) error {
		if r.Kind != journal.KindOutcome {
			return nil
		}
		o := r.Outcome
		if o.Ordinal < 0 || o.Ordinal >= int64(len(objs)) {
			jc.wrong++
			return nil
		}
		if seen[o.Ordinal] {
			return nil // counted in duplicates
		}
		seen[o.Ordinal] = true
		jc.outcomes++
		jc.byStatus[string(o.Status)]++
		in := objs[o.Ordinal]
		bad := ""
		switch {
		case o.Status != want:
			bad = fmt.Sprintf("status %s (code %s: %s)", o.Status, o.Code, o.Text)
		case o.Type != in.typ:
			bad = "type " + o.Type
		case want == bulk.StatusCreated && o.Ref != grid[in.key()].ref:
			bad = fmt.Sprintf("ref %s, the grid's is %s", o.Ref, grid[in.key()].ref)
		}
		if bad != "" {
			jc.wrong++
			if jc.first == "" {
				jc.first = fmt.Sprintf("object %d (%s): %s", o.Ordinal, in.key(), bad)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("journal %s: %v", path, err)
	}
	return jc
}

// requireGood fails the test unless the grid and the journal are exactly right.
func requireGood(t testing.TB, g gridCheck, jc journalCheck, n int) {
	t.Helper()
	if !g.ok() {
		t.Errorf("grid: %d missing, %d extra, %d with wrong fields; first: %s", g.missing, g.extra, g.wrongFields, g.first)
	}
	if jc.outcomes != n || jc.duplicates != 0 || jc.inFlight != 0 || jc.wrong != 0 {
		t.Errorf("journal: %d outcomes for %d objects %v, %d duplicates, %d in flight, %d wrong; first wrong: %s",
			jc.outcomes, n, jc.byStatus, jc.duplicates, jc.inFlight, jc.wrong, jc.first)
	}
}

// runSummary is the --json output of load and delete.
type runSummary struct {
	bulk.Summary
	Journal string `json:"journal"`
	Error   string `json:"error"`
}

func decodeSummary(t testing.TB, r result) runSummary {
	t.Helper()
	var s runSummary
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("summary: %v\nstdout: %s\nstderr: %s", err, r.stdout, r.stderr)
	}
	return s
}

// chaosFaults returns a fault spec with every kind: rates scaled by scale (1 for the CI
// size), and an outage of outage from 300 ms after the start, repeated every period (0: once).
func chaosFaults(scale float64, outage, period time.Duration) string {
	r := func(x float64) string { return strconv.FormatFloat(x*scale, 'g', 4, 64) }
	o := fmt.Sprintf("300ms+%v", outage)
	if period > 0 {
		o += "/" + period.String()
	}
	return fmt.Sprintf("503=%s,503ra=%s:1s,429=%s:1s,reset=%s,lost=%s,spike=%s:300ms,outage=%s",
		r(0.03), r(0.02), r(0.02), r(0.03), r(0.04), r(0.02), o)
}

// requireOutage fails the test unless the run met the outage and one of the rated faults:
// a run that ended before them tested nothing.
func requireOutage(t testing.TB, st gridsim.Stats) {
	t.Helper()
	rated := int64(0)
	for _, k := range faultKinds[:len(faultKinds)-1] {
		rated += st.Faults[k]
	}
	if st.Faults["outage"] == 0 || rated == 0 {
		t.Errorf("the run ended before meeting the faults (%v): make it longer", st.Faults)
	}
}

// faultKinds are the kinds the chaos runs of the strategies must have injected between them,
// in the order the figures list them.
var faultKinds = []string{"503", "503ra", "429", "reset", "lost", "spike", "outage"}

// chaosRun is one run's figures.
type chaosRun struct {
	name    string
	objects int
	faults  map[string]int64
	sum     bulk.Summary
	grid    gridCheck
	journal journalCheck
	wall    time.Duration
}

// strategyArgs are the flags of each strategy in chaos runs. CI sizes keep batches small so
// that a batch run makes enough requests to meet every fault.
func strategyArgs(strategy string, n int) []string {
	switch strategy {
	case "sequential":
		return []string{"--strategy", "sequential"}
	case "concurrent":
		return []string{"--strategy", "concurrent", "--concurrency", "8"}
	case "batch":
		if n < 1000 {
			return []string{"--strategy", "batch", "--batch-size", "2", "--concurrency", "2"}
		}
		return []string{"--strategy", "batch", "--batch-size", "100", "--concurrency", "4"}
	}
	return []string{"--strategy", "auto"}
}

// runFaulty runs the command against sim, a simulator with faults on the data directory
// data, then stops it and reads what the grid holds from a fault-free simulator started on
// the same directory: what the first one committed. It returns the command's result, the
// faulty simulator's counters and the grid's content.
func runFaulty(t testing.TB, sim *simProc, dir, data string, args ...string) (result, gridsim.Stats, map[string]gridObject) {
	t.Helper()
	r := sim.run(t, dir, "", args...)
	st := sim.stats(t)
	if r.code != 0 {
		t.Errorf("%s: exit %d: %s", args[0], r.code, lastLines(r.stderr, 20))
	}
	sim.stop(t)
	v := startSim(t, "--data", data)
	return r, st, gridContent(t, v.client)
}

// chaosLoad loads objs with strategy into a simulator with faults and checks the result.
func chaosLoad(t testing.TB, strategy string, objs []chaosObject, faults, profile string, speed int, seed int) chaosRun {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "grid")
	in := writeWorkload(t, dir, "chaos.jsonl", objs)
	sim := startSim(t, "--data", data, "--profile", profile, "--speed", strconv.Itoa(speed),
		"--seed", strconv.Itoa(seed), "--faults", faults)
	jpath := filepath.Join(dir, "load.jsonl")
	args := append([]string{"load", "--ca-cert", sim.CA, "--journal", jpath, "--json"}, strategyArgs(strategy, len(objs))...)
	start := time.Now()
	r, st, grid := runFaulty(t, sim, dir, data, append(args, in)...)
	wall := time.Since(start)
	s := decodeSummary(t, r)
	run := chaosRun{name: strategy, objects: len(objs), faults: st.Faults, sum: s.Summary, wall: wall,
		grid: compareGrid(grid, objs), journal: checkRunJournal(t, jpath, objs, grid, bulk.StatusCreated)}
	requireGood(t, run.grid, run.journal, len(objs))
	if s.Outcomes[bulk.StatusCreated] != int64(len(objs)) || s.Pending != 0 {
		t.Errorf("%s: summary %+v", strategy, s.Summary)
	}
	requireOutage(t, st)
	return run
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// The load of every strategy under every kind of fault at once: the grid ends with exactly
// the input (nothing missing, nothing twice, every field as given) and the journal with one
// outcome per object, created, with the grid's ref. With TURBOWAPI_CHAOS_OBJECTS=N each
// strategy loads N objects and the figures are printed.
func TestChaosLoad(t *testing.T) {
	t.Parallel()
	n, bench := 80, false
	if v := os.Getenv(chaosObjectsEnv); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 100 {
			t.Fatalf("%s=%q: want a number of objects, at least 100", chaosObjectsEnv, v)
		}
		bench = true
	}
	strategies := []string{"sequential", "concurrent", "batch", "auto"}
	runs := make([]chaosRun, len(strategies))
	t.Run("strategies", func(t *testing.T) {
		for i, st := range strategies {
			t.Run(st, func(t *testing.T) {
				if !bench {
					t.Parallel()
				}
				objs := chaosWorkload(n, uint64(i+1))
				faults := chaosFaults(1, 2*time.Second, 0)
				profile, speed := "article", 5
				if bench {
					// A grid without cost (the faults are the subject) and an outage of 3 s
					// every 40 s; the rates are scaled to the requests the strategy makes.
					faults = chaosFaults(benchScale(st, n), 3*time.Second, 40*time.Second)
					profile, speed = "instant", 1
				}
				runs[i] = chaosLoad(t, st, objs, faults, profile, speed, 100+i)
				t.Logf("%s: %s", st, runs[i].figures())
			})
		}
	})
	// Every kind of fault met at least one run.
	total := map[string]int64{}
	for _, r := range runs {
		for k, v := range r.faults {
			total[k] += v
		}
	}
	for _, k := range faultKinds {
		if total[k] == 0 {
			t.Errorf("no %s fault was injected in any run: %v", k, total)
		}
	}
	if bench {
		t.Logf("figures:\n%s", chaosTable(runs))
	}
}

// benchScale is the share of the CI fault rates a strategy meets in the benchmark mode: at
// 100,000 objects, 2 % of them for sequential and concurrent (a request per object), all of
// them for batch (a request per 100 objects) and 5 % for auto, so that every strategy meets
// each kind of fault tens of times and the Retry-After pauses (which stop every worker) do
// not take the whole run.
func benchScale(strategy string, n int) float64 {
	base := map[string]float64{"sequential": 0.02, "concurrent": 0.02, "batch": 1, "auto": 0.05}[strategy]
	return min(1, base*100_000/float64(n))
}

// figures is one line of the figures of a run.
func (r chaosRun) figures() string {
	var parts []string
	for _, k := range faultKinds {
		parts = append(parts, fmt.Sprintf("%s %d", k, r.faults[k]))
	}
	return fmt.Sprintf("%d objects in %v; faults %s; %d requests, %d retries, %d lookups; lost %d, duplicates %d, wrong outcomes %d",
		r.objects, r.wall.Round(10*time.Millisecond), strings.Join(parts, ", "), r.sum.Requests, r.sum.Retries, r.sum.Lookups,
		r.grid.missing, r.grid.extra+r.journal.duplicates, r.journal.wrong+r.grid.wrongFields)
}

// chaosTable renders the figures as the README's table.
func chaosTable(runs []chaosRun) string {
	var b strings.Builder
	b.WriteString("| strategy | objects | 503 | 503 + Retry-After | 429 | reset | lost reply | spike | outage | requests | retries | lookups | lost | duplicates | wrong outcomes | wall time |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range runs {
		fmt.Fprintf(&b, "| %s | %d |", r.name, r.objects)
		for _, k := range faultKinds {
			fmt.Fprintf(&b, " %d |", r.faults[k])
		}
		fmt.Fprintf(&b, " %d | %d | %d | %d | %d | %d | %v |\n", r.sum.Requests, r.sum.Retries, r.sum.Lookups,
			r.grid.missing, r.grid.extra+r.journal.duplicates, r.journal.wrong+r.grid.wrongFields, r.wall.Round(100*time.Millisecond))
	}
	return b.String()
}

// Undo under faults deletes exactly what the load created (one outcome per object,
// deleted), and delete by search under faults deletes exactly the matches.
func TestChaosDelete(t *testing.T) {
	t.Parallel()
	const n = 80
	objs := chaosWorkload(n, 11)
	dir := t.TempDir()
	loaded := filepath.Join(dir, "grid")
	in := writeWorkload(t, dir, "chaos.jsonl", objs)
	// Load without faults, then add objects that are not the load's.
	sim := startSim(t, "--data", loaded)
	jload := filepath.Join(dir, "load.jsonl")
	if r := sim.run(t, dir, "", "load", "--ca-cert", sim.CA, "--journal", jload, "--strategy", "batch", in); r.code != 0 {
		t.Fatalf("load: %d %s", r.code, r.stderr)
	}
	others := []chaosObject{
		{"network", map[string]any{"network": "192.168.0.0/24", "comment": "not the load's"}},
		{"network", map[string]any{"network": "10.0.200.0/24", "network_view": "chaos", "comment": "not the load's"}},
	}
	for _, o := range others {
		if _, err := sim.client.Create(context.Background(), o.typ, o.fields); err != nil {
			t.Fatal(err)
		}
	}
	sim.stop(t)
	// Deletes make few requests, a third of them in the outage: higher rates.
	faults := chaosFaults(1.5, 2*time.Second, 0)

	// A copy of the loaded grid, served with faults.
	faulty := func(t *testing.T, seed int) (sim *simProc, dir, data string) {
		dir = t.TempDir()
		data = filepath.Join(dir, "grid")
		if err := os.CopyFS(data, os.DirFS(loaded)); err != nil {
			t.Fatal(err)
		}
		return startSim(t, "--data", data, "--profile", "article", "--speed", "5", "--seed", strconv.Itoa(seed), "--faults", faults), dir, data
	}

	// Undo from the load's journal: everything the load created goes, in reverse order;
	// the network added in the default view stays. (The one added in the load's view goes
	// with the view, as the grid deletes a network view's networks: undo does not check
	// that a view or a zone it created holds nothing it did not create.)
	for i, strategy := range []string{"auto", "batch"} {
		t.Run("undo-"+strategy, func(t *testing.T) {
			t.Parallel()
			sim, d, cp := faulty(t, 200+i)
			jdel := filepath.Join(d, "undo.jsonl")
			args := append([]string{"delete", "--ca-cert", sim.CA, "--journal", jload, "--out-journal", jdel, "--yes", "--json"},
				strategyArgs(strategy, n)...)
			r, st, grid := runFaulty(t, sim, d, cp, args...)
			s := decodeSummary(t, r)
			requireGood(t, compareGrid(grid, others[:1]), checkRunJournal(t, jdel, objs, grid, bulk.StatusDeleted), n)
			requireOutage(t, st)
			t.Logf("undo %s: faults %v; %d requests, %d retries", strategy, st.Faults, s.Requests, s.Retries)
		})
	}
	// Delete by search: the networks of the chaos view, whoever made them.
	t.Run("search", func(t *testing.T) {
		t.Parallel()
		sim, d, cp := faulty(t, 300)
		jdel := filepath.Join(d, "del.jsonl")
		r, st, grid := runFaulty(t, sim, d, cp, "delete", "--ca-cert", sim.CA, "--type", "network", "--filter", "network_view=chaos",
			"--strategy", "concurrent", "--yes", "--json", "--out-journal", jdel)
		s := decodeSummary(t, r)
		var want []chaosObject
		deleted := 0
		for _, o := range append(slices.Clone(objs), others...) {
			if o.typ == "network" && o.fields["network_view"] == "chaos" {
				deleted++
				continue
			}
			want = append(want, o)
		}
		if g := compareGrid(grid, want); !g.ok() {
			t.Errorf("grid: %d missing, %d extra, %d with wrong fields; first: %s", g.missing, g.extra, g.wrongFields, g.first)
		}
		if s.Outcomes[bulk.StatusDeleted] != int64(deleted) || s.Total != int64(deleted) || s.Pending != 0 {
			t.Errorf("delete by search: summary %+v, want %d deleted", s.Summary, deleted)
		}
		checkJournal(t, jdel, deleted)
		requireOutage(t, st)
		t.Logf("delete by search: faults %v; %d requests, %d retries", st.Faults, s.Requests, s.Retries)
	})
}

// Export under faults: the export holds exactly the grid's objects, each once, with the
// fields the input gave them, across pages; CSV and JSON lines agree.
func TestChaosExport(t *testing.T) {
	t.Parallel()
	objs := chaosWorkload(200, 21)
	dir := t.TempDir()
	data := filepath.Join(dir, "grid")
	in := writeWorkload(t, dir, "chaos.jsonl", objs)
	sim := startSim(t, "--data", data)
	if r := sim.run(t, dir, "", "load", "--ca-cert", sim.CA, "--strategy", "batch", in); r.code != 0 {
		t.Fatalf("load: %d %s", r.code, r.stderr)
	}
	grid := gridContent(t, sim.client)
	sim.stop(t)
	if g := compareGrid(grid, objs); !g.ok() {
		t.Fatalf("grid before the export: %s", g.first)
	}
	faults := chaosFaults(1, 2*time.Second, 0)
	sim = startSim(t, "--data", data, "--profile", "article", "--speed", "5", "--seed", "400", "--faults", faults)
	var exported []chaosObject
	for _, typ := range chaosTypes {
		var prev map[string]string
		formats := []string{"jsonl"}
		if typ == "network" || typ == "record:a" {
			formats = append(formats, "csv")
		}
		for _, format := range formats {
			out := filepath.Join(dir, strings.ReplaceAll(typ, ":", "-")+"."+format)
			r := sim.run(t, dir, "", "export", "--ca-cert", sim.CA, "--type", typ, "--format", format, "--output", out, "--page-size", "10")
			if r.code != 0 {
				t.Fatalf("export %s %s: exit %d: %s", typ, format, r.code, lastLines(r.stderr, 20))
			}
			got := readExport(t, out, typ)
			set := exportSet(got)
			if len(set) != len(got) {
				t.Errorf("export %s %s: %d objects, %d different keys", typ, format, len(got), len(set))
			}
			if prev == nil {
				exported, prev = append(exported, got...), set
			} else if !jsonEqual(prev, set) {
				t.Errorf("export %s: the CSV and the JSON lines differ", typ)
			}
		}
	}
	st := sim.stats(t)
	// The default network view is exported too: drop it, as gridContent does.
	exported = slices.DeleteFunc(exported, func(o chaosObject) bool { return o.typ == "networkview" && o.fields["name"] == "default" })
	keys := map[string]bool{}
	for _, o := range exported {
		if keys[o.key()] {
			t.Errorf("%s exported twice", o.key())
		}
		keys[o.key()] = true
		if _, ok := grid[o.key()]; !ok {
			t.Errorf("%s exported, not on the grid", o.key())
		}
	}
	if len(keys) != len(grid) {
		t.Errorf("%d objects exported, %d on the grid", len(keys), len(grid))
	}
	// Each object as the input gave it (the export adds fields the grid returns by default).
	if g := compareGrid(gridOf(exported), objs); !g.ok() {
		t.Errorf("export vs input: %d missing, %d extra, %d with other fields; first: %s", g.missing, g.extra, g.wrongFields, g.first)
	}
	t.Logf("export: faults %v", st.Faults)
	requireOutage(t, st)
}

// readExport reads an export file with the input package, as a load would.
func readExport(t testing.TB, path, typ string) []chaosObject {
	t.Helper()
	r, err := input.Open(path, input.FormatAuto, input.WithType(typ))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []chaosObject
	for {
		o, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, chaosObject{o.Type, o.Fields})
	}
}

// exportSet maps each object's key to its fields as JSON.
func exportSet(objs []chaosObject) map[string]string {
	m := make(map[string]string, len(objs))
	for _, o := range objs {
		b, _ := json.Marshal(o.fields)
		m[o.key()] = string(b)
	}
	return m
}

// gridOf indexes objects by key, as gridContent does.
func gridOf(objs []chaosObject) map[string]gridObject {
	m := make(map[string]gridObject, len(objs))
	for _, o := range objs {
		m[o.key()] = gridObject{fields: o.fields}
	}
	return m
}

// The login that opens a run is retried like any request: a grid in an outage when load or
// export starts (every request reset, sessions dropped) is waited for.
func TestChaosLoginInOutage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data := filepath.Join(dir, "grid")
	for _, cmd := range []string{"load", "export"} {
		sim := startSim(t, "--data", data, "--faults", "outage=0s+2s")
		args := []string{"load", "--ca-cert", sim.CA, "--generate", "network 10.0.0.0/8 /24 20", "--json"}
		if cmd == "export" {
			args = []string{"export", "--ca-cert", sim.CA, "--type", "network", "--format", "jsonl"}
		}
		r := sim.run(t, dir, "", args...)
		st := sim.stats(t)
		switch {
		case r.code != 0:
			t.Fatalf("%s: exit %d: %s", cmd, r.code, r.stderr)
		case st.Faults["outage"] != 1 || st.AuthFailed+st.RequestsByStatus["200"]+st.RequestsByStatus["201"] == 0:
			t.Fatalf("%s: the outage was not met: %+v", cmd, st)
		case cmd == "load" && decodeSummary(t, r).Outcomes[bulk.StatusCreated] != 20:
			t.Fatalf("load: %s", r.stdout)
		case cmd == "export" && strings.Count(r.stdout, "\n") != 20:
			t.Fatalf("export: %d lines", strings.Count(r.stdout, "\n"))
		}
		sim.stop(t)
	}
}
