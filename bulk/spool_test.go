package bulk

import (
	"errors"
	"testing"
)

func TestSpoolPhasesAndDuplicates(t *testing.T) {
	t.Parallel()
	s, err := NewSpool(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	items := []*Item{
		{Ordinal: 0, Source: "a.csv", Line: 2, Type: "network", Phase: 30, Body: []byte(`{"network":"10.0.0.0/24"}`),
			Key: []Field{{"network", "10.0.0.0/24"}, {"network_view", "default"}}},
		{Ordinal: 1, Source: "a.csv", Line: 3, Type: "networkcontainer", Phase: 18, Body: []byte(`{"network":"10.0.0.0/8"}`),
			Key: []Field{{"network", "10.0.0.0/8"}, {"network_view", "default"}}},
		{Ordinal: 2, Source: "a.csv", Line: 4, Type: "network", Phase: 30, Body: []byte(`{"network":"10.0.0.0/24","comment":"again"}`),
			Key: []Field{{"network", "10.0.0.0/24"}, {"network_view", "default"}}},
		{Ordinal: 3, Source: "a.csv", Line: 5, Type: "network", Phase: 30, Body: []byte(`{"network":"10.0.0.0/24","network_view":"v2"}`),
			Key: []Field{{"network", "10.0.0.0/24"}, {"network_view", "v2"}}},
		{Ordinal: 4, Source: "a.csv", Line: 6, Type: "networkview", Phase: 10, Body: []byte(`{"name":"v2"}`),
			Key: []Field{{"name", "v2"}}},
	}
	var dups []*DuplicateError
	for _, it := range items {
		err := s.Add(it)
		var de *DuplicateError
		switch {
		case errors.As(err, &de):
			dups = append(dups, de)
		case err != nil:
			t.Fatal(err)
		}
	}
	if len(dups) != 1 || dups[0].Line != 4 || dups[0].FirstLine != 2 || dups[0].FirstSource != "a.csv" {
		t.Fatalf("duplicates %+v", dups)
	}
	if got := dups[0].Error(); got != "a.csv:4: duplicate network network=10.0.0.0/24&network_view=default: already given at a.csv:2" {
		t.Fatalf("message %q", got)
	}
	if s.Valid() != 4 || s.Invalid() != 1 || s.Total() != 5 || len(s.Rejected()) != 1 {
		t.Fatalf("valid %d invalid %d", s.Valid(), s.Invalid())
	}
	if got, want := s.Phases(), []int{10, 18, 30}; len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("phases %v", got)
	}
	if err := s.finish(); err != nil {
		t.Fatal(err)
	}
	var got []int64
	if err := s.each(30, func(it *Item) error {
		got = append(got, it.Ordinal)
		if it.Phase != 30 || it.Source != "a.csv" || len(it.Key) != 2 {
			t.Errorf("item %+v", it)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != 0 || got[1] != 3 {
		t.Fatalf("phase 30 holds %v", got)
	}
	var rej []string
	s.each(-1, func(it *Item) error { rej = append(rej, string(it.Body)); return nil })
	if len(rej) != 1 {
		t.Fatalf("rejects %v", rej)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestItemRecordRoundTrip(t *testing.T) {
	t.Parallel()
	in := &Item{Ordinal: -5, Source: "stdin", Line: 1 << 33, Type: "record:a", Ref: "record:a/ZG5z:x/default",
		Body: []byte(`{"name":"x"}`), Key: []Field{{"name", "x"}, {"view", ""}}}
	b := appendItem(nil, in)
	var out Item
	n := len(b) - len(b[1:]) // one-byte length prefix here
	if err := decodeItem(b[n:], &out); err != nil {
		t.Fatal(err)
	}
	if out.Ordinal != in.Ordinal || out.Line != in.Line || out.Source != in.Source || out.Type != in.Type ||
		out.Ref != in.Ref || string(out.Body) != string(in.Body) || len(out.Key) != 2 || out.Key[1] != in.Key[1] {
		t.Fatalf("round trip: %+v", out)
	}
}

// FuzzDecodeItem: the spool's record parser never panics and re-encodes what it accepts.
func FuzzDecodeItem(f *testing.F) {
	f.Add(appendItem(nil, &Item{Ordinal: 1, Source: "a", Line: 2, Type: "network", Body: []byte("{}"),
		Key: []Field{{"network", "10.0.0.0/8"}}})[1:])
	f.Add([]byte{})
	f.Add([]byte{0x02, 0x04, 0x01, 'a'})
	f.Fuzz(func(t *testing.T, b []byte) {
		var it Item
		if decodeItem(b, &it) != nil {
			return
		}
		rec := appendItem(nil, &it)
		var again Item
		k := 0
		for rec[k]&0x80 != 0 {
			k++
		}
		if err := decodeItem(rec[k+1:], &again); err != nil {
			t.Fatalf("re-encoded record rejected: %v", err)
		}
	})
}
