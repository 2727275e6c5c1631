package input_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/turbowapi/turbowapi/input"
	"github.com/turbowapi/turbowapi/internal/badinput"
)

// collect reads r to its end, validates the objects read without error, and returns every
// error message (at most 20) and the first error, checking that each error is a *RowError
// with a source and a line.
func collect(t *testing.T, r input.Reader) (msgs []string, first error) {
	t.Helper()
	v, err := input.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10000; i++ {
		o, err := r.Next()
		if err == io.EOF {
			return msgs, first
		}
		if err == nil {
			err = v.Check(&o)
		}
		if err == nil {
			continue
		}
		var re *input.RowError
		if !errors.As(err, &re) {
			t.Fatalf("error %v (%T) is not a *RowError", err, err)
		}
		if re.Source == "" || re.Line < 1 {
			t.Errorf("error %q has no source or line", err)
		}
		if !re.Fatal && re.Ordinal != o.Pos.Ordinal {
			t.Errorf("error %q: ordinal %d, object ordinal %d", err, re.Ordinal, o.Pos.Ordinal)
		}
		if first == nil {
			first = err
		}
		if len(msgs) < 20 {
			msgs = append(msgs, err.Error())
		}
		if re.Fatal {
			if _, err := r.Next(); err != io.EOF {
				t.Errorf("after a fatal error Next returned %v, want io.EOF", err)
			}
			return msgs, first
		}
	}
	t.Fatal("reader did not end")
	return nil, nil
}

// TestMalformedCatalogue is the catalogue of malformed inputs: each must be answered with
// the exact file:line messages listed, and good rows around bad ones must not be reported.
func TestMalformedCatalogue(t *testing.T) {
	t.Parallel()
	cases := badinput.Cases()
	if len(cases) < 30 {
		t.Fatalf("catalogue has %d cases, want at least 30", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			var got []string
			var first error
			if c.Spec {
				_, err := input.NewGenerator(c.In)
				if err == nil {
					t.Fatalf("spec %q accepted", c.In)
				}
				var re *input.RowError
				if !errors.As(err, &re) || re.Line < 1 || re.Source != input.GeneratorSource {
					t.Fatalf("spec error %v (%T) lacks a source or line", err, err)
				}
				got, first = []string{err.Error()}, err
			} else {
				var opts []input.Option
				if c.Type != "" {
					opts = append(opts, input.WithType(c.Type))
				}
				r, err := input.NewReader(strings.NewReader(c.In), c.Source, input.FormatOf(c.Source), opts...)
				if err != nil {
					t.Fatal(err)
				}
				got, first = collect(t, r)
			}
			if strings.Join(got, "\n") != strings.Join(c.Want, "\n") {
				t.Errorf("messages:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.Want, "\n"))
			}
			if !errors.Is(first, c.Cat) {
				t.Errorf("first error %v is not in category %v", first, c.Cat)
			}
		})
	}
}
