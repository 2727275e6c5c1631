package bench

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strings"
)

// Colours of the report.
const (
	colReplay  = "#2563eb" // the replay
	colArticle = "#ea580c" // the article's figures
	colFit     = "#6b7280" // the USL fit
	colAuto    = "#16a34a" // turbowapi auto
	colNew     = "#93c5fd" // rows the article never measured
	colBatch   = "#9333ea" // batch size
)

const pageCSS = `body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1100px;color:#111827;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
p.meta{margin:2px 0;color:#374151}
table{border-collapse:collapse;margin:8px 0;font-variant-numeric:tabular-nums}
th,td{padding:3px 7px;font-size:13px;border-bottom:1px solid #e5e7eb;text-align:right;white-space:nowrap}
th{background:#f3f4f6;font-weight:600}td.l,th.l{text-align:left}
tr.new td{color:#1e3a8a}tr.sum td{font-style:italic}
.heat td{min-width:64px}.heat td.best{outline:2px solid #111827;font-weight:700}.heat td.skip{color:#9ca3af;background:#f9fafb}
ul{margin:4px 0 4px 20px;padding:0}li{margin:2px 0}
.charts svg{display:block;margin:12px 0;max-width:100%;height:auto}
svg .title{font:600 14px system-ui,sans-serif;fill:#111827}svg .tick{font:11px system-ui,sans-serif;fill:#374151}
svg .label{font:12px system-ui,sans-serif;fill:#374151}svg .legend{font:12px system-ui,sans-serif;fill:#111827}
svg .grid{stroke:#e5e7eb;stroke-width:1}svg .axis{stroke:#6b7280;stroke-width:1}
.ok{color:#15803d;font-weight:600}.miss{color:#b91c1c;font-weight:600}
footer{margin-top:32px;color:#6b7280;font-size:12px}`

var pageTmpl = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>{{.CSS}}</style>
</head>
<body>
<h1>{{.Title}}</h1>
{{range .Meta}}<p class="meta">{{.}}</p>
{{end}}{{range .Sections}}<h2>{{.Title}}</h2>
{{range .Paras}}<p>{{.}}</p>
{{end}}{{.Body}}{{if .List}}<ul>
{{range .List}}<li>{{.}}</li>
{{end}}</ul>
{{end}}{{end}}<footer>{{.Footer}}</footer>
</body>
</html>
`))

type page struct {
	Title    string
	CSS      template.CSS
	Meta     []string
	Sections []section
	Footer   string
}

type section struct {
	Title string
	Paras []string
	Body  template.HTML
	List  []string
}

// WriteHTML writes a self-contained HTML report of a run: the table, the chart of throughput
// against requests in flight beside the article's, one bar per technique, auto's
// concurrency and batch size over time, the assumptions and how the techniques are replayed.
// It fetches nothing: styles and charts (SVG) are inline.
func WriteHTML(w io.Writer, res *Result) error {
	wl := res.Workload
	p := page{
		Title: "turbowapi bench: the founding experiment",
		CSS:   template.CSS(pageCSS),
		Meta: []string{
			"Replay of part 4 of " + ArticleTitle + ".",
			"Grid: " + describeGrid(res.Grid) + ".",
			fmt.Sprintf("Workload: %s /%d networks from %s, comment %q; %s; times in %s; login outside the timer unless marked *.",
				thousands(wl.Objects), wl.PrefixLen, wl.Network, wl.Comment, plural(res.Passes, "pass", "passes"), timeUnit(res.Grid)),
		},
		Footer: fmt.Sprintf("turbowapi bench, started %s, wall time %.1f s.", res.Started.UTC().Format("2006-01-02 15:04 MST"), res.Wall),
	}
	if s := res.Grid.Simulator; s != nil && s.Profile.Description != "" {
		p.Meta = append(p.Meta, "Profile "+s.Profile.Name+": "+s.Profile.Description+".")
	}
	p.Sections = append(p.Sections, section{
		Title: "The article's table, replayed",
		Body:  resultTable(res),
		List: []string{
			"article: the published part-4 median (seed-series.md §5); deviation = (median − article) / article.",
			"[new]: the article published no figure for this row: a new measurement on the profile's assumed costs, not a reproduction.",
			"*: login inside the timed region (the async script's timer also covers creating its client).",
		},
	})
	var charts strings.Builder
	charts.WriteString(`<div class="charts">` + "\n")
	charts.WriteString(curveChart(res))
	charts.WriteString(techniqueBars(res))
	if ds, end := autoDecisions(res); len(ds) > 0 {
		charts.WriteString(decisionCharts("turbowapi auto", ds, end))
	}
	charts.WriteString("</div>\n")
	var paras []string
	if u := res.USL; u != nil {
		paras = append(paras, "USL fit of the replayed curve (sequential at 1, the async script above, concurrency-control.md §10): "+describeUSL(u)+
			". The article's rise to 8 and collapse at 32 do not lie on one USL curve (concurrency-control.md §11): the misfit shows where the cliff is.")
	}
	p.Sections = append(p.Sections, section{Title: "Charts", Paras: paras, Body: template.HTML(charts.String())})
	p.Sections = append(p.Sections, section{
		Title: "Assumptions",
		Paras: []string{"Nobody measured these; only the article's part-4 table is a published measurement."},
		List:  res.Assumptions,
	})
	p.Sections = append(p.Sections, section{Title: "How the techniques are replayed", List: res.Notes})
	if f := failures(res); len(f) > 0 {
		p.Sections = append(p.Sections, section{Title: "Failures", List: f})
	}
	return pageTmpl.Execute(w, p)
}

func esc(s string) string { return template.HTMLEscapeString(s) }

func resultTable(res *Result) template.HTML {
	var b strings.Builder
	b.WriteString("<table>\n<tr><th class=\"l\">technique</th><th class=\"l\">script</th>")
	for i := range res.Passes {
		fmt.Fprintf(&b, "<th>pass %d</th>", i+1)
	}
	art := "article"
	if res.Workload.Objects != ArticleObjects {
		art = "article ×" + thousands(res.Workload.Objects) + "/1,024"
	}
	fmt.Fprintf(&b, "<th>median</th><th>%s</th><th>deviation</th><th>vs sequential</th><th>networks/s</th><th>wall s</th></tr>\n", esc(art))
	for i := range res.Rows {
		r := &res.Rows[i]
		cls := ""
		if r.New {
			cls = ` class="new"`
		}
		fmt.Fprintf(&b, "<tr%s><td class=\"l\">%s</td><td class=\"l\">%s</td>", cls, esc(rowName(r)), esc(r.Script))
		for j := range res.Passes {
			if j < len(r.Passes) {
				fmt.Fprintf(&b, "<td>%.2f</td>", r.Passes[j].Seconds)
			} else {
				b.WriteString("<td>—</td>")
			}
		}
		a := "—"
		if r.Article != nil {
			a = fmt.Sprintf("%.2f", articleSeconds(r.Article, res.Workload.Objects))
		}
		fmt.Fprintf(&b, "<td>%.2f</td><td>%s</td><td>%s</td><td>%s</td><td>%.1f</td><td>%.2f</td></tr>\n",
			r.Median, a, esc(fmtPct(r.Deviation)), esc(fmtPct(r.Improvement)), r.Throughput, r.MedianWall)
	}
	if len(res.Improvement) > 0 {
		b.WriteString(`<tr class="sum"><td class="l">% improvement, 8 in flight</td><td class="l">vs sequential</td>`)
		for j := range res.Passes {
			if j < len(res.Improvement) {
				fmt.Fprintf(&b, "<td>%.2f</td>", res.Improvement[j])
			} else {
				b.WriteString("<td>—</td>")
			}
		}
		fmt.Fprintf(&b, "<td>%.2f</td><td>%.2f</td><td></td><td></td><td></td><td></td></tr>\n", Median(res.Improvement), Median(ArticleImprovement))
	}
	b.WriteString("</table>\n")
	return template.HTML(b.String())
}

// curveChart draws throughput against requests in flight: the replay, the article, the fit.
func curveChart(res *Result) string {
	var article []Point
	hi, maxN := 1.0, 32.0
	for _, pt := range res.Curve {
		hi, maxN = max(hi, pt.X), max(maxN, pt.N)
	}
	for _, n := range ArticleInFlight {
		row, _ := ArticleRow(n)
		x := ArticleObjects / row.Median
		article = append(article, Point{N: float64(n), X: x})
		hi = max(hi, x)
	}
	ss := []series{
		{name: "article (part 4, medians)", color: colArticle, points: article, line: true, dash: "5 4", marker: "ring"},
		{name: "this run (medians)", color: colReplay, points: res.Curve, line: true, marker: "dot"},
	}
	if u := res.USL; u != nil {
		ss = append(ss, series{name: "USL fit of this run", color: colFit, points: uslCurve(u, 1, maxN), line: true, dash: "2 3"})
	}
	c := &chart{
		id: "curve", title: "Throughput against requests in flight", width: 720, height: 360,
		x: log2Axis(1, maxN, "requests in flight (1 = sequential script, 2–32 = async script)"),
		y: linearAxis(0, hi*1.1, 6, "networks per grid second"), series: ss,
	}
	return c.svg()
}

// uslCurve samples the fitted curve between lo and hi.
func uslCurve(u *USL, lo, hi float64) []Point {
	var pts []Point
	for i := 0; i <= 60; i++ {
		n := lo * math.Pow(hi/lo, float64(i)/60)
		pts = append(pts, Point{N: n, X: u.X(n)})
	}
	return pts
}

// techniqueBars draws one bar per technique: networks per grid second at the median.
func techniqueBars(res *Result) string {
	var bars []bar
	for i := range res.Rows {
		r := &res.Rows[i]
		col := colReplay
		switch {
		case r.Technique.Kind == Auto:
			col = colAuto
		case r.New:
			col = colNew
		}
		b := bar{label: rowName(r), value: r.Throughput, color: col, text: fmt.Sprintf("%.1f/s", r.Throughput)}
		if r.Article != nil {
			b.ref = ArticleObjects / r.Article.Median
		}
		bars = append(bars, b)
	}
	return barChart("Throughput by technique (median pass)", "networks per grid second", "article's median", bars)
}

// autoDecisions returns the decisions of auto's median pass and the pass's length.
func autoDecisions(res *Result) ([]Decision, float64) {
	for i := range res.Rows {
		r := &res.Rows[i]
		if r.Technique.Kind == Auto && len(r.Passes) > 0 {
			p := r.Passes[medianPass(r)]
			return p.Decisions, p.Seconds
		}
	}
	return nil, 0
}

// decisionCharts draws the controller's limit and batch size over grid time, as steps.
func decisionCharts(who string, ds []Decision, end float64) string {
	var lim, bat []Point
	hiL, hiB := 1.0, 1.0
	for _, d := range ds {
		lim = append(lim, Point{N: d.At, X: float64(d.Limit)})
		bat = append(bat, Point{N: d.At, X: float64(d.BatchSize)})
		hiL, hiB = max(hiL, float64(d.Limit)), max(hiB, float64(d.BatchSize))
	}
	end = max(end, ds[len(ds)-1].At)
	last := ds[len(ds)-1]
	lim = append(lim, Point{N: end, X: float64(last.Limit)})
	bat = append(bat, Point{N: end, X: float64(last.BatchSize)})
	xa := linearAxis(0, end, 8, "grid seconds since the start of the run")
	c1 := &chart{
		id: "limit", title: who + ": requests in flight allowed", width: 720, height: 240,
		x: xa, y: linearAxis(0, hiL+1, 4, "limit"),
		series: []series{{name: "limit", color: colAuto, points: lim, step: true}},
	}
	ya := log2Axis(1, hiB, "objects per call")
	c2 := &chart{
		id: "batch", title: who + ": batch size (objects per call)", width: 720, height: 240,
		x: xa, y: ya,
		series: []series{{name: "batch size", color: colBatch, points: bat, step: true}},
	}
	return c1.svg() + c2.svg()
}

// WriteSweepHTML writes a self-contained HTML report of a sweep: the grid of throughputs as
// a heat map, throughput against requests in flight per batch size, the USL fit of the
// batch-1 points, the comparison with auto and auto's decisions.
func WriteSweepHTML(w io.Writer, res *SweepResult) error {
	p := page{
		Title: "turbowapi bench --sweep",
		CSS:   template.CSS(pageCSS),
		Meta: []string{
			"Grid: " + describeGrid(res.Grid) + ".",
			"Throughput in " + rateUnit(res.Grid) + ".",
		},
		Footer: fmt.Sprintf("turbowapi bench --sweep, started %s, wall time %.1f s.", res.Started.UTC().Format("2006-01-02 15:04 MST"), res.Wall),
	}
	if s := res.Grid.Simulator; s != nil && s.Profile.Description != "" {
		p.Meta = append(p.Meta, "Profile "+s.Profile.Name+": "+s.Profile.Description+".")
	}
	best := res.Best
	p.Sections = append(p.Sections, section{
		Title: "Throughput by requests in flight and batch size",
		Paras: []string{fmt.Sprintf("Best setting: %d in flight, batches of %d: %.1f networks per grid second (outlined). "+
			"+ marks the best points of the first pass, measured again, longer (their second measurement is shown); ! a point that sheds load "+
			"(more than %g %% of its requests answered 429 or 503), not eligible as the best; × a skipped point, · one not measured.",
			best.Concurrency, best.BatchSize, best.Throughput, TargetOverloadShare)},
		Body: template.HTML(heatTable(res)),
	})
	cmp := res.Comparison
	verdict := `<span class="ok">met</span>`
	if !cmp.Met {
		verdict = `<span class="miss">not met</span>`
	}
	target := fmt.Sprintf("target ≥ %g %% of both", cmp.Target)
	if s := res.Grid.Simulator; s != nil && s.Profile.OverloadAt > 0 {
		target += fmt.Sprintf(" and ≤ %g %% of requests answered 503 (auto: %.2f %%)", TargetOverloadShare, cmp.Auto.Share503)
	}
	var body strings.Builder
	body.WriteString(comparisonTable(cmp))
	body.WriteString(`<div class="charts">` + "\n")
	body.WriteString(barChart("Throughput on the same workload", "networks per grid second", "", []bar{
		{label: fmt.Sprintf("sweep's best point (%d × %d)", best.Concurrency, best.BatchSize), value: best.Throughput, color: colFit, text: fmt.Sprintf("%.1f/s", best.Throughput)},
		{label: fmt.Sprintf("best setting, whole run (%d × %d)", cmp.Fixed.Concurrency, cmp.Fixed.BatchSize), value: cmp.Fixed.Throughput, color: colReplay, text: fmt.Sprintf("%.1f/s", cmp.Fixed.Throughput)},
		{label: "turbowapi auto, whole run", value: cmp.Auto.Throughput, color: colAuto, text: fmt.Sprintf("%.1f/s (%.1f %%)", cmp.Auto.Throughput, cmp.AutoVsFixed)},
	}))
	if len(cmp.Auto.Decisions) > 0 {
		body.WriteString(decisionCharts("turbowapi auto", cmp.Auto.Decisions, cmp.Auto.Seconds))
	}
	body.WriteString("</div>\n")
	p.Sections = append(p.Sections, section{
		Title: fmt.Sprintf("Auto beside the best setting, %s networks each (auto at most %d in flight)", thousands(cmp.Workload.Objects), cmp.AutoMaxConcurrency),
		Paras: []string{fmt.Sprintf("Auto reached %.1f %% of the best setting on the same workload and %.1f %% of the sweep's best point; %s.",
			cmp.AutoVsFixed, cmp.AutoVsSweep, target)},
		Body: template.HTML("<p>Target: "+verdict+".</p>\n") + template.HTML(body.String()),
	})
	var charts strings.Builder
	charts.WriteString(`<div class="charts">` + "\n")
	charts.WriteString(sweepCurves(res))
	charts.WriteString("</div>\n")
	var paras []string
	if u := res.USL; u != nil {
		paras = append(paras, "USL fit of the batch-1 points (concurrency-control.md §10: linearised least squares, refined on relative errors): "+describeUSL(u)+".")
	}
	p.Sections = append(p.Sections, section{Title: "Throughput against requests in flight", Paras: paras, Body: template.HTML(charts.String())})
	if skipped := skippedPoints(res.Points); len(skipped) > 0 {
		p.Sections = append(p.Sections, section{Title: "Skipped points", List: skipped})
	}
	p.Sections = append(p.Sections, section{Title: "Assumptions", Paras: []string{"Nobody measured these."}, List: res.Assumptions})
	p.Sections = append(p.Sections, section{Title: "How the sweep measures", List: res.Notes})
	return pageTmpl.Execute(w, p)
}

// heatTable draws the sweep's grid, each cell shaded by its share of the best throughput.
func heatTable(res *SweepResult) string {
	concs, batches := axes(res.Points)
	var b strings.Builder
	b.WriteString("<table class=\"heat\">\n<tr><th class=\"l\">in flight \\ batch</th>")
	for _, bs := range batches {
		fmt.Fprintf(&b, "<th>%d</th>", bs)
	}
	b.WriteString("</tr>\n")
	for _, c := range concs {
		fmt.Fprintf(&b, "<tr><th class=\"l\">%d</th>", c)
		for _, bs := range batches {
			pt, ok := findPoint(res.Points, c, bs)
			switch {
			case !ok:
				b.WriteString(`<td class="skip">·</td>`)
			case pt.Skipped != "":
				fmt.Fprintf(&b, `<td class="skip" title="%s">×</td>`, esc(pt.Skipped))
			default:
				share := min(1, pt.Throughput/res.Best.Throughput)
				cls := ""
				if c == res.Best.Concurrency && bs == res.Best.BatchSize {
					cls = ` class="best"`
				}
				mark := ""
				if pt.Confirmed {
					mark = "+"
				}
				if pt.Sheds {
					mark += "!"
				}
				fmt.Fprintf(&b, `<td%s style="background:rgba(37,99,235,%.2f)">%.1f%s</td>`, cls, 0.08+0.6*share*share, pt.Throughput, mark)
			}
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table>\n")
	return b.String()
}

func comparisonTable(cmp Comparison) string {
	var b strings.Builder
	b.WriteString("<table>\n<tr><th class=\"l\">run</th><th class=\"l\">setting</th><th>grid s</th><th>networks/s</th><th>requests</th><th>503</th><th>created</th><th>wall s</th></tr>\n")
	for _, r := range []EngineRun{cmp.Fixed, cmp.Auto} {
		name, setting := r.describe()
		fmt.Fprintf(&b, "<tr><td class=\"l\">%s</td><td class=\"l\">%s</td><td>%.1f</td><td>%.1f</td><td>%d</td><td>%.2f %%</td><td>%d</td><td>%.1f</td></tr>\n",
			esc(name), esc(setting), r.Seconds, r.Throughput, r.Requests, r.Share503, r.Created, r.Wall)
	}
	b.WriteString("</table>\n")
	return b.String()
}

// sweepCurves draws throughput against requests in flight, one line per batch size, with the
// USL fit of the batch-1 points.
func sweepCurves(res *SweepResult) string {
	concs, batches := axes(res.Points)
	palette := []string{"#2563eb", "#0891b2", "#16a34a", "#ca8a04", "#ea580c", "#dc2626", "#9333ea", "#db2777", "#4b5563"}
	var ss []series
	hi := res.Best.Throughput
	for i, bs := range batches {
		var pts []Point
		for _, c := range concs {
			if pt, ok := findPoint(res.Points, c, bs); ok && pt.Skipped == "" {
				pts = append(pts, Point{N: float64(c), X: pt.Throughput})
			}
		}
		if len(pts) == 0 {
			continue
		}
		ss = append(ss, series{name: fmt.Sprintf("batch %d", bs), color: palette[i%len(palette)], points: pts, line: true, marker: "dot"})
	}
	if u := res.USL; u != nil {
		ss = append(ss, series{name: "USL fit, batch 1", color: colFit, points: uslCurve(u, 1, float64(slices.Max(concs))), line: true, dash: "2 3"})
	}
	c := &chart{
		id: "sweep", title: "Throughput against requests in flight, by batch size", width: 720, height: 380,
		x: log2Axis(1, float64(slices.Max(concs)), "requests in flight"),
		y: linearAxis(0, hi*1.1, 6, "networks per grid second"), series: ss,
	}
	return c.svg()
}
