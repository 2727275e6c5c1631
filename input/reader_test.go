package input_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/turbowapi/turbowapi/input"
)

// readAll returns every object and error of r (errors keep their object).
func readAll(t *testing.T, r input.Reader) ([]input.Object, []error) {
	t.Helper()
	var objs []input.Object
	var errs []error
	for range 100000 {
		o, err := r.Next()
		if err == io.EOF {
			return objs, errs
		}
		objs = append(objs, o)
		errs = append(errs, err)
	}
	t.Fatal("reader did not end")
	return nil, nil
}

func TestPositions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, source, in string
		lines            []int
	}{
		{"csv multi-line record and blank lines", "p.csv",
			"_type,network,comment\n\nnetwork,10.0.0.0/24,\"two\nlines\"\nnetwork,10.0.1.0/24,x\n,,\n\nnetwork,10.0.2.0/24,\n",
			[]int{3, 5, 8}},
		{"csv CRLF and BOM", "p.csv", "\ufeff_type,network\r\nnetwork,10.0.0.0/24\r\nnetwork,10.0.1.0/24\r\n", []int{2, 3}},
		{"json pretty array", "p.json",
			"\ufeff\n[\n  {\n    \"_type\": \"network\",\n    \"network\": \"10.0.0.0/24\"\n  },\n  {\"_type\": \"network\", \"network\": \"10.0.1.0/24\"}\n  ,\n\n  {\"_type\":\"network\",\n\"network\":\"10.0.2.0/24\"}]\n",
			[]int{3, 7, 10}},
		{"json objects one after another", "p.json",
			"{\"_type\": \"network\", \"network\": \"10.0.0.0/24\"}\n\n{\"_type\": \"network\",\n \"network\": \"10.0.1.0/24\"} {\"_type\": \"network\", \"network\": \"10.0.2.0/24\"}\n",
			[]int{1, 3, 4}},
		{"json lines with blank lines", "p.jsonl",
			"\n{\"_type\":\"network\",\"network\":\"10.0.0.0/24\"}\n   \n{\"_type\":\"network\",\"network\":\"10.0.1.0/24\"}\r\n{\"_type\":\"network\",\"network\":\"10.0.2.0/24\"}",
			[]int{2, 4, 5}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r, err := input.NewReader(strings.NewReader(c.in), c.source, input.FormatOf(c.source))
			if err != nil {
				t.Fatal(err)
			}
			objs, errs := readAll(t, r)
			if len(objs) != len(c.lines) {
				t.Fatalf("%d objects, want %d (errors %v)", len(objs), len(c.lines), errs)
			}
			for i, o := range objs {
				if errs[i] != nil {
					t.Errorf("object %d: %v", i, errs[i])
				}
				if o.Pos.Line != c.lines[i] || o.Pos.Ordinal != int64(i) || o.Pos.Source != c.source {
					t.Errorf("object %d at %+v, want line %d ordinal %d", i, o.Pos, c.lines[i], i)
				}
				if o.Type != "network" || o.Fields["network"] != "10.0."+string(rune('0'+i))+".0/24" {
					t.Errorf("object %d: %s %v", i, o.Type, o.Fields)
				}
			}
		})
	}
}

// TestContinuePastBadRows: a bad row does not stop the stream; every object, good or bad,
// gets the next ordinal.
func TestContinuePastBadRows(t *testing.T) {
	t.Parallel()
	in := "_type,network,ttl\n" +
		"network,10.0.0.0/24,\n" +
		"network,10.0.1.0/24,\"a\"b\n" + // bad quoting
		"nosuchtype,10.0.2.0/24,\n" + // unknown type
		"network,10.0.3.0/24,1,2\n" + // column count
		"record:a,,abc\n" + // bad integer
		"network,10.0.5.0/24,\n"
	r, err := input.NewReader(strings.NewReader(in), "b.csv", input.FormatCSV)
	if err != nil {
		t.Fatal(err)
	}
	objs, errs := readAll(t, r)
	if len(objs) != 6 {
		t.Fatalf("%d objects, want 6", len(objs))
	}
	wantBad := []bool{false, true, true, true, true, false}
	for i := range objs {
		if (errs[i] != nil) != wantBad[i] {
			t.Errorf("object %d (line %d): error %v", i, objs[i].Pos.Line, errs[i])
		}
		if objs[i].Pos.Ordinal != int64(i) || objs[i].Pos.Line != i+2 {
			t.Errorf("object %d at %+v", i, objs[i].Pos)
		}
		if errs[i] != nil && input.IsFatal(errs[i]) {
			t.Errorf("row error %v is fatal", errs[i])
		}
	}
	if objs[3].Type != "network" {
		t.Errorf("a row with a bad column count does not name its _type: %q", objs[3].Type)
	}
}

func TestFormats(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		s    string
		want input.Format
		ok   bool
	}{
		{"csv", input.FormatCSV, true}, {"JSON", input.FormatJSON, true}, {"jsonl", input.FormatJSONLines, true},
		{"ndjson", input.FormatJSONLines, true}, {"", input.FormatAuto, true}, {"xml", 0, false},
	} {
		f, err := input.ParseFormat(c.s)
		if (err == nil) != c.ok || (c.ok && f != c.want) {
			t.Errorf("ParseFormat(%q) = %v, %v", c.s, f, err)
		}
		if c.ok && c.s != "" {
			if g, _ := input.ParseFormat(f.String()); g != f {
				t.Errorf("%v does not round trip through String", f)
			}
		}
	}
	for name, want := range map[string]input.Format{"a.csv": input.FormatCSV, "b.JSON": input.FormatJSON,
		"c.jsonl": input.FormatJSONLines, "d.ndjson": input.FormatJSONLines, "e.txt": input.FormatAuto, "-": input.FormatAuto} {
		if got := input.FormatOf(name); got != want {
			t.Errorf("FormatOf(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestOpenAndSniff(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{
		"a.csv":    "_type,network\nnetwork,10.0.0.0/24\n",
		"a.json":   `[{"_type":"network","network":"10.0.0.0/24"}]`,
		"a.jsonl":  `{"_type":"network","network":"10.0.0.0/24"}` + "\n",
		"csv.txt":  "_type,network\nnetwork,10.0.0.0/24\n",
		"arr.txt":  "  \n[{\"_type\":\"network\",\"network\":\"10.0.0.0/24\"}]",
		"jsl.data": "\ufeff{\"_type\":\"network\",\"network\":\"10.0.0.0/24\"}\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for name := range files {
		r, err := input.Open(filepath.Join(dir, name), input.FormatAuto)
		if err != nil {
			t.Fatal(err)
		}
		objs, errs := readAll(t, r)
		if len(objs) != 1 || errs[0] != nil || objs[0].Fields["network"] != "10.0.0.0/24" {
			t.Errorf("%s: %v %v", name, objs, errs)
		}
		if objs[0].Pos.Source != filepath.Join(dir, name) {
			t.Errorf("%s: source %q", name, objs[0].Pos.Source)
		}
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	}
	// stdin, format sniffed, and an explicit format overriding the extension
	r, err := input.Open("-", input.FormatAuto, input.WithStdin(strings.NewReader(files["a.jsonl"])))
	if err != nil {
		t.Fatal(err)
	}
	objs, _ := readAll(t, r)
	if len(objs) != 1 || objs[0].Pos.Source != input.StdinName {
		t.Errorf("stdin: %+v", objs)
	}
	r, err = input.Open(filepath.Join(dir, "csv.txt"), input.FormatJSON)
	if err != nil {
		t.Fatal(err)
	}
	_, errs := readAll(t, r)
	if len(errs) != 1 || !errors.Is(errs[0], input.ErrSyntax) {
		t.Errorf("CSV read as JSON: %v", errs)
	}
	if _, err := input.Open(filepath.Join(dir, "missing.csv"), input.FormatAuto); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestOptions(t *testing.T) {
	t.Parallel()
	if _, err := input.NewReader(strings.NewReader(""), "x", input.FormatCSV, input.WithType("netwrok")); err == nil ||
		!strings.Contains(err.Error(), `did you mean "network"`) {
		t.Errorf("unknown --type: %v", err)
	}
	if _, err := input.NewReader(strings.NewReader(""), "x", input.FormatCSV, input.WithMaxObjectSize(10)); err == nil {
		t.Error("tiny max object size accepted")
	}
	if _, err := input.NewReader(strings.NewReader(""), "x", input.FormatCSV, input.WithStdin(nil)); err == nil {
		t.Error("nil stdin accepted")
	}
	if _, err := input.NewReader(strings.NewReader(""), "x", input.Format(99)); err == nil {
		t.Error("unknown format accepted")
	}
}

// TestOversizedIsBounded: a record far larger than the limit ends the stream early, without
// reading the whole record into memory.
func TestOversizedIsBounded(t *testing.T) {
	t.Parallel()
	for _, f := range []input.Format{input.FormatCSV, input.FormatJSON, input.FormatJSONLines} {
		var head string
		switch f {
		case input.FormatCSV:
			head = "_type,comment\nnetwork,\""
		case input.FormatJSON:
			head = `[{"_type":"network","comment":"`
		default:
			head = `{"_type":"network","comment":"`
		}
		src := &countingReader{r: io.MultiReader(strings.NewReader(head), infinite('x'))}
		r, err := input.NewReader(src, "big", f, input.WithMaxObjectSize(4096))
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.Next()
		if err == nil {
			t.Fatalf("%v: oversized object read", f)
		}
		if !errors.Is(err, input.ErrSyntax) || !strings.Contains(err.Error(), "4096 bytes") {
			t.Errorf("%v: %v", f, err)
		}
		if src.n > 1<<20 {
			t.Errorf("%v: read %d bytes for a 4 KiB limit", f, src.n)
		}
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

type infinite byte

func (b infinite) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

func TestAllIterator(t *testing.T) {
	t.Parallel()
	in := "_type,network\nnetwork,10.0.0.0/24\nnetwork,\"x\"y\nnetwork,10.0.2.0/24\n"
	r, _ := input.NewReader(strings.NewReader(in), "i.csv", input.FormatCSV)
	var n, bad int
	for o, err := range input.All(context.Background(), r) {
		n++
		if err != nil {
			bad++
			if o.Pos.Line != 3 {
				t.Errorf("bad row at %v", o.Pos)
			}
		}
	}
	if n != 3 || bad != 1 {
		t.Errorf("%d objects, %d bad", n, bad)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r, _ = input.NewReader(strings.NewReader(in), "i.csv", input.FormatCSV)
	for _, err := range input.All(ctx, r) {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled iteration yielded %v", err)
		}
	}
	// A fatal error ends the iteration after being yielded.
	r, _ = input.NewReader(strings.NewReader(`[{"_type":"network"},`), "t.json", input.FormatJSON)
	var errs []error
	for _, err := range input.All(context.Background(), r) {
		errs = append(errs, err)
	}
	if len(errs) != 2 || errs[0] != nil || !input.IsFatal(errs[1]) {
		t.Errorf("errors %v", errs)
	}
}

// TestConcurrentReaders: readers on several goroutines share only the package's read-only
// tables (under -race, a suggestion for an unknown column wrote into the table of field names).
func TestConcurrentReaders(t *testing.T) {
	t.Parallel()
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			r, err := input.NewReader(strings.NewReader("_type,netwrok\n"), "c.csv", input.FormatCSV)
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := r.Next(); !errors.Is(err, input.ErrUnknownField) || !strings.Contains(err.Error(), `did you mean "network"`) {
				t.Errorf("unknown column: %v", err)
			}
		})
	}
	wg.Wait()
}
