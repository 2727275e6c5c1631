//go:build !race

package gridsim_test

const raceEnabled = false
