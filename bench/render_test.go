package bench

import (
	"bytes"
	"strings"
	"testing"
)

func TestGoldenText(t *testing.T) {
	var b bytes.Buffer
	if err := WriteText(&b, fixtureResult()); err != nil {
		t.Fatal(err)
	}
	golden(t, "text.golden", b.Bytes())
}

func TestGoldenJSON(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, fixtureResult()); err != nil {
		t.Fatal(err)
	}
	golden(t, "result.json.golden", b.Bytes())
}

func TestGoldenHTML(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTML(&b, fixtureResult()); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.html.golden", b.Bytes())
}

func TestGoldenSweepText(t *testing.T) {
	var b bytes.Buffer
	if err := WriteSweepText(&b, fixtureSweep()); err != nil {
		t.Fatal(err)
	}
	golden(t, "sweep.golden", b.Bytes())
}

func TestGoldenSweepJSON(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, fixtureSweep()); err != nil {
		t.Fatal(err)
	}
	golden(t, "sweep.json.golden", b.Bytes())
}

func TestGoldenSweepHTML(t *testing.T) {
	var b bytes.Buffer
	if err := WriteSweepHTML(&b, fixtureSweep()); err != nil {
		t.Fatal(err)
	}
	golden(t, "sweep.html.golden", b.Bytes())
}

// TestHTMLSelfContained checks that the reports fetch nothing: no external URL in a src,
// href, url() or @import, and the charts are inline SVG.
func TestHTMLSelfContained(t *testing.T) {
	for name, write := range map[string]func(*bytes.Buffer) error{
		"run":   func(b *bytes.Buffer) error { return WriteHTML(b, fixtureResult()) },
		"sweep": func(b *bytes.Buffer) error { return WriteSweepHTML(b, fixtureSweep()) },
	} {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			t.Fatal(err)
		}
		s := b.String()
		for _, bad := range []string{"src=", "href=", "url(http", "@import", "<script", "<link"} {
			if strings.Contains(s, bad) {
				t.Errorf("%s report contains %q", name, bad)
			}
		}
		if n := strings.Count(s, "<svg "); n < 3 {
			t.Errorf("%s report has %d inline charts, want at least 3", name, n)
		}
	}
}

// TestTextLabels checks what the table must say: the article's medians beside the rows it
// measured, [new] on the others, the timed login, and every assumption.
func TestTextLabels(t *testing.T) {
	res := fixtureResult()
	var b bytes.Buffer
	if err := WriteText(&b, res); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	for _, want := range []string{
		"16 threads [new]", "one request call [new]", "turbowapi auto [new]", "8 in flight *", "33.64", "19.39", "55.50",
		"login outside the timer unless marked *", res.Assumptions[0],
	} {
		if !strings.Contains(s, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	if strings.Contains(s, "sequential [new]") || strings.Contains(s, "sequential *") {
		t.Error("the sequential row is marked new or timed with login")
	}
}
