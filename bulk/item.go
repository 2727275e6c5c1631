package bulk

import (
	"strings"

	"github.com/turbowapi/turbowapi/adaptive"
)

// Item is one input object, as the engine needs it. The input reader builds it; the engine
// never looks at the input format.
type Item struct {
	// Ordinal numbers the object in its input (its position, counting invalid rows too). It
	// is the object's identity in the journal, so it must be unique in the input and the same
	// when the same input is read again (resume).
	Ordinal int64
	// Source and Line say where the object came from (file name, or "-" for stdin, and the
	// line of its row or of its first line).
	Source string
	Line   int
	// Type is the WAPI object type ("network", "record:a", ...).
	Type string
	// Body is the JSON object sent to create it (or, for an update, the fields to set).
	Body []byte
	// Key are the search filters (field=value, all of them) that find the object on the grid:
	// network and network_view for a network, fqdn and view for a zone... The engine looks
	// objects up by key to resolve writes whose outcome is unknown and conflicts.
	Key []Field
	// Phase orders the load: every object of a lower phase is done before any of a higher
	// phase is sent. Within a phase there is no order.
	Phase int
	// Ref is the object's reference, for deletes (and for updates of known objects).
	Ref string
}

// Field is one field=value pair of a search key.
type Field struct {
	Name, Value string
}

// KeyString renders the key as "name=value&name=value" in the order given, for journals
// and messages.
func (it *Item) KeyString() string {
	var b strings.Builder
	for i, f := range it.Key {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(f.Name)
		b.WriteByte('=')
		b.WriteString(f.Value)
	}
	return b.String()
}

// Status is the final outcome of one object.
type Status string

// Outcomes. Every input object gets exactly one of them per run (objects whose outcome was
// final in the journal of a resumed run get none).
const (
	StatusCreated  Status = "created"   // the object was created by this load
	StatusExisted  Status = "existed"   // it was already on the grid (--on-conflict skip)
	StatusUpdated  Status = "updated"   // it was on the grid and its fields were set (--on-conflict update)
	StatusFailed   Status = "failed"    // the grid refused it, or retries ran out
	StatusInvalid  Status = "invalid"   // the input row was invalid (--skip-invalid)
	StatusDeleted  Status = "deleted"   // delete: removed
	StatusNotFound Status = "not_found" // delete: it was not on the grid
)

// Success reports whether the status counts as a success for the exit status: anything but
// failed and invalid.
func (s Status) Success() bool { return s != StatusFailed && s != StatusInvalid }

// Outcome is the final outcome of one object, as the engine reports it to the [Recorder].
type Outcome struct {
	Ordinal int64
	Source  string
	Line    int
	Type    string
	Key     string // Item.KeyString()
	Status  Status
	Ref     string // the object's reference when known
	// Code and Text are the grid's WAPI error code and text for failures (Code is empty for
	// failures that are not a grid error, such as running out of retries on connection
	// errors), or a short note for other outcomes ("found by key after a lost reply").
	Code, Text string
	// Attempts is the number of write requests sent for the object (0 when none was needed).
	Attempts int
}

// Recorder receives the journal events of a run. Calls come from many goroutines at once;
// an implementation must be safe for concurrent use. An error from any method stops the run:
// without its journal a run cannot be accounted for.
type Recorder interface {
	// Intent is called before every write request with the ordinals of the objects in it. It
	// must not return before the record would survive the process being killed.
	Intent(ordinals []int64) error
	// Outcome is called exactly once per object with its final outcome.
	Outcome(o Outcome) error
	// Decision is called with every decision of the adaptive controller (strategy auto).
	Decision(d adaptive.Decision) error
}

// Resume tells the engine what a previous run of the same load did, from its journal.
type Resume interface {
	// Final reports whether the object already has a final outcome: it is skipped.
	Final(ordinal int64) bool
	// InFlight reports whether a write of the object was sent without an outcome being
	// recorded (the run died): the engine looks the object up before sending anything.
	InFlight(ordinal int64) bool
}

// nopRecorder discards everything.
type nopRecorder struct{}

func (nopRecorder) Intent([]int64) error             { return nil }
func (nopRecorder) Outcome(Outcome) error            { return nil }
func (nopRecorder) Decision(adaptive.Decision) error { return nil }
