package gridsim_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/turbowapi/turbowapi/gridsim"
)

func TestParseFaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		spec, canon string
		want        []gridsim.Fault
	}{
		{"", "", nil},
		{"503=0.02", "503=0.02", []gridsim.Fault{{Kind: gridsim.Fault503, Rate: 0.02}}},
		{" 503ra = 1% ", "503ra=0.01:1s", []gridsim.Fault{{Kind: gridsim.Fault503RA, Rate: 0.01, Param: time.Second}}},
		{"429=0.01:2s", "429=0.01:2s", []gridsim.Fault{{Kind: gridsim.Fault429, Rate: 0.01, Param: 2 * time.Second}}},
		{"reset=0.01,lost=0.01", "reset=0.01,lost=0.01", []gridsim.Fault{{Kind: gridsim.FaultReset, Rate: 0.01}, {Kind: gridsim.FaultLost, Rate: 0.01}}},
		{"spike=0.01:500ms", "spike=0.01:500ms", []gridsim.Fault{{Kind: gridsim.FaultSpike, Rate: 0.01, Param: 500 * time.Millisecond}}},
		{"outage=10s+3s", "outage=10s+3s", []gridsim.Fault{{Kind: gridsim.FaultOutage, When: gridsim.Window{Start: 10 * time.Second, Length: 3 * time.Second}}}},
		{"OUTAGE=1m+5s/1h", "outage=1m+5s/1h", []gridsim.Fault{{Kind: gridsim.FaultOutage, When: gridsim.Window{Start: time.Minute, Length: 5 * time.Second, Every: time.Hour}}}},
		{"503=1@0s+2s/10s", "503=1@0s+2s/10s", []gridsim.Fault{{Kind: gridsim.Fault503, Rate: 1, When: gridsim.Window{Length: 2 * time.Second, Every: 10 * time.Second}}}},
		{"429=50%:3s@1m30s+30s", "429=0.5:3s@1m30s+30s", []gridsim.Fault{{Kind: gridsim.Fault429, Rate: 0.5, Param: 3 * time.Second, When: gridsim.Window{Start: 90 * time.Second, Length: 30 * time.Second}}}},
	} {
		fs, err := gridsim.ParseFaults(tc.spec)
		if err != nil {
			t.Errorf("%q: %v", tc.spec, err)
			continue
		}
		if !reflect.DeepEqual(fs.Faults, tc.want) || fs.String() != tc.canon {
			t.Errorf("%q: %+v %q, want %+v %q", tc.spec, fs.Faults, fs.String(), tc.want, tc.canon)
		}
	}
}

func TestParseFaultsErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ spec, item, msg string }{
		{"503", "503", "KIND=VALUE"},
		{"502=0.1", "502=0.1", "unknown kind"},
		{"503=0.1,,reset=0.1", "", "empty item"},
		{"503=1.5", "503=1.5", "outside [0, 1]"},
		{"503=abc", "503=abc", "want a fraction"},
		{"503=-1%", "503=-1%", "outside"},
		{"503=0.1:1s", "503=0.1:1s", "takes no duration"},
		{"spike=0.1", "spike=0.1", "needs a duration"},
		{"spike=0.1:fast", "spike=0.1:fast", "Go duration"},
		{"spike=0.1:20m", "spike=0.1:20m", "at most 10m"},
		{"429=0.1:1500ms", "429=0.1:1.5s", "whole seconds"},
		{"503ra=0.1:0s", "503ra=0.1", "whole seconds"},
		{"outage=10s", "outage=10s", "START+LENGTH"},
		{"outage=10s+0s", "outage=", "length must be more than 0"},
		{"outage=10s+5s/5s", "outage=10s+5s/5s", "shorter than its period"},
		{"503=0.1@-1s+2s", "503=0.1@-1s+2s", "negative"},
		{"503=0.6,reset=0.6", "", "add up to 1.2"},
	} {
		_, err := gridsim.ParseFaults(tc.spec)
		var fe *gridsim.FaultError
		if !errors.As(err, &fe) || !strings.Contains(fe.Msg, tc.msg) || (tc.item != "" && fe.Item != tc.item) {
			t.Errorf("%q: error %v, want item %q and %q", tc.spec, err, tc.item, tc.msg)
		}
	}
	if _, err := gridsim.New(gridsim.WithFaults(gridsim.FaultSpec{Faults: []gridsim.Fault{{Kind: "nope", Rate: 0.1}}})); err == nil {
		t.Error("WithFaults accepted an unknown kind")
	}
}

// FuzzParseFaults: the parser never panics, and what it accepts prints to a spec that parses
// back to the same faults.
func FuzzParseFaults(f *testing.F) {
	for _, s := range []string{"503=0.02,503ra=0.01:1s,429=0.01:2s,reset=0.01,lost=0.01,spike=0.01:500ms,outage=10s+3s",
		"503=1@0s+2s/10s", "429=50%:3s@1m30s+30s", "outage=1h+1m/2h", "spike=1e-3:1us", "503=0x1p-2", ",", "=@+/:%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		fs, err := gridsim.ParseFaults(spec)
		if err != nil {
			return
		}
		back, err := gridsim.ParseFaults(fs.String())
		if err != nil {
			t.Fatalf("%q printed as %q, which does not parse: %v", spec, fs.String(), err)
		}
		if !reflect.DeepEqual(back.Faults, fs.Faults) {
			t.Fatalf("%q: %+v, printed %q, parsed back %+v", spec, fs.Faults, fs.String(), back.Faults)
		}
	})
}
