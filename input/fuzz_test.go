package input_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/turbowapi/turbowapi/input"
	"github.com/turbowapi/turbowapi/internal/badinput"
)

// Native fuzz targets of every input reader (CSV, JSON array, JSON lines) and of the
// generator spec. Their seeds are the catalogue of malformed inputs (internal/badinput) and a
// few good inputs, so `go test` runs them all as regression tests; `go test -fuzz FuzzCSV
// ./input` explores further.

// seedReaders adds the catalogue's inputs of format f, and good ones.
func seedReaders(f *testing.F, format input.Format, good ...string) {
	for _, c := range badinput.Cases() {
		if !c.Spec && input.FormatOf(c.Source) == format && len(c.In) < 64<<10 {
			f.Add([]byte(c.In), c.Type)
		}
	}
	for _, g := range good {
		f.Add([]byte(g), "")
		f.Add([]byte(g), "network")
	}
}

// checkReader reads data to its end and checks what every reader promises, whatever its
// input: it ends (each Next makes progress), errors are *RowError with the source and a line
// inside the input, a fatal error is followed by io.EOF, ordinals count every object from 0,
// and objects read without error go through the validator without panicking.
func checkReader(t *testing.T, format input.Format, data []byte, typ string) {
	const source = "fuzz.in"
	opts := []input.Option{input.WithMaxObjectSize(1024)}
	if typ != "" {
		opts = append(opts, input.WithType(typ))
	}
	r, err := input.NewReader(bytes.NewReader(data), source, format, opts...)
	if err != nil {
		if typ != "" {
			return // not a type name: the fuzzer's type is refused as --type would be
		}
		t.Fatalf("NewReader: %v", err)
	}
	v, err := input.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Count(data, []byte{'\n'}) + 1
	var next int64
	for range len(data) + 3 {
		o, err := r.Next()
		if err == io.EOF {
			return
		}
		if err == nil {
			if o.Pos.Source != source || o.Pos.Line < 1 || o.Pos.Line > lines {
				t.Fatalf("object at %v (%d lines)", o.Pos, lines)
			}
			if o.Pos.Ordinal != next {
				t.Fatalf("object ordinal %d, want %d", o.Pos.Ordinal, next)
			}
			next++
			if err := v.Check(&o); err != nil {
				var re *input.RowError
				if !errors.As(err, &re) || re.Source != source || re.Line != o.Pos.Line {
					t.Fatalf("validation error %v (%T) at %v", err, err, o.Pos)
				}
			}
			continue
		}
		var re *input.RowError
		if !errors.As(err, &re) {
			t.Fatalf("error %v (%T) is not a *RowError", err, err)
		}
		if re.Source != source || re.Line < 1 || re.Line > lines+1 {
			t.Fatalf("error %q at line %d of %d", err, re.Line, lines)
		}
		if !strings.HasPrefix(err.Error(), fmt.Sprintf("%s:%d: ", source, re.Line)) || re.Reason == "" {
			t.Fatalf("error %q does not read source:line: reason", err)
		}
		if re.Fatal {
			if o, err := r.Next(); err != io.EOF {
				t.Fatalf("after the fatal %q: %v, %v", re, o, err)
			}
			return
		}
		if re.Ordinal != o.Pos.Ordinal || re.Ordinal != next {
			t.Fatalf("error %q: ordinal %d, object %d, want %d", err, re.Ordinal, o.Pos.Ordinal, next)
		}
		next++
	}
	t.Fatalf("the reader did not end after %d objects from %d bytes", len(data)+3, len(data))
}

func FuzzCSV(f *testing.F) {
	seedReaders(f, input.FormatCSV,
		"_type,network,comment,EA-Site\nnetwork,10.0.0.0/24,\"a, b\",East\n",
		"name,ipv4addrs\nh.example.com,10.0.0.1|mac=00:11:22:33:44:55\n",
		"\ufeff_type,fqdn,zone_format\nzone_auth,10.0.0.0/24,IPV4\r\n")
	f.Fuzz(func(t *testing.T, data []byte, typ string) { checkReader(t, input.FormatCSV, data, typ) })
}

func FuzzJSONArray(f *testing.F) {
	seedReaders(f, input.FormatJSON,
		`[{"_type":"network","network":"10.0.0.0/24","extattrs":{"Site":{"value":"East"}}}]`,
		"[\n{\"_type\":\"record:host\",\"name\":\"h.example.com\",\"ipv4addrs\":[{\"ipv4addr\":\"10.0.0.1\"}]},\n{}\n]",
		"[]")
	f.Fuzz(func(t *testing.T, data []byte, typ string) { checkReader(t, input.FormatJSON, data, typ) })
}

func FuzzJSONLines(f *testing.F) {
	seedReaders(f, input.FormatJSONLines,
		"{\"_type\":\"network\",\"network\":\"10.0.0.0/24\"}\n\n{\"_type\":\"record:a\",\"name\":\"a.example.com\",\"ipv4addr\":\"10.0.0.1\",\"ttl\":60}\n",
		"{\"network\":\"10.0.0.0/24\"}\r\n{")
	f.Fuzz(func(t *testing.T, data []byte, typ string) { checkReader(t, input.FormatJSONLines, data, typ) })
}

// FuzzGeneratorSpec: a spec is refused with a *RowError of category ErrSpec, or it generates
// objects that all pass validation, numbered from 0 with line = ordinal + 1, none twice
// (checked on the first 300).
func FuzzGeneratorSpec(f *testing.F) {
	for _, c := range badinput.Cases() {
		if c.Spec {
			f.Add(c.In)
		}
	}
	for _, s := range []string{
		"network 10.0.0.0/8 /24 1024", "networkcontainer 10.0.0.0/8 /16 4; network 10.0.0.0/16 /24 16",
		"ipv6network 2001:db8::/48 /64 10", "zone_auth example.com 3", "zone_auth example.com; record:a example.com 10.0.0.0/24 5",
		`record:cname example.com 4 comment="a b"`, "record:host example.com 10.1.0.0/16 3 ttl=60",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		g, err := input.NewGenerator(spec)
		if err != nil {
			var re *input.RowError
			if !errors.As(err, &re) || !errors.Is(err, input.ErrSpec) || re.Source != input.GeneratorSource || re.Line < 1 {
				t.Fatalf("spec %q: error %v (%T)", spec, err, err)
			}
			return
		}
		v, err := input.NewValidator()
		if err != nil {
			t.Fatal(err)
		}
		for i := range int64(300) {
			o, err := g.Next()
			if err == io.EOF {
				if i == 0 {
					t.Fatalf("spec %q generates nothing", spec)
				}
				return
			}
			if err != nil {
				t.Fatalf("spec %q: object %d: %v", spec, i, err)
			}
			if o.Pos.Ordinal != i || o.Pos.Line != int(i)+1 || o.Pos.Source != input.GeneratorSource {
				t.Fatalf("spec %q: object %d at %+v", spec, i, o.Pos)
			}
			if err := v.Check(&o); err != nil {
				t.Fatalf("spec %q: generated object %d is invalid: %v", spec, i, err)
			}
		}
	})
}
