package journal_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/turbowapi/turbowapi/bulk"
	"github.com/turbowapi/turbowapi/journal"
)

// A run journals an intent before each write and an outcome per object; a later run reads
// the state to skip what is done and to look up what was in flight.
func Example() {
	dir, _ := os.MkdirTemp("", "journal-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "load.jsonl")

	w, err := journal.Create(path, journal.Header{Command: "load", Sources: []string{"networks.csv"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	w.Intent([]int64{0, 1})
	w.Outcome(bulk.Outcome{Ordinal: 0, Status: bulk.StatusCreated, Type: "network", Ref: "network/ZG5z:10.0.0.0/24/default"})
	w.Close() // the run stops here: object 1 was sent, its reply never recorded

	w, st, err := journal.Resume(path, journal.Header{Command: "load", Sources: []string{"networks.csv"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer w.Close()
	for o := range int64(3) {
		fmt.Printf("object %d: final %v, in flight %v\n", o, st.Final(o), st.InFlight(o))
	}
	// Output:
	// object 0: final true, in flight false
	// object 1: final false, in flight true
	// object 2: final false, in flight false
}
