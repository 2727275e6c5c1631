package gridsim

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// FaultKind names a kind of injected fault; it is also the key of Stats.Faults.
type FaultKind string

// Fault kinds. Every kind but FaultOutage and FaultOverload is given a rate: the share of
// WAPI requests it hits.
const (
	// Fault503 answers 503 Service Unavailable without Retry-After, before processing.
	Fault503 FaultKind = "503"
	// Fault503RA answers 503 with Retry-After, before processing.
	Fault503RA FaultKind = "503ra"
	// Fault429 answers 429 Too Many Requests with Retry-After, before processing.
	Fault429 FaultKind = "429"
	// FaultReset resets the connection (TCP RST) before processing: nothing was done.
	FaultReset FaultKind = "reset"
	// FaultLost processes the request (a write is committed, durably with a data directory)
	// and then resets the connection instead of replying: the reply is lost.
	FaultLost FaultKind = "lost"
	// FaultSpike adds a fixed latency to the request, while it is in service.
	FaultSpike FaultKind = "spike"
	// FaultOutage: for a period every WAPI request is reset on arrival; sessions are dropped
	// when it starts and, with a data directory, the objects are reloaded from disk when it
	// ends, as after a restart.
	FaultOutage FaultKind = "outage"
	// FaultOverload counts the 503s of the profile's overload_at (not part of a FaultSpec).
	FaultOverload FaultKind = "overload"
)

var faultKinds = [...]FaultKind{Fault503, Fault503RA, Fault429, FaultReset, FaultLost, FaultSpike, FaultOutage, FaultOverload}

func faultIndex(k FaultKind) int {
	for i, x := range faultKinds {
		if x == k {
			return i
		}
	}
	return -1
}

// DefaultRetryAfter is the Retry-After of 503ra and 429 faults given without a duration, and
// of the profile's overload 503s.
const DefaultRetryAfter = time.Second

// Window is a period relative to the server's start: from Start for Length, repeated every
// Every when Every > 0. The zero Window means always.
type Window struct {
	Start, Length, Every time.Duration
}

// active reports whether the window holds elapsed (time since the server started), and
// which occurrence it is (0 for the first).
func (w Window) active(elapsed time.Duration) (bool, int64) {
	if w.Length == 0 {
		return true, 0
	}
	if elapsed < w.Start {
		return false, -1
	}
	d := elapsed - w.Start
	k := int64(0)
	if w.Every > 0 {
		k = int64(d / w.Every)
		d -= time.Duration(k) * w.Every
	}
	return d < w.Length, k
}

// occurrence returns the index of the last occurrence that has started by elapsed (-1 if
// none) and whether it is still running.
func (w Window) occurrence(elapsed time.Duration) (int64, bool) {
	if elapsed < w.Start {
		return -1, false
	}
	on, k := w.active(elapsed)
	return k, on
}

func (w Window) String() string {
	if w.Length == 0 {
		return ""
	}
	s := fmtDur(w.Start) + "+" + fmtDur(w.Length)
	if w.Every > 0 {
		s += "/" + fmtDur(w.Every)
	}
	return s
}

// Fault is one item of a FaultSpec.
type Fault struct {
	Kind FaultKind
	// Rate is the share of WAPI requests hit, in [0, 1] (not used by FaultOutage).
	Rate float64
	// Param is the Retry-After of Fault503RA and Fault429 (whole seconds, default 1 s) and the
	// added latency of FaultSpike.
	Param time.Duration
	// When limits the fault to a window; the zero Window means always. An outage needs one.
	When Window
}

// FaultSpec is a set of faults to inject, as parsed by ParseFaults.
//
// Each WAPI request draws one number u in [0, 1) from a hash of the seed and its arrival
// sequence number (1 for the first WAPI request the server sees). The rated faults split
// [0, 1) into consecutive shares in the order given: the first fault covers [0, rate₁), the
// next [rate₁, rate₁+rate₂), and so on, so a request gets at most one of them and the i-th
// request always gets the same one under the same seed. A fault whose window is not active
// when the request arrives leaves its share unharmed. The rates may add up to 1 at most.
// Outages are independent of the draw.
type FaultSpec struct {
	Faults []Fault
}

// String returns the spec in the syntax ParseFaults reads.
func (fs FaultSpec) String() string {
	parts := make([]string, 0, len(fs.Faults))
	for _, f := range fs.Faults {
		var b strings.Builder
		b.WriteString(string(f.Kind))
		b.WriteByte('=')
		if f.Kind == FaultOutage {
			b.WriteString(f.When.String())
			parts = append(parts, b.String())
			continue
		}
		b.WriteString(strconv.FormatFloat(f.Rate, 'g', -1, 64))
		if f.Param > 0 {
			b.WriteByte(':')
			b.WriteString(fmtDur(f.Param))
		}
		if f.When.Length > 0 {
			b.WriteByte('@')
			b.WriteString(f.When.String())
		}
		parts = append(parts, b.String())
	}
	return strings.Join(parts, ",")
}

func fmtDur(d time.Duration) string {
	// "1m0s" → "1m", "1h0m0s" → "1h" for readability; ParseDuration reads both.
	s := d.String()
	if t, ok := strings.CutSuffix(s, "m0s"); ok {
		s = t + "m"
	}
	if t, ok := strings.CutSuffix(s, "h0m"); ok {
		s = t + "h"
	}
	return s
}

// FaultError is a fault spec that cannot be used: Item is the offending item as written
// (empty when the spec as a whole is wrong).
type FaultError struct {
	Item string
	Msg  string
}

func (e *FaultError) Error() string {
	if e.Item == "" {
		return "gridsim: faults: " + e.Msg
	}
	return fmt.Sprintf("gridsim: faults: %q: %s", e.Item, e.Msg)
}

// Limits of a fault spec.
const (
	maxFaults       = 32
	maxFaultLatency = 10 * time.Minute
	maxRetryAfter   = time.Hour
)

// ParseFaults reads a fault spec: items separated by commas, each KIND=VALUE:
//
//	503=RATE[@WINDOW]             503, no Retry-After
//	503ra=RATE[:DURATION][@WINDOW] 503 with Retry-After (default 1s, whole seconds)
//	429=RATE[:DURATION][@WINDOW]  429 with Retry-After (default 1s, whole seconds)
//	reset=RATE[@WINDOW]           connection reset before processing
//	lost=RATE[@WINDOW]            processed, then the connection is reset: the reply is lost
//	spike=RATE:DURATION[@WINDOW]  DURATION of extra latency
//	outage=WINDOW                 the grid stops answering during WINDOW, then restarts
//
// RATE is a fraction (0.02) or a percentage (2%). WINDOW is START+LENGTH[/EVERY], durations
// from the server's start in Go syntax (10s+3s: from 10 s to 13 s; 1m+5s/1m: the first five
// seconds of every minute from the first minute on). Durations are wall-clock time: --speed
// does not scale them. An empty spec injects nothing.
func ParseFaults(spec string) (FaultSpec, error) {
	var fs FaultSpec
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return fs, nil
	}
	for item := range strings.SplitSeq(spec, ",") {
		item = strings.TrimSpace(item)
		f, err := parseFault(item)
		if err != nil {
			return FaultSpec{}, &FaultError{Item: item, Msg: err.Error()}
		}
		fs.Faults = append(fs.Faults, f)
	}
	if err := fs.Validate(); err != nil {
		return FaultSpec{}, err
	}
	return fs, nil
}

func parseFault(item string) (Fault, error) {
	if item == "" {
		return Fault{}, errors.New("empty item (two commas in a row, or a trailing comma)")
	}
	k, v, ok := strings.Cut(item, "=")
	if !ok {
		return Fault{}, errors.New("want KIND=VALUE")
	}
	f := Fault{Kind: FaultKind(strings.ToLower(strings.TrimSpace(k)))}
	v = strings.TrimSpace(v)
	switch f.Kind {
	case Fault503, Fault503RA, Fault429, FaultReset, FaultLost, FaultSpike:
	case FaultOutage:
		w, err := parseWindow(v)
		if err != nil {
			return Fault{}, err
		}
		f.When = w
		return f, nil
	default:
		return Fault{}, fmt.Errorf("unknown kind %q (want 503, 503ra, 429, reset, lost, spike or outage)", k)
	}
	if rest, win, ok := strings.Cut(v, "@"); ok {
		w, err := parseWindow(win)
		if err != nil {
			return Fault{}, err
		}
		f.When, v = w, rest
	}
	rate, param, hasParam := strings.Cut(v, ":")
	r, err := parseRate(rate)
	if err != nil {
		return Fault{}, err
	}
	f.Rate = r
	switch {
	case hasParam && (f.Kind == Fault503 || f.Kind == FaultReset || f.Kind == FaultLost):
		return Fault{}, fmt.Errorf("%s takes no duration", f.Kind)
	case !hasParam && f.Kind == FaultSpike:
		return Fault{}, errors.New("spike needs a duration: spike=RATE:DURATION")
	case !hasParam && (f.Kind == Fault503RA || f.Kind == Fault429):
		f.Param = DefaultRetryAfter
	case hasParam:
		d, err := time.ParseDuration(strings.TrimSpace(param))
		if err != nil {
			return Fault{}, fmt.Errorf("duration %q: want a Go duration such as 500ms or 2s", param)
		}
		f.Param = d
	}
	return f, nil
}

func parseRate(s string) (float64, error) {
	s = strings.TrimSpace(s)
	pct := false
	if t, ok := strings.CutSuffix(s, "%"); ok {
		s, pct = strings.TrimSpace(t), true
	}
	r, err := strconv.ParseFloat(s, 64)
	if err != nil || s == "" || strings.ContainsAny(s, "xXpP_") || math.IsNaN(r) || math.IsInf(r, 0) {
		return 0, fmt.Errorf("rate %q: want a fraction such as 0.02 or a percentage such as 2%%", s)
	}
	if pct {
		r /= 100
	}
	if r < 0 || r > 1 {
		return 0, fmt.Errorf("rate %s is outside [0, 1] (0%%..100%%)", strconv.FormatFloat(r, 'g', -1, 64))
	}
	return r, nil
}

func parseWindow(s string) (Window, error) {
	s = strings.TrimSpace(s)
	start, rest, ok := strings.Cut(s, "+")
	if !ok {
		return Window{}, fmt.Errorf("window %q: want START+LENGTH[/EVERY], e.g. 10s+3s", s)
	}
	length, every, hasEvery := strings.Cut(rest, "/")
	var w Window
	var err error
	if w.Start, err = parseWinDur("start", start); err != nil {
		return Window{}, err
	}
	if w.Length, err = parseWinDur("length", length); err != nil {
		return Window{}, err
	}
	if hasEvery {
		if w.Every, err = parseWinDur("period", every); err != nil {
			return Window{}, err
		}
	}
	return w, nil
}

func parseWinDur(what, s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("window %s %q: want a Go duration such as 10s", what, s)
	}
	return d, nil
}

// Validate checks the spec: rates, durations and windows in range, rates adding up to 1 at
// most.
func (fs FaultSpec) Validate() error {
	if len(fs.Faults) > maxFaults {
		return &FaultError{Msg: fmt.Sprintf("%d items; at most %d", len(fs.Faults), maxFaults)}
	}
	sum := 0.0
	for _, f := range fs.Faults {
		bad := func(format string, a ...any) error {
			return &FaultError{Item: FaultSpec{Faults: []Fault{f}}.String(), Msg: fmt.Sprintf(format, a...)}
		}
		if err := validWindow(f.When); err != nil {
			return bad("%v", err)
		}
		switch f.Kind {
		case FaultOutage:
			if f.When.Length == 0 {
				return bad("an outage needs a window START+LENGTH")
			}
			if f.Rate != 0 || f.Param != 0 {
				return bad("an outage takes only a window")
			}
			continue
		case Fault503, FaultReset, FaultLost:
			if f.Param != 0 {
				return bad("%s takes no duration", f.Kind)
			}
		case Fault503RA, Fault429:
			if f.Param < time.Second || f.Param > maxRetryAfter || f.Param%time.Second != 0 {
				return bad("Retry-After %v: want whole seconds from 1s to 1h", f.Param)
			}
		case FaultSpike:
			if f.Param <= 0 || f.Param > maxFaultLatency {
				return bad("spike latency %v: want more than 0 and at most %v", f.Param, maxFaultLatency)
			}
		default:
			return bad("unknown kind %q", f.Kind)
		}
		if math.IsNaN(f.Rate) || f.Rate < 0 || f.Rate > 1 {
			return bad("rate %v is outside [0, 1]", f.Rate)
		}
		sum += f.Rate
	}
	if sum > 1+1e-9 {
		return &FaultError{Msg: fmt.Sprintf("the rates add up to %v: at most 1, since a request gets one fault at most", sum)}
	}
	return nil
}

func validWindow(w Window) error {
	switch {
	case w == Window{}:
		return nil
	case w.Start < 0 || w.Length < 0 || w.Every < 0:
		return errors.New("window durations must not be negative")
	case w.Length == 0:
		return errors.New("window length must be more than 0")
	case w.Every > 0 && w.Length >= w.Every:
		return fmt.Errorf("window length %v must be shorter than its period %v", w.Length, w.Every)
	case w.Start > 1000*time.Hour || w.Length > 1000*time.Hour || w.Every > 1000*time.Hour:
		return errors.New("window durations must be under 1000h")
	}
	return nil
}

// draw returns a number in [0, 1) from the seed, the request's sequence number and a salt:
// the same three give the same number, on any machine.
func draw(seed int64, seq uint64, salt uint64) float64 {
	x := uint64(seed)*0x9e3779b97f4a7c15 ^ seq*0xbf58476d1ce4e5b9 ^ salt*0x94d049bb133111eb
	// splitmix64 finaliser
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}

// pick returns the rated fault that hits request seq at elapsed, or nil.
func (fs *FaultSpec) pick(seed int64, seq uint64, elapsed time.Duration) *Fault {
	if len(fs.Faults) == 0 {
		return nil
	}
	u := draw(seed, seq, 0)
	cum := 0.0
	for i := range fs.Faults {
		f := &fs.Faults[i]
		if f.Kind == FaultOutage {
			continue
		}
		cum += f.Rate
		if u < cum {
			if on, _ := f.When.active(elapsed); on {
				return f
			}
			return nil
		}
	}
	return nil
}
