package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"golang.org/x/term"

	"github.com/turbowapi/turbowapi/bulk"
	"github.com/turbowapi/turbowapi/input"
	"github.com/turbowapi/turbowapi/internal/progress"
	"github.com/turbowapi/turbowapi/wapi"
)

// maxShownTargets is the number of objects --dry-run lists.
const maxShownTargets = 20

// runDelete deletes what a load created (--journal), or the objects a search finds.
func runDelete(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("delete", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var cf connFlags
	cf.register(fs)
	var ef engineFlags
	ef.register(fs, "delete", "out-journal")
	var sf searchFlags
	sf.register(fs)
	undo := fs.String("journal", "", "undo the load of this journal: delete exactly the objects it created, in reverse order")
	all := fs.Bool("all", false, "with --type and no --filter: delete every object of the type")
	dryRun := fs.Bool("dry-run", false, "list what would be deleted and stop")
	yes := fs.Bool("yes", false, "do not ask for confirmation")
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: turbowapi delete --journal LOAD-JOURNAL [flags]\n"+
			"       turbowapi delete --type T --filter FIELD=VALUE... [flags]\n\n"+
			"Delete what a load created (undo), or the objects a search finds. Asks for confirmation\n"+
			"on a terminal unless --yes; refuses without a terminal and without --yes.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	fail := func(err error) int { return reportErr(e, "delete", err) }
	if fs.NArg() > 0 {
		return fail(usagef("unexpected argument %q", fs.Arg(0)))
	}
	switch {
	case *undo != "" && (sf.typ != "" || len(sf.filters) > 0):
		return fail(usagef("--journal undoes a load; --type and --filter select by search: give one or the other"))
	case *undo == "" && sf.typ == "":
		return fail(usagef("nothing to delete: give --journal LOAD-JOURNAL, or --type T with --filter"))
	case *undo == "" && len(sf.filters) == 0 && !*all:
		return fail(usagef("--type %s without --filter would delete every %s: add --all if that is what you mean", sf.typ, sf.typ))
	}
	opts, err := ef.engineOptions()
	if err != nil {
		return fail(err)
	}
	if err := checkNewJournal("out-journal", ef.journal); err != nil {
		return fail(err)
	}
	spool, err := bulk.NewSpool(ef.spoolDir)
	if err != nil {
		return fail(err)
	}
	defer spool.Close()

	// What to delete is checked before connecting: a bad journal or search sends nothing.
	var what string
	var t input.Type
	var q *wapi.Query
	if *undo != "" {
		n, err := undoItems(*undo, spool)
		if err != nil {
			return fail(&inputError{err})
		}
		what = fmt.Sprintf("%s objects created by the load of %s", progress.Int(n), *undo)
	} else if t, q, err = sf.query(); err != nil {
		return fail(err)
	}
	eng, client, code := startEngine(ctx, e, &cf, opts)
	if eng == nil {
		return code
	}
	defer client.Close(context.Background())
	if *undo == "" {
		n, err := searchItems(ctx, eng, t, q, spool)
		if err != nil {
			return fail(err)
		}
		what = fmt.Sprintf("%s %s objects matching %s", progress.Int(n), t.Name, strings.Join(sf.filters, " "))
		if len(sf.filters) == 0 {
			what = fmt.Sprintf("every %s object (%s)", t.Name, progress.Int(n))
		}
	}
	if spool.Valid() == 0 {
		fmt.Fprintf(e.stderr, "delete: nothing to delete (%s)\n", what)
		return exitOK
	}
	if *dryRun {
		fmt.Fprintf(e.stdout, "would delete %s:\n", what)
		listTargets(e.stdout, spool)
		return exitOK
	}
	if !*yes {
		ok, err := confirm(e, fmt.Sprintf("delete %s? [y/N] ", what))
		if err != nil {
			return fail(err)
		}
		if !ok {
			fmt.Fprintln(e.stderr, "delete: nothing deleted")
			return exitFailed
		}
	}
	sources := []string{"undo:" + *undo}
	if *undo == "" {
		sources = append([]string{"type:" + sf.typ}, sf.filters...)
	}
	hdr := journalHeader("delete", sources, &ef, &cf, e)
	path, rj, err := newJournal(ef.journal, "delete", hdr)
	if err != nil {
		return fail(err)
	}
	stop := showProgress(e, "delete", eng)
	sum, err := eng.Delete(ctx, spool, rj)
	stop()
	return finishRun(e, "delete", path, rj, sum, err, ef.jsonOut)
}

// searchItems spools every object the search finds, with its ref; a page read that fails
// transiently is repeated.
func searchItems(ctx context.Context, c *bulk.Engine, t input.Type, q *wapi.Query, spool *bulk.Spool) (int64, error) {
	var n int64
	for obj, err := range c.SearchAll(ctx, t.Name, q, wapi.DefaultPageSize) {
		if err != nil {
			return n, err
		}
		ph := input.Phase(input.Object{Type: t.Name, Fields: obj})
		it := &bulk.Item{Ordinal: n, Source: "search", Line: int(n + 1), Type: t.Name, Ref: obj.Ref(), Phase: -ph}
		if err := spool.Add(it); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// listTargets prints the first objects to delete.
func listTargets(w io.Writer, s *bulk.Spool) {
	shown := 0
	s.Each(func(it *bulk.Item) bool {
		fmt.Fprintf(w, "  %s\n", it.Ref)
		shown++
		return shown < maxShownTargets
	})
	if n := s.Valid(); n > int64(shown) {
		fmt.Fprintf(w, "  ... and %s more\n", progress.Int(n-int64(shown)))
	}
}

// confirm asks on the terminal; without a terminal it refuses.
func confirm(e *env, question string) (bool, error) {
	if e.stdinFile == nil || !term.IsTerminal(int(e.stdinFile.Fd())) {
		return false, usagef("refusing to delete without confirmation: standard input is not a terminal (add --yes)")
	}
	fmt.Fprint(e.stderr, question)
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return false, err
	}
	a := strings.ToLower(strings.TrimSpace(line))
	return a == "y" || a == "yes", nil
}

// undoPhase is the deletion phase of an object a load created: the reverse of its load
// phase, computed from its type and key ("network=10.0.0.0/16&network_view=default"), so
// records go before zones, subzones before zones, networks before containers and longer
// prefixes before shorter ones.
func undoPhase(typ, key string) int {
	fields := map[string]any{}
	for kv := range strings.SplitSeq(key, "&") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			fields[k] = v
		}
	}
	return -input.Phase(input.Object{Type: typ, Fields: fields})
}
