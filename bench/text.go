package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
)

// WriteJSON writes v (a *Result or a *SweepResult) as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// ArticleTitle names the founding article.
const ArticleTitle = `"Turbocharge your Infoblox RESTful API calls" (ddiguru, 2021)`

// describeGrid says what grid a run used, in one line.
func describeGrid(g GridInfo) string {
	var b strings.Builder
	switch {
	case g.Embedded:
		b.WriteString("embedded simulated grid")
	case g.Simulator != nil:
		fmt.Fprintf(&b, "simulated grid at %s", g.URL)
	default:
		fmt.Fprintf(&b, "grid at %s", g.URL)
	}
	if s := g.Simulator; s != nil {
		fmt.Fprintf(&b, ", profile %s at speed %g (seed %d)", s.Profile.Name, s.Speed, s.Seed)
		if s.Faults != "" {
			fmt.Fprintf(&b, ", faults %s", s.Faults)
		}
	}
	return b.String()
}

func timeUnit(g GridInfo) string {
	if g.Simulator == nil {
		return "seconds (wall clock)"
	}
	return fmt.Sprintf("grid seconds (wall seconds × %g)", g.Speed())
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func fmtPct(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%+.1f %%", *v)
}

// rowName is the technique's label with its markers: [new] for rows the article never
// measured, * when login is timed.
func rowName(r *Row) string {
	s := r.Label
	if r.LoginTimed {
		s += " *"
	}
	if r.New {
		s += " [new]"
	}
	return s
}

// WriteText writes the article-style table of a run and what it rests on.
func WriteText(w io.Writer, res *Result) error {
	ew := &errWriter{w: w}
	ew.printf("turbowapi bench: the founding experiment of %s, part 4\n", ArticleTitle)
	ew.printf("grid      %s\n", describeGrid(res.Grid))
	if s := res.Grid.Simulator; s != nil && s.Profile.Description != "" {
		ew.printf("          %s\n", s.Profile.Description)
	}
	wl := res.Workload
	ew.printf("workload  %s /%d networks from %s, comment %q; %s\n", thousands(wl.Objects), wl.PrefixLen, wl.Network, wl.Comment, plural(res.Passes, "pass", "passes"))
	ew.printf("times     %s to create the %s networks; login outside the timer unless marked *\n\n", timeUnit(res.Grid), thousands(wl.Objects))

	tab := &table{left: 2}
	head := []string{"technique", "script"}
	for i := range res.Passes {
		head = append(head, fmt.Sprintf("pass %d", i+1))
	}
	art := "article"
	if res.Workload.Objects != ArticleObjects {
		art = fmt.Sprintf("article ×%s/1,024", thousands(res.Workload.Objects))
	}
	head = append(head, "median", art, "deviation", "vs sequential", "networks/s", "wall s")
	tab.add(head...)
	for i := range res.Rows {
		r := &res.Rows[i]
		cells := []string{rowName(r), r.Script}
		for j := range res.Passes {
			if j < len(r.Passes) {
				cells = append(cells, fmt.Sprintf("%.2f", r.Passes[j].Seconds))
			} else {
				cells = append(cells, "—")
			}
		}
		a := "—"
		if r.Article != nil {
			a = fmt.Sprintf("%.2f", articleSeconds(r.Article, res.Workload.Objects))
		}
		cells = append(cells, fmt.Sprintf("%.2f", r.Median), a, fmtPct(r.Deviation), fmtPct(r.Improvement),
			fmt.Sprintf("%.1f", r.Throughput), fmt.Sprintf("%.2f", r.MedianWall))
		tab.add(cells...)
	}
	if len(res.Improvement) > 0 {
		cells := []string{"% improvement, 8 in flight", "vs sequential"}
		for j := range res.Passes {
			if j < len(res.Improvement) {
				cells = append(cells, fmt.Sprintf("%.2f", res.Improvement[j]))
			} else {
				cells = append(cells, "—")
			}
		}
		cells = append(cells, fmt.Sprintf("%.2f", Median(res.Improvement)), fmt.Sprintf("%.2f", Median(ArticleImprovement)))
		tab.add(cells...)
	}
	tab.write(ew, "")
	ew.printf("\n")
	if res.Workload.Objects == ArticleObjects {
		ew.printf("article    the published part-4 median (seed-series.md §5); deviation = (median − article) / article\n")
	} else {
		ew.printf("article    the published part-4 median (seed-series.md §5) scaled to %s networks; deviation = (median − article) / article\n", thousands(res.Workload.Objects))
	}
	ew.printf("[new]      the article published no figure: a new measurement on the profile's assumed costs, not a reproduction\n")
	ew.printf("*          login inside the timed region (the async script's timer also covers creating its client)\n")
	if len(res.Improvement) > 0 {
		ew.printf("article's improvement row, run by run: %.2f %.2f %.2f\n", ArticleImprovement[0], ArticleImprovement[1], ArticleImprovement[2])
	}
	if u := res.USL; u != nil {
		ew.printf("\nUSL fit of throughput against requests in flight (sequential at 1, the async script above): %s\n", describeUSL(u))
	}
	for i := range res.Rows {
		r := &res.Rows[i]
		if r.Technique.Kind != Auto || len(r.Passes) == 0 {
			continue
		}
		p := r.Passes[medianPass(r)]
		if n := len(p.Decisions); n > 0 {
			last := p.Decisions[n-1]
			ew.printf("auto (pass with the median time): %d decisions; ended at %d in flight, batches of %d (%s)\n",
				n, last.Limit, last.BatchSize, limitsSeen(p.Decisions))
		}
	}
	writeList(ew, "\nassumptions (nobody measured these; only the article's part-4 table is a published measurement):", res.Assumptions)
	writeList(ew, "\nhow the techniques are replayed:", res.Notes)
	if fails := failures(res); len(fails) > 0 {
		writeList(ew, "\nfailures:", fails)
	}
	ew.printf("\nwall time %.1f s\n", res.Wall)
	return ew.err
}

// medianPass returns the index of the pass with the median time.
func medianPass(r *Row) int {
	best, bestD := 0, -1.0
	for i, p := range r.Passes {
		d := p.Seconds - r.Median
		if d < 0 {
			d = -d
		}
		if bestD < 0 || d < bestD {
			best, bestD = i, d
		}
	}
	return best
}

func limitsSeen(ds []Decision) string {
	lo, hi, blo, bhi := ds[0].Limit, ds[0].Limit, ds[0].BatchSize, ds[0].BatchSize
	for _, d := range ds {
		lo, hi = min(lo, d.Limit), max(hi, d.Limit)
		blo, bhi = min(blo, d.BatchSize), max(bhi, d.BatchSize)
	}
	return fmt.Sprintf("in flight %d–%d, batch %d–%d over the run", lo, hi, blo, bhi)
}

func describeUSL(u *USL) string {
	s := fmt.Sprintf("σ = %.3f, κ = %.4f, λ = %.1f/s", u.Sigma, u.Kappa, u.Lambda)
	if u.Peak > 0 {
		s += fmt.Sprintf(", N* = %.1f (X(N*) = %.1f/s)", u.Peak, u.PeakX)
	} else {
		s += ", no peak (κ = 0)"
	}
	if u.Clamped {
		s += "; a parameter was held at its bound"
	}
	worst, at := 0.0, 0.0
	for i, r := range u.Residuals {
		if a := math.Abs(r); a > math.Abs(worst) {
			worst, at = r, u.Points[i].N
		}
	}
	s += fmt.Sprintf("; largest misfit %+.0f %% at %g", 100*worst, at)
	return s
}

func failures(res *Result) []string {
	var out []string
	for i := range res.Rows {
		r := &res.Rows[i]
		for j, p := range r.Passes {
			if p.Created != res.Workload.Objects || (p.Verified >= 0 && p.Verified != res.Workload.Objects) || p.Errors > 0 {
				s := fmt.Sprintf("%s, pass %d: %d created, %d found afterwards", r.Label, j+1, p.Created, p.Verified)
				if p.FirstError != "" {
					s += ": " + p.FirstError
				}
				out = append(out, s)
			}
		}
	}
	return out
}

func writeList(ew *errWriter, title string, items []string) {
	if len(items) == 0 {
		return
	}
	ew.printf("%s\n", title)
	for _, it := range items {
		ew.printf("  - %s\n", it)
	}
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, a ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, a...)
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// articleSeconds is the article's median for 1,024 networks, scaled to objects.
func articleSeconds(p *Published, objects int) float64 {
	return p.Median * float64(objects) / ArticleObjects
}
