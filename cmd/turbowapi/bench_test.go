package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/turbowapi/turbowapi/bench"
	"github.com/turbowapi/turbowapi/gridsim"
	"github.com/turbowapi/turbowapi/internal/simtest"
)

// runBenchCmd runs `turbowapi bench args...` in-process with vars as the environment.
func runBenchCmd(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
		getenv: func(k string) string { return vars[k] }}
	code := run(t.Context(), e, append([]string{"bench"}, args...))
	return code, stdout.String(), stderr.String()
}

// TestBenchUsage checks the flag errors: exit status 2, a message naming the problem, and
// nothing sent (the grid URL of the --grid cases has nothing listening).
func TestBenchUsage(t *testing.T) {
	t.Parallel()
	grid := map[string]string{"INFOBLOX_USERNAME": "admin", "INFOBLOX_PASSWORD": "secret-pw"}
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"argument", nil, []string{"extra"}, `unexpected argument "extra"`},
		{"strategy", nil, []string{"--strategies", "fastest"}, `unknown technique "fastest"`},
		{"profile-list", nil, []string{"--profile", "article,busy"}, "a list is for --sweep"},
		{"profile-unknown", nil, []string{"--profile", "no-such-profile"}, "--profile"},
		{"html-several-profiles", nil, []string{"--sweep", "--profile", "article,busy", "--html", "x.html"}, "one profile at a time"},
		{"passes", nil, []string{"--passes", "101"}, "passes 101"},
		{"objects", nil, []string{"--objects", "0"}, "networks"},
		{"grid-profile", grid, []string{"--grid", "https://127.0.0.1:1", "--profile", "busy"}, "--profile is for the embedded grid"},
		{"grid-speed", grid, []string{"--grid", "https://127.0.0.1:1", "--speed", "5"}, "--speed is for the embedded grid"},
		{"grid-no-user", nil, []string{"--grid", "https://127.0.0.1:1"}, "no user"},
		{"grid-no-yes", grid, []string{"--grid", "https://127.0.0.1:1"}, "Run again with --yes"},
		{"grid-no-yes-sweep", grid, []string{"--grid", "https://127.0.0.1:1", "--sweep"}, "expect hours of load"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runBenchCmd(t, tc.env, tc.args...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) || stdout != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 2 and %q", code, stdout, stderr, tc.want)
			}
			if strings.Contains(stderr, "secret-pw") {
				t.Fatal("the password appears in the output")
			}
		})
	}
}

// TestBenchWarnsBeforeARealGrid checks that --grid without --yes warns, creates nothing and
// exits 2.
func TestBenchWarnsBeforeARealGrid(t *testing.T) {
	t.Parallel()
	g := simtest.Start(t)
	code, _, stderr := runBenchCmd(t, map[string]string{"INFOBLOX_PASSWORD": simtest.Password},
		"--grid", g.URL, "--user", simtest.User, "--ca-cert", g.CAFile)
	if code != exitUsage {
		t.Fatalf("exit %d, want 2: %s", code, stderr)
	}
	for _, want := range []string{"WARNING", g.URL, "1,024 networks 27 times", bench.ViewPrefix, "--yes"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("warning lacks %q:\n%s", want, stderr)
		}
	}
	if st := g.Server.Stats(); st.Requests != 0 {
		t.Errorf("%d requests reached the grid before --yes", st.Requests)
	}
}

// benchRow is one row of the article-style table as printed.
type benchRow struct {
	name                         string
	passes                       []float64
	median, article              float64 // article NaN for "—"
	deviation, improvement, rate float64 // NaN for "—"
}

var cellRE = regexp.MustCompile(`^[-+]?[0-9.]+$`)

// parseBenchTable reads the table of `turbowapi bench` (between the "technique" header and
// the first blank line).
func parseBenchTable(t *testing.T, out string, passes int) (header []string, rows []benchRow) {
	t.Helper()
	lines := strings.Split(out, "\n")
	start := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "technique ") {
			start = i
			break
		}
	}
	if start < 0 {
		t.Fatalf("no table in\n%s", out)
	}
	header = regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(lines[start]), -1)
	num := func(s string) float64 {
		s = strings.TrimSuffix(strings.TrimSpace(s), " %")
		if s == "—" {
			return math.NaN()
		}
		if !cellRE.MatchString(s) {
			t.Fatalf("cell %q is not a number", s)
		}
		v, _ := strconv.ParseFloat(s, 64)
		return v
	}
	for _, l := range lines[start+1:] {
		if strings.TrimSpace(l) == "" {
			break
		}
		cells := regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(l), -1)
		if strings.HasPrefix(cells[0], "% improvement") {
			continue
		}
		if len(cells) != len(header) {
			t.Fatalf("row %q has %d cells, the header %d", l, len(cells), len(header))
		}
		r := benchRow{name: cells[0]}
		for i := range passes {
			r.passes = append(r.passes, num(cells[2+i]))
		}
		k := 2 + passes
		r.median, r.article, r.deviation, r.improvement, r.rate = num(cells[k]), num(cells[k+1]), num(cells[k+2]), num(cells[k+3]), num(cells[k+4])
		rows = append(rows, r)
	}
	return header, rows
}

// TestBenchEmbeddedTable runs the default experiment on the embedded grid, small and fast
// (64 networks, 2 passes, speed 60), and checks the table: its columns, one row per
// technique in the article's order, and every figure derived from the passes measured
// (median, the article's median scaled to the workload, deviation, improvement over
// sequential, networks per second), so that nothing in it is fixed text.
func TestBenchEmbeddedTable(t *testing.T) {
	t.Parallel()
	const objects, passes = 64, 2
	code, out, stderr := runBenchCmd(t, nil, "--objects", fmt.Sprint(objects), "--passes", fmt.Sprint(passes), "--speed", "60")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	wantHead := []string{"technique", "script", "pass 1", "pass 2", "median", "article ×64/1,024", "deviation", "vs sequential", "networks/s", "wall s"}
	header, rows := parseBenchTable(t, out, passes)
	if strings.Join(header, "|") != strings.Join(wantHead, "|") {
		t.Errorf("header %q, want %q", header, wantHead)
	}
	wantRows := []string{"sequential", "16 threads [new]", "one request call [new]", "2 in flight *", "4 in flight *",
		"8 in flight *", "16 in flight *", "32 in flight *", "turbowapi auto [new]"}
	if len(rows) != len(wantRows) {
		t.Fatalf("%d rows, want %d:\n%s", len(rows), len(wantRows), out)
	}
	inFlight := map[string]int{"sequential": 1, "2 in flight *": 2, "4 in flight *": 4, "8 in flight *": 8, "16 in flight *": 16, "32 in flight *": 32}
	seq := rows[0].median
	close := func(got, want, tol float64) bool { return math.Abs(got-want) <= tol }
	for i, r := range rows {
		if r.name != wantRows[i] {
			t.Errorf("row %d is %q, want %q", i, r.name, wantRows[i])
		}
		for _, p := range r.passes {
			if !(p > 0) {
				t.Errorf("%s: pass time %v", r.name, p)
			}
		}
		if m := (r.passes[0] + r.passes[1]) / 2; !close(r.median, m, 0.011) {
			t.Errorf("%s: median %.2f, passes %v", r.name, r.median, r.passes)
		}
		if !close(r.rate, objects/r.median, 0.1+0.01*r.rate) {
			t.Errorf("%s: %.1f networks/s for %d in %.2f s", r.name, r.rate, objects, r.median)
		}
		if n, ok := inFlight[r.name]; ok {
			pub, _ := bench.ArticleRow(n)
			want := pub.Median * objects / bench.ArticleObjects
			// The printed median is rounded to 0.01 s and the percentage to 0.1.
			if !close(r.article, want, 0.006) || !close(r.deviation, 100*(r.median-want)/want, 100*0.006/want+0.06) {
				t.Errorf("%s: article %.2f (want %.2f), deviation %.1f %%", r.name, r.article, want, r.deviation)
			}
		} else if !math.IsNaN(r.article) || !math.IsNaN(r.deviation) {
			t.Errorf("%s: an article figure for a row the article never measured", r.name)
		}
		if i == 0 {
			if !math.IsNaN(r.improvement) {
				t.Errorf("sequential: improvement over itself %v", r.improvement)
			}
		} else if !close(r.improvement, 100*(seq-r.median)/seq, 100*0.006*(1+r.median/seq)/seq+0.06) {
			t.Errorf("%s: %.1f %% vs sequential, medians %.2f and %.2f", r.name, r.improvement, seq, r.median)
		}
	}
	for _, want := range []string{"embedded simulated grid, profile article at speed 60", "assumptions (nobody measured these",
		"article profile:", "[new]      the article published no figure", "% improvement, 8 in flight"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if !strings.Contains(stderr, "pass 2/2  turbowapi auto") {
		t.Errorf("no progress lines on stderr:\n%s", stderr)
	}
}

// TestBenchJSONAndHTML runs two techniques with --json and --html on another profile and
// checks both outputs.
func TestBenchJSONAndHTML(t *testing.T) {
	t.Parallel()
	html := filepath.Join(t.TempDir(), "report.html")
	code, out, stderr := runBenchCmd(t, nil, "--profile", "busy", "--objects", "32", "--passes", "1", "--speed", "60",
		"--strategies", "sequential,async4,auto", "--json", "--html", html, "-q")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stderr != "" {
		t.Errorf("-q printed %q", stderr)
	}
	var res bench.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if res.Grid.Simulator == nil || res.Grid.Simulator.Profile.Name != gridsim.ProfileBusy || res.Grid.Simulator.Speed != 60 || !res.Grid.Embedded {
		t.Errorf("grid %+v", res.Grid)
	}
	if len(res.Rows) != 3 || res.Rows[0].Name != "sequential" || res.Rows[1].Name != "async4" || res.Rows[2].Name != "auto" {
		t.Fatalf("rows %+v", res.Rows)
	}
	for _, r := range res.Rows {
		if len(r.Passes) != 1 || r.Passes[0].Created != 32 || r.Passes[0].Verified != 32 || !(r.Median > 0) {
			t.Errorf("%s: %+v", r.Name, r)
		}
	}
	page, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<!DOCTYPE html>", "<svg ", "profile busy", "turbowapi auto [new]"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("the HTML report lacks %q", want)
		}
	}
}

// TestBenchGridYes runs the benchmark with --grid and --yes on a simulated grid reached by
// URL, as a real grid would be: every network view it created is gone afterwards, and the
// password never shows.
func TestBenchGridYes(t *testing.T) {
	t.Parallel()
	prof, _ := gridsim.LookupProfile(gridsim.ProfileArticle)
	g := simtest.Start(t, gridsim.WithProfile(prof), gridsim.WithSpeed(60))
	code, out, stderr := runBenchCmd(t, map[string]string{"INFOBLOX_USERNAME": simtest.User, "INFOBLOX_PASSWORD": simtest.Password},
		"--grid", g.URL, "--ca-cert", g.CAFile, "--yes", "--objects", "24", "--passes", "1", "--strategies", "sequential,request,async8")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "simulated grid at "+g.URL) {
		t.Errorf("the report does not name the grid:\n%s", out)
	}
	st := g.Server.Stats()
	if st.Objects["network"] != 0 || st.Objects["networkview"] != 1 {
		t.Errorf("left on the grid: %d networks, %d network views", st.Objects["network"], st.Objects["networkview"])
	}
	if strings.Contains(out+stderr, simtest.Password) {
		t.Error("the password appears in the output")
	}
}

// TestBenchIgnoresInfobloxServer checks that only an explicit --grid leaves the embedded
// grid: $INFOBLOX_SERVER, set for load and export, does not send the benchmark to a grid.
func TestBenchIgnoresInfobloxServer(t *testing.T) {
	t.Parallel()
	code, out, stderr := runBenchCmd(t, map[string]string{"INFOBLOX_SERVER": "https://127.0.0.1:1", "INFOBLOX_USERNAME": "admin", "INFOBLOX_PASSWORD": "pw"},
		"--objects", "8", "--passes", "1", "--strategies", "sequential", "--speed", "60", "-q")
	if code != exitOK || !strings.Contains(out, "embedded simulated grid") {
		t.Fatalf("exit %d, stderr %q\n%s", code, stderr, out)
	}
}
