package bench

import (
	"cmp"
	"errors"
	"math"
	"slices"
)

// Point is a measured throughput at a number of requests in flight.
type Point struct {
	N float64 `json:"n"` // requests in flight
	X float64 `json:"x"` // objects per grid second
}

// USL is a fit of the Universal Scalability Law, X(N) = λ·N / (1 + σ(N−1) + κ·N(N−1)), to
// measured points (../shared/reference/concurrency-control.md §10).
type USL struct {
	// Sigma is the contention and Kappa the coherency; Lambda is X(1), the measured throughput
	// at one request in flight.
	Sigma  float64 `json:"sigma"`
	Kappa  float64 `json:"kappa"`
	Lambda float64 `json:"lambda"`
	// Peak is N* = √((1−σ)/κ), the number in flight with the most throughput; 0 when κ is 0
	// (no retrograde region: the curve keeps rising).
	Peak float64 `json:"peak"`
	// PeakX is the fitted throughput at Peak (0 when Peak is 0).
	PeakX float64 `json:"peak_x"`
	// Clamped is set when the unconstrained fit fell outside σ ∈ [0, 1), κ ≥ 0 and the
	// parameter was held at its bound.
	Clamped bool `json:"clamped,omitempty"`
	// Points are the points fitted, and Residuals the relative error of the fit at each
	// ((fit − measured) / measured): where the measurements leave the curve.
	Points    []Point   `json:"points"`
	Residuals []float64 `json:"residuals"`
}

// ErrUSLPoints is returned by FitUSL when the points do not allow a fit: it needs a point at
// N = 1 and at least two points above it, all with positive throughput.
var ErrUSLPoints = errors.New("bench: a USL fit needs X(1) and at least two points above N = 1")

// X returns the fitted throughput at n.
func (u *USL) X(n float64) float64 {
	return u.Lambda * n / (1 + u.Sigma*(n-1) + u.Kappa*n*(n-1))
}

// FitUSL fits the USL to points by the linearised least squares of concurrency-control.md
// §10: with C = X/X(1), x = N−1 and y = N/C − 1, y = (σ+κ)·x + κ·x², a quadratic through the
// origin fitted by ordinary least squares; κ = the x² coefficient, σ = the x coefficient − κ.
// σ is then held in [0, 1) and κ ≥ 0, refitting the other parameter when one is held. When
// several points share N = 1 their mean is X(1).
func FitUSL(points []Point) (*USL, error) {
	var x1 []float64
	var rest []Point
	for _, p := range points {
		if !(p.X > 0) || !(p.N >= 1) {
			return nil, ErrUSLPoints
		}
		if p.N == 1 {
			x1 = append(x1, p.X)
		} else {
			rest = append(rest, p)
		}
	}
	if len(x1) == 0 || len(rest) < 2 {
		return nil, ErrUSLPoints
	}
	lambda := 0.0
	for _, v := range x1 {
		lambda += v
	}
	lambda /= float64(len(x1))
	var sxx, sx3, sx4, sxy, sx2y float64
	xs := make([]float64, len(rest))
	ys := make([]float64, len(rest))
	for i, p := range rest {
		c := p.X / lambda
		x := p.N - 1
		y := p.N/c - 1
		xs[i], ys[i] = x, y
		sxx += x * x
		sx3 += x * x * x
		sx4 += x * x * x * x
		sxy += x * y
		sx2y += x * x * y
	}
	det := sxx*sx4 - sx3*sx3
	var a, b float64
	if det != 0 {
		a = (sxy*sx4 - sx2y*sx3) / det
		b = (sxx*sx2y - sx3*sxy) / det
	}
	u := &USL{Lambda: lambda, Sigma: a - b, Kappa: b}
	if det == 0 || u.Kappa < 0 {
		// no coherency: y = σ·x.
		u.Kappa = 0
		u.Sigma = sxy / sxx
		u.Clamped = true
	}
	if u.Sigma < 0 {
		// no contention: y = κ·(x + x²).
		u.Sigma = 0
		var num, den float64
		for i, x := range xs {
			z := x + x*x
			num += ys[i] * z
			den += z * z
		}
		u.Kappa = max(0, num/den)
		u.Clamped = true
	}
	if u.Sigma >= 1 {
		u.Sigma = math.Nextafter(1, 0)
		u.Clamped = true
	}
	if u.Kappa > 0 {
		u.Peak = math.Sqrt((1 - u.Sigma) / u.Kappa)
		u.PeakX = u.X(u.Peak)
	}
	u.Points = slices.Clone(points)
	slices.SortStableFunc(u.Points, func(p, q Point) int { return cmp.Compare(p.N, q.N) })
	u.Residuals = make([]float64, len(u.Points))
	for i, p := range u.Points {
		u.Residuals[i] = (u.X(p.N) - p.X) / p.X
	}
	return u, nil
}
