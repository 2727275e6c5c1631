package main

import (
	"context"
	"fmt"
)

// runBench is not built yet: it belongs to an open issue and says so instead of pretending.
func runBench(_ context.Context, e *env, _ []string) int {
	fmt.Fprintln(e.stderr, "turbowapi bench: not built yet (see the open issues)")
	return exitUsage
}
