package bench

import (
	"math"
	"slices"
)

// Median returns the median of xs (the mean of the two middle values for an even count), or
// NaN for none. xs is not modified.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Improvement returns how much shorter t is than base, in per cent of base: the article's
// "% improvement" ((base − t) / base × 100). Positive when t is faster. NaN when base is not
// positive.
func Improvement(base, t float64) float64 {
	if !(base > 0) {
		return math.NaN()
	}
	return (base - t) / base * 100
}

// Deviation returns how far got is from want, in per cent of want ((got − want) / want ×
// 100). NaN when want is not positive.
func Deviation(got, want float64) float64 {
	if !(want > 0) {
		return math.NaN()
	}
	return (got - want) / want * 100
}

// Rate returns objects per second, or 0 when seconds is not positive.
func Rate(objects int, seconds float64) float64 {
	if !(seconds > 0) {
		return 0
	}
	return float64(objects) / seconds
}

// round rounds v to n decimals.
func round(v float64, n int) float64 {
	p := math.Pow(10, float64(n))
	return math.Round(v*p) / p
}
