package main

import (
	"context"
	"fmt"
)

// runLoad is not built yet: it belongs to an open issue and says so instead of pretending.
func runLoad(_ context.Context, e *env, _ []string) int {
	fmt.Fprintln(e.stderr, "turbowapi load: not built yet (see the open issues)")
	return exitUsage
}
