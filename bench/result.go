package bench

import (
	"math"
	"time"
)

// ResultVersion is the version of the JSON form of Result and SweepResult.
const ResultVersion = 1

// Result is what a benchmark run measured. Rendering (Text, JSON, HTML) reads only this
// value, so reports can be rebuilt from a saved result.
type Result struct {
	Version int `json:"version"`
	// Grid describes where the run went.
	Grid GridInfo `json:"grid"`
	// Workload is what each run created.
	Workload Workload `json:"workload"`
	// Passes is the number of passes over every technique.
	Passes int `json:"passes"`
	// Started is when the run started; Wall its wall-clock length in seconds, setup and
	// cleanup included.
	Started time.Time `json:"started"`
	Wall    float64   `json:"wall_seconds"`
	// Rows has one row per technique, in the order run.
	Rows []Row `json:"rows"`
	// Curve is the measured throughput against requests in flight (the sequential script at
	// 1, the async script above), in networks per grid second, from the medians; USL its fit.
	Curve []Point `json:"curve,omitempty"`
	USL   *USL    `json:"usl,omitempty"`
	// Improvement is the article's last row replayed: % improvement of 8 in flight over
	// sequential, pass by pass (empty when either was not run).
	Improvement []float64 `json:"improvement_8_vs_sequential,omitempty"`
	// Assumptions are what the figures rest on that nobody measured: the simulator's profile
	// assumptions, then the benchmark's own.
	Assumptions []string `json:"assumptions"`
	// Notes say how the techniques were replayed.
	Notes []string `json:"notes"`
}

// GridInfo describes the grid of a run.
type GridInfo struct {
	// URL is the grid's base URL ("" for the embedded simulator, whose address changes).
	URL string `json:"url,omitempty"`
	// Embedded is set for the simulator turbowapi bench starts itself.
	Embedded bool `json:"embedded,omitempty"`
	// Simulator is the simulated grid's profile, speed, seed and faults; nil for a real grid.
	Simulator *Simulator `json:"simulator,omitempty"`
}

// Speed is the simulator's speed, 1 for a real grid: grid seconds = wall seconds × Speed.
func (g GridInfo) Speed() float64 {
	if g.Simulator != nil && g.Simulator.Speed > 0 {
		return g.Simulator.Speed
	}
	return 1
}

// Row is one technique's passes.
type Row struct {
	Technique Technique `json:"technique"`
	// Name, Label and Script name the technique (see Technique).
	Name   string `json:"name"`
	Label  string `json:"label"`
	Script string `json:"script"`
	// LoginTimed is set when the login is inside the timed region.
	LoginTimed bool `json:"login_timed"`
	// New is set for rows the article never measured (16 threads, one request call, auto):
	// new measurements on assumed costs, not a reproduction.
	New bool `json:"new"`
	// Article is the article's published row, nil for new rows.
	Article *Published `json:"article,omitempty"`
	Passes  []Pass     `json:"passes"`
	// Median is the median of the passes' grid seconds and MedianWall of their wall seconds.
	Median     float64 `json:"median_seconds"`
	MedianWall float64 `json:"median_wall_seconds"`
	// Throughput is objects per grid second at the median.
	Throughput float64 `json:"throughput"`
	// Improvement is the % improvement of the median over the sequential median (nil for the
	// sequential row itself, or when there is none).
	Improvement *float64 `json:"improvement,omitempty"`
	// Deviation is the % difference of the median from the article's median (nil for new
	// rows).
	Deviation *float64 `json:"deviation,omitempty"`
}

// Pass is one timed run of a technique.
type Pass struct {
	// Seconds is the timed region in grid seconds (wall × speed); Wall in wall seconds.
	Seconds float64 `json:"seconds"`
	Wall    float64 `json:"wall_seconds"`
	// Created is the number of networks the grid reported created; Verified the number found
	// in the run's network view afterwards (-1 when not checked).
	Created  int `json:"created"`
	Verified int `json:"verified"`
	// Requests is the number of WAPI requests sent in the timed region (login included when
	// timed), Status their replies by HTTP status, Errors those that got no reply.
	Requests int            `json:"requests"`
	Status   map[string]int `json:"status,omitempty"`
	Errors   int            `json:"errors,omitempty"`
	// FirstError is the first failure's message, if any.
	FirstError string `json:"first_error,omitempty"`
	// Connections is the number of connections the technique opened.
	Connections int64 `json:"connections"`
	// Decisions are the adaptive controller's decisions (auto only), with times in grid
	// seconds from the start of the pass.
	Decisions []Decision `json:"decisions,omitempty"`
}

// Decision is one decision of the adaptive controller, as the report draws it.
type Decision struct {
	// At is the grid time since the pass started, in seconds.
	At        float64 `json:"at"`
	Limit     int     `json:"limit"`
	BatchSize int     `json:"batch_size"`
	Reason    string  `json:"reason"`
	// Goodput is the window's goodput estimate, in objects per grid second (0 without a
	// window).
	Goodput float64 `json:"goodput,omitempty"`
}

// finish computes the row's medians, throughput and deviation.
func (r *Row) finish(objects int) {
	secs := make([]float64, len(r.Passes))
	walls := make([]float64, len(r.Passes))
	for i, p := range r.Passes {
		secs[i], walls[i] = p.Seconds, p.Wall
	}
	r.Median, r.MedianWall = Median(secs), Median(walls)
	r.Throughput = Rate(objects, r.Median)
	r.Deviation = nil
	if r.Article != nil {
		r.Deviation = num(Deviation(r.Median, articleSeconds(r.Article, objects)))
	}
	r.Improvement = nil
}

// num returns a pointer to v, or nil when v is NaN or infinite (JSON has no such numbers).
func num(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// finishResult fills the rows' improvements, the curve, its USL fit and the article's last
// row.
func (res *Result) finish() {
	var seq *Row
	var eight *Row
	for i := range res.Rows {
		r := &res.Rows[i]
		r.finish(res.Workload.Objects)
		switch {
		case r.Technique.Kind == Sequential:
			seq = r
		case r.Technique.Kind == Async && r.Technique.N == 8:
			eight = r
		}
	}
	res.Curve = nil
	for i := range res.Rows {
		r := &res.Rows[i]
		if seq != nil && r != seq {
			r.Improvement = num(Improvement(seq.Median, r.Median))
		}
		if r.Technique.Kind == Sequential || r.Technique.Kind == Async {
			res.Curve = append(res.Curve, Point{N: float64(r.Technique.InFlight()), X: r.Throughput})
		}
	}
	res.USL, _ = FitUSL(res.Curve)
	res.Improvement = nil
	if seq != nil && eight != nil && len(seq.Passes) == len(eight.Passes) {
		for i := range seq.Passes {
			res.Improvement = append(res.Improvement, Improvement(seq.Passes[i].Seconds, eight.Passes[i].Seconds))
		}
	}
}
