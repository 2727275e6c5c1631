package main

import (
	"context"
	"fmt"
)

// runSim is not built yet: it belongs to an open issue and says so instead of pretending.
func runSim(_ context.Context, e *env, _ []string) int {
	fmt.Fprintln(e.stderr, "turbowapi sim: not built yet (see the open issues)")
	return exitUsage
}
