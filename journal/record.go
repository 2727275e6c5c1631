package journal

import (
	"math"
	"time"

	"github.com/turbowapi/turbowapi/adaptive"
	"github.com/turbowapi/turbowapi/bulk"
)

// Format is the version of the journal's record format, written in every header. A reader
// refuses a journal of a later format.
const Format = 1

// Kind says what a record is.
type Kind string

// Record kinds, in the order a run writes them.
const (
	KindHeader   Kind = "header"   // the first line: what run wrote the journal
	KindResume   Kind = "resume"   // a later run continued the journal (--resume)
	KindIntent   Kind = "intent"   // a write of these objects is about to be sent
	KindOutcome  Kind = "outcome"  // the final outcome of one object
	KindDecision Kind = "decision" // a decision of the adaptive controller
	KindSummary  Kind = "summary"  // the account of a run, written when it ends
)

// Header describes the run that wrote a journal. It holds no secret: no password, no
// session cookie, and the grid's URL without any user information.
type Header struct {
	// Command is the command of the run: "load" or "delete".
	Command string `json:"command"`
	// Sources name the input in order (files, "-" for stdin, "generate:SPEC", the journal
	// undone, the search). A resumed run must read the same sources: objects are matched
	// by their ordinal in them.
	Sources []string `json:"sources,omitempty"`
	// Grid is the grid's URL (user information removed).
	Grid string `json:"grid,omitempty"`
	// Strategy and OnConflict are the settings of the run, for the reader.
	Strategy   string `json:"strategy,omitempty"`
	OnConflict string `json:"on_conflict,omitempty"`
	// Tool is the version of the program that wrote it.
	Tool string `json:"tool,omitempty"`
}

// Record is one line of a journal as the reader returns it. Which fields are set depends
// on Kind.
type Record struct {
	Kind Kind `json:"kind"`
	// Line is the record's line number in the journal (1 for the header).
	Line int `json:"-"`
	// Time the record was written.
	Time time.Time `json:"time"`
	// Format, for header records.
	Format int `json:"format,omitempty"`
	// Header, for header and resume records.
	Header *Header `json:"header,omitempty"`
	// Ordinals of the objects of an intent.
	Ordinals []int64 `json:"ordinals,omitempty"`
	// Outcome, for outcome records.
	Outcome *Outcome `json:"outcome,omitempty"`
	// Decision, for decision records.
	Decision *Decision `json:"decision,omitempty"`
	// Summary, for summary records.
	Summary *bulk.Summary `json:"summary,omitempty"`
}

// Outcome is the journal's form of a [bulk.Outcome]: one object's final outcome.
type Outcome struct {
	Ordinal  int64       `json:"ordinal"`
	Status   bulk.Status `json:"status"`
	Type     string      `json:"type"`
	Key      string      `json:"key,omitempty"`
	Ref      string      `json:"ref,omitempty"`
	Source   string      `json:"source,omitempty"`
	Line     int         `json:"line,omitempty"`
	Code     string      `json:"code,omitempty"`
	Text     string      `json:"text,omitempty"`
	Attempts int         `json:"attempts,omitempty"`
}

// Bulk converts the record back to the engine's type.
func (o *Outcome) Bulk() bulk.Outcome {
	return bulk.Outcome{Ordinal: o.Ordinal, Source: o.Source, Line: o.Line, Type: o.Type, Key: o.Key,
		Status: o.Status, Ref: o.Ref, Code: o.Code, Text: o.Text, Attempts: o.Attempts}
}

func fromBulk(o bulk.Outcome) *Outcome {
	return &Outcome{Ordinal: o.Ordinal, Status: o.Status, Type: o.Type, Key: o.Key, Ref: o.Ref,
		Source: o.Source, Line: o.Line, Code: o.Code, Text: o.Text, Attempts: o.Attempts}
}

// Decision is the journal's form of an [adaptive.Decision]: the setting the controller
// chose, why, and the measurements behind it.
type Decision struct {
	Limit      int             `json:"limit"`
	BatchSize  int             `json:"batch_size"`
	Reason     adaptive.Reason `json:"reason"`
	PauseUntil time.Time       `json:"pause_until,omitzero"`
	// Goodput is the window's measured objects per second, Estimate its Little's-law
	// estimate, Latency its median latency; all zero for decisions without a window.
	Goodput  float64       `json:"goodput,omitempty"`
	Estimate float64       `json:"estimate,omitempty"`
	Latency  time.Duration `json:"latency_ns,omitempty"`
	InFlight float64       `json:"in_flight,omitempty"`
	// Overloaded is the number of attempts of the window answered with an overload signal.
	Overloaded int `json:"overloaded,omitempty"`
}

func fromAdaptive(d adaptive.Decision) *Decision {
	out := &Decision{Limit: d.Limit, BatchSize: d.BatchSize, Reason: d.Reason,
		Goodput: round2(d.Window.Throughput), Estimate: round2(d.Window.Estimate),
		Latency: d.Window.Latency, InFlight: round2(d.Window.InFlight), Overloaded: d.Window.Overloaded}
	if d.PauseUntil.After(d.Time) {
		out.PauseUntil = d.PauseUntil
	}
	return out
}

// round2 keeps two decimals (journals are read by people too) and turns what JSON cannot
// hold (NaN, infinities) into 0.
func round2(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return math.Round(f*100) / 100
}
