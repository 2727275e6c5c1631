package main

import (
	"context"
	"fmt"
)

// runExport is not built yet: it belongs to an open issue and says so instead of pretending.
func runExport(_ context.Context, e *env, _ []string) int {
	fmt.Fprintln(e.stderr, "turbowapi export: not built yet (see the open issues)")
	return exitUsage
}
