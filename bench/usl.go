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
	// Clamped is set when the fit lies on a bound of σ ∈ [0, 1) or κ ≥ 0 that the data push
	// against: the unconstrained linearised fit fell outside, and the refined fit stayed on
	// the bound.
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

// FitUSL fits the USL to points in two steps (concurrency-control.md §10). First the
// linearised least squares: with C = X/X(1), x = N−1 and y = N/C − 1, y = (σ+κ)·x + κ·x², a
// quadratic through the origin fitted by ordinary least squares; κ = the x² coefficient, σ =
// the x coefficient − κ, then σ held in [0, 1) and κ ≥ 0, refitting the other parameter when
// one is held (Clamped). That fit weighs the points by y, which grows with N², so the largest
// N dominates it. It is then refined by minimising the sum of the squared relative residuals
// ((fit − measured) / measured) over σ ∈ [0, 1) and κ ≥ 0 with λ held at X(1) (the non-linear
// least squares of §10 on relative errors): every point counts alike. When several points
// share N = 1 their mean is X(1).
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
	clamped := false
	if det == 0 || u.Kappa < 0 {
		// no coherency: y = σ·x.
		u.Kappa = 0
		u.Sigma = sxy / sxx
		clamped = true
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
		clamped = true
	}
	if u.Sigma >= 1 {
		u.Sigma = uslSigmaMax
		clamped = true
	}
	u.Sigma, u.Kappa = refineUSL(lambda, rest, u.Sigma, u.Kappa)
	u.Clamped = clamped && (u.Sigma == 0 || u.Kappa == 0 || u.Sigma == uslSigmaMax)
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

// uslSigmaMax is the largest σ a fit gives (σ < 1).
const uslSigmaMax = 0.999

// relSSE is the sum of the squared relative residuals of a USL curve at points.
func relSSE(lambda, sigma, kappa float64, points []Point) float64 {
	u := USL{Lambda: lambda, Sigma: sigma, Kappa: kappa}
	e := 0.0
	for _, p := range points {
		r := (u.X(p.N) - p.X) / p.X
		e += r * r
	}
	return e
}

// refineUSL minimises relSSE over σ ∈ [0, 1) and κ ≥ 0, from (sigma, kappa) and from the best
// point of a coarse grid (σ by 0.01, κ = 0 and 10⁻⁶ to 1 on a log scale), by a pattern search
// in (σ, log κ) whose steps halve until they are below 10⁻⁹. It is deterministic and takes
// about 12,500 evaluations, 12,200 of them the coarse grid.
func refineUSL(lambda float64, points []Point, sigma, kappa float64) (float64, float64) {
	cost := func(s, k float64) float64 { return relSSE(lambda, s, k, points) }
	bs, bk, be := sigma, kappa, cost(sigma, kappa)
	try := func(s, k float64) bool {
		s, k = min(max(s, 0), uslSigmaMax), max(k, 0)
		if e := cost(s, k); e < be {
			bs, bk, be = s, k, e
			return true
		}
		return false
	}
	for i := range 100 {
		s := float64(i) / 100
		try(s, 0)
		for j := 0; j <= 120; j++ {
			try(s, math.Pow(10, -6+float64(j)/20))
		}
	}
	// Pattern search: σ by ds, κ by a factor e^dl (or from 0 to a small value).
	ds, dl := 0.01, 0.1
	for range 100000 {
		if ds <= 1e-9 && dl <= 1e-9 {
			break
		}
		moved := try(bs+ds, bk) || try(bs-ds, bk)
		if bk > 0 {
			moved = try(bs, bk*math.Exp(dl)) || try(bs, bk*math.Exp(-dl)) || moved
		} else {
			moved = try(bs, 1e-7) || moved
		}
		if !moved {
			ds, dl = ds/2, dl/2
		}
	}
	return bs, bk
}
