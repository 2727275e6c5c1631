package bench

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// axis maps values to pixels along one side of a chart.
type axis struct {
	min, max float64
	log2     bool
	label    string
	ticks    []float64
	format   func(float64) string
}

func (a axis) frac(v float64) float64 {
	lo, hi := a.min, a.max
	if a.log2 {
		v, lo, hi = math.Log2(max(v, 1e-9)), math.Log2(lo), math.Log2(hi)
	}
	if hi == lo {
		return 0
	}
	return (v - lo) / (hi - lo)
}

func (a axis) tick(v float64) string {
	if a.format != nil {
		return a.format(v)
	}
	return trimFloat(v)
}

// trimFloat prints v with at most two decimals and no trailing zeros.
func trimFloat(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		s = "0"
	}
	return s
}

// linearAxis returns an axis from 0 (or lo) to a round number at or above hi, with about n
// ticks.
func linearAxis(lo, hi float64, n int, label string) axis {
	if !(hi > lo) {
		hi = lo + 1
	}
	step := niceStep((hi - lo) / float64(n))
	top := math.Ceil(hi/step-1e-9) * step
	bottom := math.Floor(lo/step+1e-9) * step
	a := axis{min: bottom, max: top, label: label}
	for v := bottom; v <= top+step/2; v += step {
		a.ticks = append(a.ticks, v)
	}
	return a
}

// niceStep rounds a raw step up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if !(raw > 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw-1e-12 {
			return m * p
		}
	}
	return 10 * p
}

// log2Axis returns a base-2 logarithmic axis over powers of two from lo to hi.
func log2Axis(lo, hi float64, label string) axis {
	lo = math.Pow(2, math.Floor(math.Log2(max(lo, 1))))
	hi = math.Pow(2, math.Ceil(math.Log2(max(hi, lo*2))))
	a := axis{min: lo, max: hi, log2: true, label: label}
	for v := lo; v <= hi; v *= 2 {
		a.ticks = append(a.ticks, v)
	}
	return a
}

// series is one set of points drawn on a chart.
type series struct {
	name   string
	color  string
	points []Point
	line   bool   // join the points
	step   bool   // join as a step function (value holds until the next point)
	dash   string // stroke-dasharray of the line
	marker string // "dot", "ring", "" (none)
}

// chart draws series on x and y axes as an SVG element.
type chart struct {
	id     string // unique in the page: names the clip path
	title  string
	width  float64
	height float64
	x, y   axis
	series []series
}

const (
	padLeft   = 58.0
	padRight  = 16.0
	padTop    = 30.0
	padBottom = 44.0
)

func (c *chart) px(v float64) float64 {
	return padLeft + c.x.frac(v)*(c.width-padLeft-padRight)
}

func (c *chart) py(v float64) float64 {
	return c.height - padBottom - c.y.frac(v)*(c.height-padTop-padBottom)
}

func f1(v float64) string { return fmt.Sprintf("%.1f", v) }

func (c *chart) svg() string {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-label="%s">`+"\n",
		f1(c.width), f1(c.height), f1(c.width), f1(c.height), html.EscapeString(c.title))
	fmt.Fprintf(&b, `<text x="%s" y="18" class="title">%s</text>`+"\n", f1(padLeft), html.EscapeString(c.title))
	x0, x1 := padLeft, c.width-padRight
	y0, y1 := c.height-padBottom, padTop
	for _, t := range c.y.ticks {
		y := c.py(t)
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" class="grid"/>`+"\n", f1(x0), f1(y), f1(x1), f1(y))
		fmt.Fprintf(&b, `<text x="%s" y="%s" class="tick" text-anchor="end">%s</text>`+"\n", f1(x0-6), f1(y+4), html.EscapeString(c.y.tick(t)))
	}
	for _, t := range c.x.ticks {
		x := c.px(t)
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" class="grid"/>`+"\n", f1(x), f1(y0), f1(x), f1(y1))
		fmt.Fprintf(&b, `<text x="%s" y="%s" class="tick" text-anchor="middle">%s</text>`+"\n", f1(x), f1(y0+16), html.EscapeString(c.x.tick(t)))
	}
	fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" class="axis"/>`+"\n", f1(x0), f1(y0), f1(x1), f1(y0))
	fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" class="axis"/>`+"\n", f1(x0), f1(y0), f1(x0), f1(y1))
	fmt.Fprintf(&b, `<text x="%s" y="%s" class="label" text-anchor="middle">%s</text>`+"\n", f1((x0+x1)/2), f1(c.height-8), html.EscapeString(c.x.label))
	fmt.Fprintf(&b, `<text x="14" y="%s" class="label" text-anchor="middle" transform="rotate(-90 14 %s)">%s</text>`+"\n",
		f1((y0+y1)/2), f1((y0+y1)/2), html.EscapeString(c.y.label))
	fmt.Fprintf(&b, `<clipPath id="%s"><rect x="%s" y="%s" width="%s" height="%s"/></clipPath>`+"\n",
		c.id, f1(x0), f1(y1-6), f1(x1-x0+6), f1(y0-y1+6))
	for _, s := range c.series {
		if (s.line || s.step) && len(s.points) > 1 {
			var d strings.Builder
			for i, p := range s.points {
				x, y := c.px(p.N), c.py(p.X)
				switch {
				case i == 0:
					fmt.Fprintf(&d, "M%s %s", f1(x), f1(y))
				case s.step:
					fmt.Fprintf(&d, " H%s V%s", f1(x), f1(y))
				default:
					fmt.Fprintf(&d, " L%s %s", f1(x), f1(y))
				}
			}
			dash := ""
			if s.dash != "" {
				dash = fmt.Sprintf(` stroke-dasharray="%s"`, s.dash)
			}
			fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="2"%s clip-path="url(#%s)"/>`+"\n", d.String(), s.color, dash, c.id)
		}
		for _, p := range s.points {
			x, y := c.px(p.N), c.py(p.X)
			switch s.marker {
			case "dot":
				fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="4" fill="%s"/>`+"\n", f1(x), f1(y), s.color)
			case "ring":
				fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="5" fill="white" stroke="%s" stroke-width="2"/>`+"\n", f1(x), f1(y), s.color)
			}
		}
	}
	// legend, top right
	lx, ly := x1-170, y1+6
	n := 0
	for _, s := range c.series {
		if s.name == "" {
			continue
		}
		y := ly + float64(n)*16
		switch {
		case s.line || s.step:
			dash := ""
			if s.dash != "" {
				dash = fmt.Sprintf(` stroke-dasharray="%s"`, s.dash)
			}
			fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2"%s/>`+"\n", f1(lx), f1(y), f1(lx+18), f1(y), s.color, dash)
		case s.marker == "ring":
			fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="4" fill="white" stroke="%s" stroke-width="2"/>`+"\n", f1(lx+9), f1(y), s.color)
		default:
			fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="4" fill="%s"/>`+"\n", f1(lx+9), f1(y), s.color)
		}
		fmt.Fprintf(&b, `<text x="%s" y="%s" class="legend">%s</text>`+"\n", f1(lx+24), f1(y+4), html.EscapeString(s.name))
		n++
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// bar is one bar of a horizontal bar chart, with an optional reference mark.
type bar struct {
	label string
	value float64
	color string
	text  string
	// ref, when positive, is drawn as a mark on the bar (the article's figure).
	ref float64
}

// barChart draws horizontal bars with their labels on the left.
func barChart(title, unit, refName string, bars []bar) string {
	const (
		width  = 720.0
		left   = 190.0
		right  = 90.0
		rowH   = 24.0
		top    = 34.0
		bottom = 40.0
	)
	height := top + bottom + rowH*float64(len(bars))
	hi := 0.0
	for _, b := range bars {
		hi = max(hi, b.value, b.ref)
	}
	ax := linearAxis(0, hi, 6, unit)
	pos := func(v float64) float64 { return left + ax.frac(v)*(width-left-right) }
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-label="%s">`+"\n",
		f1(width), f1(height), f1(width), f1(height), html.EscapeString(title))
	fmt.Fprintf(&s, `<text x="%s" y="18" class="title">%s</text>`+"\n", f1(left), html.EscapeString(title))
	yb := height - bottom
	for _, t := range ax.ticks {
		x := pos(t)
		fmt.Fprintf(&s, `<line x1="%s" y1="%s" x2="%s" y2="%s" class="grid"/>`+"\n", f1(x), f1(top-4), f1(x), f1(yb))
		fmt.Fprintf(&s, `<text x="%s" y="%s" class="tick" text-anchor="middle">%s</text>`+"\n", f1(x), f1(yb+16), html.EscapeString(ax.tick(t)))
	}
	fmt.Fprintf(&s, `<text x="%s" y="%s" class="label" text-anchor="middle">%s</text>`+"\n", f1((left+width-right)/2), f1(height-6), html.EscapeString(unit))
	haveRef := false
	for i, b := range bars {
		y := top + float64(i)*rowH
		fmt.Fprintf(&s, `<text x="%s" y="%s" class="tick" text-anchor="end">%s</text>`+"\n", f1(left-8), f1(y+rowH/2+4), html.EscapeString(b.label))
		fmt.Fprintf(&s, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"/>`+"\n", f1(left), f1(y+4), f1(pos(b.value)-left), f1(rowH-8), b.color)
		fmt.Fprintf(&s, `<text x="%s" y="%s" class="tick">%s</text>`+"\n", f1(pos(max(b.value, b.ref))+6), f1(y+rowH/2+4), html.EscapeString(b.text))
		if b.ref > 0 {
			haveRef = true
			x := pos(b.ref)
			fmt.Fprintf(&s, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#ea580c" stroke-width="3"/>`+"\n", f1(x), f1(y+1), f1(x), f1(y+rowH-1))
		}
	}
	if haveRef && refName != "" {
		fmt.Fprintf(&s, `<line x1="%s" y1="8" x2="%s" y2="22" stroke="#ea580c" stroke-width="3"/>`+"\n", f1(width-150), f1(width-150))
		fmt.Fprintf(&s, `<text x="%s" y="19" class="legend">%s</text>`+"\n", f1(width-143), html.EscapeString(refName))
	}
	s.WriteString("</svg>\n")
	return s.String()
}
