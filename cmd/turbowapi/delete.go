package main

import (
	"context"
	"fmt"
)

// runDelete is not built yet: it belongs to an open issue and says so instead of pretending.
func runDelete(_ context.Context, e *env, _ []string) int {
	fmt.Fprintln(e.stderr, "turbowapi delete: not built yet (see the open issues)")
	return exitUsage
}
