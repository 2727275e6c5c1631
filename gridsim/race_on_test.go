//go:build race

package gridsim_test

// raceEnabled: the race detector slows the client and the server several times over, so
// timing tests give the cost model more wall time per request.
const raceEnabled = true
