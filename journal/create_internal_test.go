package journal

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// A journal appears under its name only with its header: a process killed while Create
// writes the header leaves no file that resume would refuse ("empty: not a turbowapi
// journal") and a new run could not create again ("the file exists"). Create leaves no
// temporary file behind, and still refuses a path that exists.
func TestCreateAppearsWithItsHeader(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "load.jsonl")
	h := Header{Command: "load", Sources: []string{"in.csv"}}
	called := false
	w, err := Create(path, h, func(o *options) error {
		o.beforeHeader = func(p string) {
			called = true
			if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s is visible before its header is written (%v): a kill now leaves an empty journal", p, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !called {
		t.Fatal("the header hook was not called")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	st, err := Load(path)
	if err != nil || st.Header.Command != "load" || st.Info.Records != 1 {
		t.Fatalf("journal after Create: %v %+v", err, st)
	}
	if _, err := Create(path, h); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Create of an existing journal: %v, want fs.ErrExist", err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != "load.jsonl" {
		t.Fatalf("files left in the directory: %v", ents)
	}
	// A relative path in the current directory works too.
	t.Chdir(dir)
	w, err = Create("rel.jsonl", h)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	if st, err := Load(filepath.Join(dir, "rel.jsonl")); err != nil || st.Header.Command != "load" {
		t.Fatalf("relative journal: %v", err)
	}
}
