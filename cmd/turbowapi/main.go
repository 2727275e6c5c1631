// Command turbowapi moves data into and out of Infoblox NIOS grids through WAPI as fast as a grid
// can take it, without losing anything.
//
// This package only parses flags and wires the library packages together; see DEVELOPERS.md.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit statuses shared by every subcommand.
const (
	exitOK      = 0 // every object succeeded or already existed
	exitFailed  = 1 // the command ran but some objects failed
	exitUsage   = 2 // usage or input error: nothing was sent
	exitSignals = 130
)

// env is what a subcommand may touch of the outside world, so tests can run commands in-process.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// stdinFile and stderrFile are the real files when the command runs as a process; nil in
	// tests. They are used to detect terminals (progress bar, password prompt).
	stdinFile  *os.File
	stderrFile *os.File
}

type command struct {
	summary string
	run     func(ctx context.Context, e *env, args []string) int
}

func commands() map[string]command {
	return map[string]command{
		"bench":   {"replay the founding experiment on a simulated or real grid", runBench},
		"sim":     {"run a WAPI-compatible simulated grid", runSim},
		"load":    {"load objects from CSV, JSON or a generator into a grid", runLoad},
		"delete":  {"delete what a load created, or objects matching a search", runDelete},
		"export":  {"export objects of a type as CSV, JSON or JSON lines", runExport},
		"version": {"print the version", runVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	e := &env{
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv,
		stdinFile: os.Stdin, stderrFile: os.Stderr,
	}
	code := run(ctx, e, os.Args[1:])
	stop()
	os.Exit(code)
}

// run dispatches to a subcommand and returns the process exit status.
func run(ctx context.Context, e *env, args []string) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.stderr, cmds)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "turbowapi: unknown command %q\n\n", args[0])
		usage(e.stderr, cmds)
		return exitUsage
	}
	if passwordFlag(args[1:]) {
		msg := passwordFlagMsg
		if args[0] == "sim" {
			msg = "the grid's password is never given as a flag (it would show in ps): use --password-file or $TURBOWAPI_SIM_PASSWORD"
		}
		fmt.Fprintf(e.stderr, "turbowapi %s: --password: %s\n", args[0], msg)
		return exitUsage
	}
	return c.run(ctx, e, args[1:])
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintf(w, "turbowapi %s: fast, lossless bulk changes to Infoblox NIOS grids through WAPI\n\n", version)
	fmt.Fprintf(w, "usage: turbowapi <command> [flags]\n\ncommands:\n")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintf(w, "\nRun 'turbowapi <command> -h' for the flags of a command.\n")
}

func runVersion(_ context.Context, e *env, _ []string) int {
	fmt.Fprintf(e.stdout, "turbowapi %s\n", version)
	return exitOK
}
