package journal_test

import (
	"strings"
	"testing"

	"github.com/turbowapi/turbowapi/journal"
)

// FuzzScan feeds the reader arbitrary journals: it never panics, every record it returns has
// the fields its kind needs, and it stops at the first damaged line.
func FuzzScan(f *testing.F) {
	const head = `{"kind":"header","time":"2026-11-25T10:00:00Z","format":1,"header":{"command":"load","sources":["a.csv"]}}` + "\n"
	seeds := []string{
		head,
		head + `{"kind":"intent","ordinals":[0,1,2]}` + "\n" + `{"kind":"outcome","outcome":{"ordinal":1,"status":"created","type":"network","ref":"network/x"}}` + "\n",
		head + `{"kind":"decision","decision":{"limit":4,"batch_size":1,"reason":"grow"}}` + "\n" + `{"kind":"summary","summary":{"operation":"load"}}`,
		head + `{"kind":"resume","header":{"command":"load"}}` + "\n" + `{"kind":"outc`,
		"", "\n", "{}", `{"kind":"header","format":2}`, head + head,
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		n := 0
		_, err := journal.Scan(strings.NewReader(text), "fuzz", func(r journal.Record) error {
			n++
			ok := true
			switch r.Kind {
			case journal.KindHeader, journal.KindResume:
				ok = r.Header != nil
			case journal.KindIntent:
				ok = len(r.Ordinals) > 0
			case journal.KindOutcome:
				ok = r.Outcome != nil && r.Outcome.Status != "" && r.Outcome.Ordinal >= 0
			case journal.KindDecision:
				ok = r.Decision != nil
			case journal.KindSummary:
				ok = r.Summary != nil
			default:
				ok = false
			}
			if !ok || r.Line < n {
				t.Fatalf("record %d (line %d) of kind %q lacks its fields", n, r.Line, r.Kind)
			}
			if n == 1 && r.Kind != journal.KindHeader {
				t.Fatalf("first record is a %s", r.Kind)
			}
			return nil
		})
		if err != nil && !strings.HasPrefix(err.Error(), "journal fuzz") {
			t.Fatalf("error does not name the journal: %v", err)
		}
	})
}
