package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/turbowapi/turbowapi/bulk"
	"github.com/turbowapi/turbowapi/input"
)

func TestParseInterleaved(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		pos  []string
		typ  string
	}{
		{[]string{"a.csv"}, []string{"a.csv"}, ""},
		{[]string{"--type", "network", "a.csv", "b.csv"}, []string{"a.csv", "b.csv"}, "network"},
		{[]string{"a.csv", "--type", "network", "b.csv"}, []string{"a.csv", "b.csv"}, "network"},
		{[]string{"a.csv", "-", "--type=network"}, []string{"a.csv", "-"}, "network"},
		{[]string{"--", "--type", "x"}, []string{"--type", "x"}, ""},
		{nil, nil, ""},
	}
	for _, tc := range cases {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		typ := fs.String("type", "", "")
		pos, err := parseInterleaved(fs, tc.args)
		if err != nil || !reflect.DeepEqual(pos, tc.pos) || *typ != tc.typ {
			t.Errorf("%q: %q %q %v, want %q %q", tc.args, pos, *typ, err, tc.pos, tc.typ)
		}
	}
}

func TestEngineFlagsUsage(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		f    engineFlags
		ok   bool
	}{
		{"defaults", engineFlags{strategy: "auto", maxConc: 16, attempts: 8, retryBase: time.Second, retryCap: time.Minute}, true},
		{"unknown-strategy", engineFlags{strategy: "fast", maxConc: 16, attempts: 8, retryBase: time.Second, retryCap: time.Minute}, false},
		{"sequential-with-batch", engineFlags{strategy: "sequential", batch: 10, maxConc: 16, attempts: 8, retryBase: time.Second, retryCap: time.Minute}, false},
		{"concurrent-with-batch", engineFlags{strategy: "concurrent", batch: 10, maxConc: 16, attempts: 8, retryBase: time.Second, retryCap: time.Minute}, false},
		{"batch-concurrent", engineFlags{strategy: "batch", batch: 10, conc: 4, maxConc: 16, attempts: 8, retryBase: time.Second, retryCap: time.Minute}, true},
		{"auto-over-max", engineFlags{strategy: "auto", conc: 32, maxConc: 16, attempts: 8, retryBase: time.Second, retryCap: time.Minute}, false},
		{"bad-conflict", engineFlags{strategy: "auto", onConflict: "merge", maxConc: 16, attempts: 8, retryBase: time.Second, retryCap: time.Minute}, false},
		{"zero-attempts", engineFlags{strategy: "auto", maxConc: 16, attempts: 0, retryBase: time.Second, retryCap: time.Minute}, false},
		{"cap-below-base", engineFlags{strategy: "auto", maxConc: 16, attempts: 3, retryBase: time.Minute, retryCap: time.Second}, false},
	}
	for _, tc := range cases {
		_, err := tc.f.engineOptions()
		var ue *usageError
		if (err == nil) != tc.ok || (err != nil && !errors.As(err, &ue)) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestToItem(t *testing.T) {
	t.Parallel()
	o := input.Object{Type: "network", Fields: map[string]any{"network": "10.0.0.0/16", "comment": "x"},
		Pos: input.Pos{Source: "a.csv", Line: 7, Ordinal: 5}}
	it, err := toItem(o, 100)
	if err != nil {
		t.Fatal(err)
	}
	if it.Ordinal != 105 || it.Line != 7 || it.Source != "a.csv" || it.Phase != input.Phase(o) ||
		it.KeyString() != "network=10.0.0.0/16&network_view=default" || string(it.Body) != `{"comment":"x","network":"10.0.0.0/16"}` {
		t.Fatalf("%+v key %s", it, it.KeyString())
	}
}

func TestPrintSummary(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	printSummary(&b, "load", "j.jsonl", bulk.Summary{
		Strategy: bulk.Batch, Outcomes: map[bulk.Status]int64{bulk.StatusCreated: 1023, bulk.StatusExisted: 1},
		Elapsed: 2 * time.Second, Rate: 512, Requests: 3, Writes: 2, Lookups: 1, Isolation: 2,
		P50: 10 * time.Millisecond, P95: 20 * time.Millisecond, P99: 30 * time.Millisecond,
		Concurrency: 1, MinConcurrency: 1, MaxConcurrency: 1, BatchSize: 1000, MinBatchSize: 1000, MaxBatchSize: 1000,
	})
	want := []string{"load: 1,024 objects in 2s (512/s): 1,023 created, 1 existed",
		"strategy batch: 3 requests (2 writes, 1 lookups), 0 retries, 2 for isolation",
		"latency p50 10ms, p95 20ms, p99 30ms", "batch size 1000", "journal j.jsonl"}
	for _, w := range want {
		if !strings.Contains(b.String(), w) {
			t.Errorf("summary lacks %q:\n%s", w, b.String())
		}
	}
}
