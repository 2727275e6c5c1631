package gridsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
)

// Profile describes what a simulated grid's work costs: the service time of every WAPI
// request, how it grows with the number of requests in service, and the grid's limits. It is
// a small JSON document (see docs/profiles.md); the field tags are its keys. Costs are in
// milliseconds of grid time; [WithSpeed] divides them all.
//
// The service time of a request, with n requests in service (this one included), is
//
//	(request_ms + object_ms·writes + read_ms·returned + auth_ms if it logged in with Basic
//	 + connect_ms if it is the first on its connection)
//	× (1 + sigma·(n−1) + kappa·n·(n−1) + cliff·max(0, n−cliff_at)²) × jitter factor / speed
//
// See the package documentation for how n is measured (processor sharing).
type Profile struct {
	// Name identifies the profile (a built-in's name, or the file's own).
	Name string `json:"name"`
	// Description says what grid the profile stands for.
	Description string `json:"description,omitempty"`
	// RequestMS is the cost of handling one HTTP request (session check, parsing, reply).
	RequestMS float64 `json:"request_ms"`
	// ObjectMS is the cost of one object written: POST, PUT, DELETE, and each write item of
	// a request (batch) call.
	ObjectMS float64 `json:"object_ms"`
	// ReadMS is the cost of one object returned by a read or search.
	ReadMS float64 `json:"read_ms"`
	// AuthMS is added to a request that authenticates with Basic credentials (a login)
	// instead of the session cookie.
	AuthMS float64 `json:"auth_ms"`
	// ConnectMS is added to the first request on a new connection: the appliance's share of
	// a TLS handshake.
	ConnectMS float64 `json:"connect_ms"`
	// Sigma is the Universal Scalability Law's contention over the requests in service.
	Sigma float64 `json:"sigma"`
	// Kappa is the Universal Scalability Law's coherency (a pairwise cost).
	Kappa float64 `json:"kappa"`
	// CliffAt is the number of requests in service past which Cliff applies (0: no cliff).
	CliffAt int `json:"cliff_at"`
	// Cliff is the extra slowdown per squared request in service beyond CliffAt.
	Cliff float64 `json:"cliff"`
	// SerialWrites runs the per-object write cost under one grid-wide lock (a single-writer
	// database): writes never overlap, whatever the concurrency.
	SerialWrites bool `json:"serial_writes"`
	// Jitter spreads service times: each is multiplied by a factor drawn uniformly from
	// [1−jitter, 1+jitter] (mean 1). 0 ≤ jitter < 1.
	Jitter float64 `json:"jitter"`
	// OverloadAt: a request arriving when this many are already in service is answered 503
	// at once, with Retry-After: 1 (0: never).
	OverloadAt int `json:"overload_at"`
	// MaxBatch caps the items of one request (batch) call; more is a 400, as with
	// [WithMaxBatch] (0: no cap).
	MaxBatch int `json:"max_batch"`
	// Assumptions lists what the profile's figures rest on that nobody measured. Reports
	// built on the profile must show each one labelled as an assumption.
	Assumptions []string `json:"assumptions,omitempty"`
}

// ProfileError is a profile that cannot be used: Field is its JSON key ("" when the document
// as a whole is wrong) and Source the file or built-in it came from.
type ProfileError struct {
	Source string
	Field  string
	Msg    string
}

func (e *ProfileError) Error() string {
	var b strings.Builder
	b.WriteString("gridsim: profile")
	if e.Source != "" {
		b.WriteString(" " + e.Source)
	}
	if e.Field != "" {
		b.WriteString(": " + e.Field)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// Validate checks every field and returns a *ProfileError naming the first one that is wrong.
func (p Profile) Validate() error {
	bad := func(field, format string, a ...any) error {
		return &ProfileError{Source: p.Name, Field: field, Msg: fmt.Sprintf(format, a...)}
	}
	if p.Name == "" {
		return bad("name", "missing")
	}
	if strings.ContainsAny(p.Name, " \t\r\n/\\") {
		return bad("name", "%q has white space or a slash", p.Name)
	}
	costs := []struct {
		field string
		v     float64
	}{
		{"request_ms", p.RequestMS}, {"object_ms", p.ObjectMS}, {"read_ms", p.ReadMS},
		{"auth_ms", p.AuthMS}, {"connect_ms", p.ConnectMS},
	}
	for _, c := range costs {
		switch {
		case math.IsNaN(c.v) || math.IsInf(c.v, 0):
			return bad(c.field, "%v is not a number of milliseconds", c.v)
		case c.v < 0:
			return bad(c.field, "%v is negative", c.v)
		case c.v > 3_600_000:
			return bad(c.field, "%v ms is over an hour", c.v)
		}
	}
	switch {
	case !finite(p.Sigma) || p.Sigma < 0 || p.Sigma >= 1:
		return bad("sigma", "%v is outside [0, 1)", p.Sigma)
	case !finite(p.Kappa) || p.Kappa < 0 || p.Kappa > 1:
		return bad("kappa", "%v is outside [0, 1]", p.Kappa)
	case p.CliffAt < 0:
		return bad("cliff_at", "%d is negative", p.CliffAt)
	case !finite(p.Cliff) || p.Cliff < 0 || p.Cliff > 100:
		return bad("cliff", "%v is outside [0, 100]", p.Cliff)
	case p.Cliff > 0 && p.CliffAt == 0:
		return bad("cliff_at", "missing: cliff %v needs the number of requests in service it starts after", p.Cliff)
	case !finite(p.Jitter) || p.Jitter < 0 || p.Jitter >= 1:
		return bad("jitter", "%v is outside [0, 1)", p.Jitter)
	case p.OverloadAt < 0:
		return bad("overload_at", "%d is negative", p.OverloadAt)
	case p.MaxBatch < 0:
		return bad("max_batch", "%d is negative", p.MaxBatch)
	}
	for i, a := range p.Assumptions {
		if strings.TrimSpace(a) == "" {
			return bad(fmt.Sprintf("assumptions[%d]", i), "empty")
		}
	}
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// zeroCost reports whether no request costs anything.
func (p *Profile) zeroCost() bool {
	return p.RequestMS == 0 && p.ObjectMS == 0 && p.ReadMS == 0 && p.AuthMS == 0 && p.ConnectMS == 0
}

// Slowdown is the factor by which service times grow with n requests in service:
// 1 + σ(n−1) + κn(n−1) + cliff·max(0, n−cliff_at)². Slowdown(1) is 1.
func (p *Profile) Slowdown(n int) float64 {
	if n < 1 {
		n = 1
	}
	x := float64(n)
	f := 1 + p.Sigma*(x-1) + p.Kappa*x*(x-1)
	if p.Cliff > 0 && n > p.CliffAt {
		d := float64(n - p.CliffAt)
		f += p.Cliff * d * d
	}
	return f
}

// ParseProfile reads a profile from its JSON document. Unknown keys are errors (a misspelt
// field would otherwise silently cost nothing); source names the document in errors.
func ParseProfile(data []byte, source string) (Profile, error) {
	var p Profile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Profile{}, profileJSONError(err, source)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Profile{}, &ProfileError{Source: source, Msg: "extra data after the JSON object"}
	}
	if err := p.Validate(); err != nil {
		var pe *ProfileError
		if errors.As(err, &pe) {
			pe.Source = source
		}
		return Profile{}, err
	}
	return p, nil
}

func profileJSONError(err error, source string) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &ProfileError{Source: source, Field: te.Field, Msg: fmt.Sprintf("a JSON %s where a %s is expected", te.Value, jsonKind(te.Type.Kind().String()))}
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &ProfileError{Source: source, Msg: fmt.Sprintf("not valid JSON at byte %d: %v", se.Offset, err)}
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return &ProfileError{Source: source, Field: strings.Trim(f, `"`), Msg: "unknown field"}
	}
	return &ProfileError{Source: source, Msg: err.Error()}
}

func jsonKind(k string) string {
	switch {
	case strings.HasPrefix(k, "float"):
		return "number"
	case strings.HasPrefix(k, "int"):
		return "whole number"
	case k == "bool":
		return "boolean"
	case k == "slice":
		return "list of strings"
	}
	return k
}

// LoadProfile reads a profile from a JSON file.
func LoadProfile(path string) (Profile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Profile{}, fmt.Errorf("gridsim: profile: %w", err)
	}
	return ParseProfile(b, path)
}

// LookupProfile returns the built-in profile with that name.
func LookupProfile(name string) (Profile, bool) {
	for _, p := range builtinProfiles() {
		if p.Name == name {
			return p, true
		}
	}
	return Profile{}, false
}

// ResolveProfile returns the built-in profile named arg or, when arg is not a built-in's name,
// the profile in the file arg (what `--profile NAME|FILE` means).
func ResolveProfile(arg string) (Profile, error) {
	if p, ok := LookupProfile(arg); ok {
		return p, nil
	}
	if _, err := os.Stat(arg); err != nil {
		names := make([]string, 0, 8)
		for _, p := range builtinProfiles() {
			names = append(names, p.Name)
		}
		return Profile{}, fmt.Errorf("gridsim: profile %q is neither a built-in (%s) nor a readable file", arg, strings.Join(names, ", "))
	}
	return LoadProfile(arg)
}

// Profiles returns the built-in profiles, in a fixed order (instant first). Each call returns
// fresh copies.
func Profiles() []Profile { return builtinProfiles() }

// JSON returns the profile's JSON document, indented, as ParseProfile and LoadProfile read it.
func (p Profile) JSON() []byte {
	b, _ := json.MarshalIndent(p, "", "  ")
	return append(b, '\n')
}

// clone returns p with its own copy of the assumptions.
func (p Profile) clone() Profile {
	p.Assumptions = slices.Clone(p.Assumptions)
	return p
}
