package journal_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/turbowapi/turbowapi/bulk"
	"github.com/turbowapi/turbowapi/journal"
)

// TestMain runs the child process of TestKilledWriter when JOURNAL_TEST_CHILD names its
// journal, and the tests otherwise.
func TestMain(m *testing.M) {
	if path := os.Getenv("JOURNAL_TEST_CHILD"); path != "" {
		os.Exit(killedWriterChild(path))
	}
	os.Exit(m.Run())
}

// killedWriterChild writes a journal at path from 8 goroutines until it is killed (or 20 s
// pass, so it always ends).
func killedWriterChild(path string) int {
	w, err := journal.Create(path, hdr())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	deadline := time.Now().Add(20 * time.Second)
	var wg sync.WaitGroup
	for g := range int64(8) {
		wg.Go(func() {
			for i := int64(0); time.Now().Before(deadline); i++ {
				o := i*8 + g
				if w.Intent([]int64{o}) != nil {
					return
				}
				if w.Outcome(bulk.Outcome{Ordinal: o, Status: bulk.StatusCreated, Type: "network",
					Key: "network=10.0.0.0/24&network_view=default", Ref: "network/" + strconv.FormatInt(o, 10)}) != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	w.Close()
	return 0
}

// TestKilledWriter kills a process writing a journal at 10 random moments: each journal
// reads back (at most its last line torn), every outcome follows its object's intent, no
// object has two outcomes, and a resumed run appends cleanly.
func TestKilledWriter(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 11))
	torn := 0
	for round := range 10 {
		path := filepath.Join(t.TempDir(), fmt.Sprintf("kill-%d.jsonl", round))
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), "JOURNAL_TEST_CHILD="+path)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait for the header, then a random moment.
		for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(time.Millisecond) {
			if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
				break
			}
		}
		time.Sleep(time.Duration(5+rng.IntN(150)) * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()

		intents := map[int64]bool{}
		outcomes := 0
		info, err := journal.Read(path, func(r journal.Record) error {
			switch r.Kind {
			case journal.KindIntent:
				for _, o := range r.Ordinals {
					intents[o] = true
				}
			case journal.KindOutcome:
				if !intents[r.Outcome.Ordinal] {
					return fmt.Errorf("line %d: outcome of %d without an intent before it", r.Line, r.Outcome.Ordinal)
				}
				outcomes++
			}
			return nil
		})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if info.Torn {
			torn++
		}
		w, st, err := journal.Resume(path, hdr())
		if err != nil {
			t.Fatalf("round %d: resume: %v", round, err)
		}
		// A torn last record is cut by Resume: it may be one outcome short.
		if got := st.Outcomes[bulk.StatusCreated]; st.Duplicates != 0 || got > int64(outcomes) || got < int64(outcomes)-int64(boolInt(info.Torn)) {
			t.Fatalf("round %d: state %v duplicates %d, read %d outcomes", round, st.Outcomes, st.Duplicates, outcomes)
		}
		if err := w.Finish(bulk.Summary{Operation: "load"}); err != nil {
			t.Fatal(err)
		}
		st2, err := journal.Load(path)
		if err != nil || st2.Info.Torn || !st2.Finished || st2.Runs != 2 {
			t.Fatalf("round %d: after resume: %v %+v", round, err, st2)
		}
		t.Logf("round %d: %d records, %d outcomes, %d in flight, torn %v", round, info.Records, outcomes, st.InFlightCount, info.Torn)
	}
	t.Logf("%d of 10 journals ended with a torn line", torn)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
