package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/turbowapi/turbowapi/bulk"
	"github.com/turbowapi/turbowapi/input"
	"github.com/turbowapi/turbowapi/internal/progress"
	"github.com/turbowapi/turbowapi/journal"
	"github.com/turbowapi/turbowapi/wapi"
)

// journalHeader describes the run at the top of its journal; it never holds a secret (the
// grid's URL loses any user information).
func journalHeader(command string, sources []string, ef *engineFlags, cf *connFlags, e *env) journal.Header {
	grid := cf.gridArg(e)
	if u, err := url.Parse(grid); err == nil && u.User != nil {
		u.User = nil
		grid = u.String()
	} else if err != nil {
		grid = ""
	}
	return journal.Header{Command: command, Sources: sources, Grid: grid, Strategy: ef.strategy,
		OnConflict: ef.onConflict, Tool: "turbowapi " + version}
}

// resumeJournal reads a journal's resume state and reopens it for appending.
func resumeJournal(path string, h journal.Header) (*journal.Writer, bulk.Resume, error) {
	w, st, err := journal.Resume(path, h)
	if err != nil {
		if errors.Is(err, journal.ErrMismatch) {
			return nil, nil, usagef("--resume: %v", err)
		}
		return nil, nil, err
	}
	return w, st, nil
}

// undoItems spools, for deletion, the objects a load's journal says it created, with the
// reverse of their load phase. A journal whose load did not finish cleanly is refused:
// objects in flight when it stopped may exist without the journal knowing their ref.
func undoItems(path string, spool *bulk.Spool) (int64, error) {
	st, err := journal.Load(path)
	if err != nil {
		return 0, err
	}
	if st.Header.Command != "load" {
		return 0, fmt.Errorf("%s is the journal of a %s, not of a load: only a load can be undone", path, st.Header.Command)
	}
	if st.InFlightCount > 0 {
		return 0, fmt.Errorf("%s: the load stopped with %s objects in flight, whose outcome it does not know: finish it with turbowapi load --resume %s, then undo it",
			path, progress.Int(st.InFlightCount), path)
	}
	var n int64
	_, err = journal.Read(path, func(r journal.Record) error {
		if r.Kind != journal.KindOutcome || r.Outcome.Status != bulk.StatusCreated {
			return nil
		}
		o := r.Outcome
		if o.Ref == "" {
			return fmt.Errorf("journal %s:%d: object %d was created but its ref is not known", path, r.Line, o.Ordinal)
		}
		it := &bulk.Item{Ordinal: o.Ordinal, Source: path, Line: r.Line, Type: o.Type, Ref: o.Ref,
			Phase: undoPhase(o.Type, o.Key)}
		if err := spool.Add(it); err != nil {
			var de *bulk.DuplicateError
			if errors.As(err, &de) {
				return nil // one object, journaled twice: delete it once
			}
			return err
		}
		n++
		return nil
	})
	return n, err
}

// maxShownInvalid is the number of invalid rows printed; all of them are counted (and, with
// --skip-invalid, journaled).
const maxShownInvalid = 20

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, "; ") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// engineFlags are the flags of the engine shared by load and delete.
type engineFlags struct {
	strategy, onConflict string
	conc, batch, maxConc int
	attempts             int
	retryBase, retryCap  time.Duration
	jsonOut              bool
	spoolDir             string
	journal              string
	// fs is the flag set the flags were registered on, to tell a flag given as 0 from one
	// not given.
	fs *flag.FlagSet
}

// register adds the flags; the journal of the run is --journalFlag.
func (f *engineFlags) register(fs *flag.FlagSet, op, journalFlag string) {
	f.fs = fs
	fs.StringVar(&f.strategy, "strategy", string(bulk.DefaultStrategy), "sequential | concurrent | batch | auto (adaptive concurrency and batch size)")
	fs.IntVar(&f.conc, "concurrency", 0, fmt.Sprintf("requests in flight: concurrent (default %d), concurrent batches with batch (default 1), pinned with auto", bulk.DefaultConcurrency))
	fs.IntVar(&f.batch, "batch-size", 0, fmt.Sprintf("objects per request call: batch (default %d), pinned with auto", bulk.DefaultBatchSize))
	fs.IntVar(&f.maxConc, "max-concurrency", bulk.DefaultMaxConcurrency, "most requests in flight of auto")
	fs.IntVar(&f.attempts, "max-attempts", bulk.DefaultMaxAttempts, "most write attempts per object on transient failures")
	fs.DurationVar(&f.retryBase, "retry-base", bulk.DefaultRetryBase, "first retry's longest wait (exponential backoff, full jitter)")
	fs.DurationVar(&f.retryCap, "retry-cap", bulk.DefaultRetryCap, "longest wait between retries (Retry-After may ask for more)")
	fs.BoolVar(&f.jsonOut, "json", false, "print the summary as JSON on stdout")
	fs.StringVar(&f.spoolDir, "spool-dir", "", "directory of the temporary files of the first pass (default: the system's)")
	fs.StringVar(&f.journal, journalFlag, "", "journal file (JSON lines; default turbowapi-"+op+"-<time>.jsonl in the current directory)")
}

// engineOptions checks the flags and returns the engine's options.
func (f *engineFlags) engineOptions() ([]bulk.Option, error) {
	st, err := bulk.ParseStrategy(f.strategy)
	if err != nil {
		return nil, usagef("--strategy: %v", err)
	}
	opts := []bulk.Option{bulk.WithStrategy(st)}
	if f.maxConc != bulk.DefaultMaxConcurrency {
		opts = append(opts, bulk.WithMaxConcurrency(f.maxConc))
	}
	// 0 means the strategy's default, unless given: --concurrency 0 is an error.
	if f.conc != 0 || f.given("concurrency") {
		opts = append(opts, bulk.WithConcurrency(f.conc))
	}
	if f.batch != 0 || f.given("batch-size") {
		opts = append(opts, bulk.WithBatchSize(f.batch))
	}
	opts = append(opts, bulk.WithRetry(f.retryBase, f.retryCap, f.attempts))
	if f.onConflict != "" {
		p, err := bulk.ParseConflictPolicy(f.onConflict)
		if err != nil {
			return nil, usagef("--on-conflict: %v", err)
		}
		opts = append(opts, bulk.WithConflictPolicy(p))
	}
	// Check the combination now: usage errors come before any work.
	if _, err := bulk.CheckOptions(opts...); err != nil {
		return nil, usagef("%v", strings.TrimPrefix(err.Error(), "bulk: "))
	}
	return opts, nil
}

// given reports whether the flag was on the command line.
func (f *engineFlags) given(name string) bool {
	found := false
	if f.fs != nil {
		f.fs.Visit(func(fl *flag.Flag) { found = found || fl.Name == name })
	}
	return found
}

// checkNewJournal refuses, before any work, a journal path that cannot be created: a file
// that exists (a journal is never overwritten) or a directory that does not.
func checkNewJournal(flagName, path string) error {
	if path == "" {
		return nil
	}
	if _, err := os.Lstat(path); err == nil {
		return usagef("--%s %s: the file exists (a journal is never overwritten: give a new name)", flagName, path)
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil {
		return usagef("--%s: %v", flagName, err)
	} else if !fi.IsDir() {
		return usagef("--%s %s: %s is not a directory", flagName, path, dir)
	}
	return nil
}

// checkResumeJournal refuses, before any work, a --resume journal that does not exist.
func checkResumeJournal(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return usagef("--resume: %v", err)
	}
	if !fi.Mode().IsRegular() {
		return usagef("--resume %s: not a journal file", path)
	}
	return nil
}

// newJournal creates the journal of a run: path, or a new timestamped file in the current
// directory (turbowapi-load-20260102-150405.jsonl, then -2, -3... if taken).
func newJournal(path, op string, hdr journal.Header) (string, *journal.Writer, error) {
	if path != "" {
		rj, err := journal.Create(path, hdr)
		return path, rj, err
	}
	base := fmt.Sprintf("turbowapi-%s-%s", op, time.Now().Format("20060102-150405"))
	for i := 1; ; i++ {
		p := base + ".jsonl"
		if i > 1 {
			p = fmt.Sprintf("%s-%d.jsonl", base, i)
		}
		rj, err := journal.Create(p, hdr)
		if err == nil || !errors.Is(err, fs.ErrExist) || i >= 100 {
			return p, rj, err
		}
	}
}

// runLoad loads objects from files, stdin or a generator into a grid.
func runLoad(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var cf connFlags
	cf.register(fs)
	var ef engineFlags
	ef.register(fs, "load", "journal")
	fs.StringVar(&ef.onConflict, "on-conflict", string(bulk.DefaultConflictPolicy), "objects already on the grid: skip (existed) | update (PUT the input's fields) | fail")
	typ := fs.String("type", "", "object type of rows that do not name one in a _type column or key")
	format := fs.String("format", "auto", "input format: csv | json | jsonl (default: from the file's extension, else its first bytes)")
	var gens stringList
	fs.Var(&gens, "generate", "generate objects instead of reading them, e.g. 'network 10.0.0.0/8 /24 1024' (repeatable)")
	skipInvalid := fs.Bool("skip-invalid", false, "load the valid objects when some rows are invalid (they are journaled as invalid)")
	resume := fs.String("resume", "", "continue the load of this journal: skip objects with a final outcome, look up those in flight")
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: turbowapi load [flags] [FILE...]\n\n"+
			"Load objects from CSV, JSON or JSON-lines files ('-' for stdin) or a generator into a grid.\n"+
			"Every row is validated before anything is sent; objects go in dependency order.\n"+
			"Exit status: 0 every object created or existed, 1 some failed, 2 usage or input error (nothing sent).\n\nflags:\n")
		fs.PrintDefaults()
	}
	inputs, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	fail := func(err error) int { return reportErr(e, "load", err) }
	if len(inputs) == 0 && len(gens) == 0 {
		return fail(usagef("no input: give files ('-' for stdin) or --generate SPEC"))
	}
	if *resume != "" && ef.journal != "" && ef.journal != *resume {
		return fail(usagef("--resume continues its own journal: drop --journal"))
	}
	if *resume != "" {
		if err := checkResumeJournal(*resume); err != nil {
			return fail(err)
		}
	} else if err := checkNewJournal("journal", ef.journal); err != nil {
		return fail(err)
	}
	fmtv, err := input.ParseFormat(*format)
	if err != nil {
		return fail(usagef("--format: %v", err))
	}
	opts, err := ef.engineOptions()
	if err != nil {
		return fail(err)
	}
	var ropts []input.Option
	if *typ != "" {
		ropts = append(ropts, input.WithType(*typ))
	}
	if _, err := input.NewValidator(ropts...); err != nil {
		return fail(usagef("--type: %v", err))
	}

	// First pass: validate everything, spool by phase. Nothing is sent before it ends.
	spool, err := bulk.NewSpool(ef.spoolDir)
	if err != nil {
		return fail(err)
	}
	defer spool.Close()
	sources := append([]string(nil), inputs...)
	for _, g := range gens {
		sources = append(sources, "generate:"+g)
	}
	if err := readInputs(ctx, e, spool, inputs, gens, fmtv, ropts); err != nil {
		return fail(err)
	}
	if n := spool.Invalid(); n > 0 {
		showInvalid(e, "load", spool)
		if !*skipInvalid {
			fmt.Fprintf(e.stderr, "turbowapi load: %s invalid of %s objects: nothing was sent (fix them, or --skip-invalid to load the %s valid ones)\n",
				progress.Int(n), progress.Int(spool.Total()), progress.Int(spool.Valid()))
			return exitUsage
		}
	}

	eng, client, code := startEngine(ctx, e, &cf, opts)
	if eng == nil {
		return code
	}
	defer client.Close(context.Background())
	// The journal is opened once the grid has accepted the session: a run that cannot
	// connect leaves none behind.
	var rj *journal.Writer
	var state bulk.Resume
	hdr := journalHeader("load", sources, &ef, &cf, e)
	path := *resume
	if path != "" {
		rj, state, err = resumeJournal(path, hdr)
	} else {
		path, rj, err = newJournal(ef.journal, "load", hdr)
	}
	if err != nil {
		return fail(err)
	}
	stop := showProgress(e, "load", eng)
	sum, err := eng.Load(ctx, spool, rj, state)
	stop()
	return finishRun(e, "load", path, rj, sum, err, ef.jsonOut)
}

// parseInterleaved parses flags given before, between and after the positional arguments
// (the flag package stops at the first positional one); "--" ends the flags.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// readInputs streams every input through validation into the spool.
func readInputs(ctx context.Context, e *env, spool *bulk.Spool, files, gens []string, f input.Format, ropts []input.Option) error {
	v, err := input.NewValidator(input.WithDuplicateCheck(false)) // the spool finds duplicates
	if err != nil {
		return err
	}
	var offset int64
	read := func(r input.Reader) error {
		var n int64
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			o, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				var re *input.RowError
				if !errors.As(err, &re) || re.Fatal || re.Ordinal < 0 {
					return &inputError{err}
				}
				n = max(n, re.Ordinal+1)
				if err := spool.Reject(bulk.Invalid{Ordinal: offset + re.Ordinal, Source: re.Source, Line: re.Line,
					Type: o.Type, Reason: rowReason(re)}); err != nil {
					return err
				}
				continue
			}
			n = max(n, o.Pos.Ordinal+1)
			if err := v.Check(&o); err != nil {
				var re *input.RowError
				reason := err.Error()
				if errors.As(err, &re) {
					reason = rowReason(re)
				}
				if err := spool.Reject(bulk.Invalid{Ordinal: offset + o.Pos.Ordinal, Source: o.Pos.Source, Line: o.Pos.Line,
					Type: o.Type, Reason: reason}); err != nil {
					return err
				}
				continue
			}
			it, err := toItem(o, offset)
			if err != nil {
				return err
			}
			var de *bulk.DuplicateError
			if err := spool.Add(it); err != nil && !errors.As(err, &de) {
				return err
			}
		}
		offset += n
		return nil
	}
	for _, name := range files {
		ro := append([]input.Option{input.WithStdin(e.stdin)}, ropts...)
		r, err := input.Open(name, f, ro...)
		if err != nil {
			return &inputError{err}
		}
		err = read(r)
		r.Close()
		if err != nil {
			return err
		}
	}
	for _, g := range gens {
		r, err := input.NewGenerator(g, ropts...)
		if err != nil {
			return &inputError{err}
		}
		if err := read(r); err != nil {
			return err
		}
	}
	return nil
}

// rowReason is a row error's message without its "source:line: " (the spool's Invalid
// adds its own).
func rowReason(re *input.RowError) string {
	if re.Field != "" {
		return re.Field + ": " + re.Reason
	}
	return re.Reason
}

// inputError is an input that cannot be read at all (a missing file, broken CSV, a bad
// generator spec): exit status 2.
type inputError struct{ err error }

func (e *inputError) Error() string { return e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

// toItem turns a validated input object into the engine's item.
func toItem(o input.Object, offset int64) (*bulk.Item, error) {
	body, err := json.Marshal(o.Fields)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.Pos, err)
	}
	_, filter := input.Key(o)
	key := make([]bulk.Field, 0, len(filter))
	for k, v := range filter {
		key = append(key, bulk.Field{Name: k, Value: v})
	}
	sort.Slice(key, func(i, j int) bool { return key[i].Name < key[j].Name })
	return &bulk.Item{Ordinal: offset + o.Pos.Ordinal, Source: o.Pos.Source, Line: o.Pos.Line, Type: o.Type,
		Body: body, Key: key, Phase: input.Phase(o)}, nil
}

// showInvalid prints the first invalid rows and how many there are.
func showInvalid(e *env, op string, s *bulk.Spool) {
	rows := s.Rejected()
	for i, iv := range rows {
		if i == maxShownInvalid {
			break
		}
		fmt.Fprintf(e.stderr, "turbowapi %s: %s\n", op, iv.Error())
	}
	if n := s.Invalid(); n > maxShownInvalid {
		fmt.Fprintf(e.stderr, "turbowapi %s: ... and %s more invalid rows\n", op, progress.Int(n-maxShownInvalid))
	}
}

// startEngine builds the engine and connects, retrying a login that fails transiently as
// the engine retries its requests; on failure it reports and returns the exit status.
func startEngine(ctx context.Context, e *env, cf *connFlags, opts []bulk.Option) (*bulk.Engine, *wapi.Client, int) {
	workers, err := bulk.CheckOptions(opts...)
	if err != nil {
		return nil, nil, reportErr(e, "", usagef("%v", err))
	}
	client, grid, err := cf.client(e, workers)
	if err != nil {
		return nil, nil, reportErr(e, "", err)
	}
	opts = append(opts, bulk.WithClientTimeout(cf.timeout))
	eng, err := bulk.New(client, opts...)
	if err != nil {
		client.Close(ctx)
		return nil, nil, reportErr(e, "", err)
	}
	if err := eng.Retry(ctx, client.Login); err != nil {
		client.Close(context.Background())
		return nil, nil, reportErr(e, "", explainConnError(err, grid))
	}
	return eng, client, exitOK
}

// showProgress draws the progress line when stderr is a terminal; it returns the function
// that stops it.
func showProgress(e *env, op string, eng *bulk.Engine) func() {
	if e.stderrFile == nil || !term.IsTerminal(int(e.stderrFile.Fd())) {
		return func() {}
	}
	p := eng.Progress()
	l := progress.Start(e.stderr, op, 0, nil, func() progress.Counts {
		s := p.Snapshot()
		return progress.Counts{Done: s.Done, Total: s.Total, Failed: s.Failed,
			Extra: fmt.Sprintf("in flight ≤%d, batch %d", s.Limit, s.Batch)}
	})
	return l.Stop
}

// finishRun closes the journal with the summary, prints the summary and returns the exit
// status.
func finishRun(e *env, op, path string, rj *journal.Writer, sum bulk.Summary, runErr error, jsonOut bool) int {
	jerr := rj.Finish(sum)
	if jsonOut {
		out := struct {
			bulk.Summary
			Journal string `json:"journal"`
			Error   string `json:"error,omitempty"`
		}{Summary: sum, Journal: path}
		if runErr != nil {
			out.Error = runErr.Error()
		}
		b, _ := json.MarshalIndent(out, "", "  ")
		fmt.Fprintln(e.stdout, string(b))
	}
	printSummary(e.stderr, op, path, sum)
	code := exitOK
	switch {
	case runErr != nil:
		reportErr(e, op, runErr)
		code = exitFailed
	case jerr != nil:
		reportErr(e, op, jerr)
		code = exitFailed
	case sum.Failed() > 0 || sum.Pending > 0:
		code = exitFailed
	}
	return code
}

// printSummary writes the summary for people.
func printSummary(w io.Writer, op, journal string, s bulk.Summary) {
	n := int64(0)
	var parts []string
	for _, st := range []bulk.Status{bulk.StatusCreated, bulk.StatusExisted, bulk.StatusUpdated, bulk.StatusDeleted,
		bulk.StatusNotFound, bulk.StatusFailed, bulk.StatusInvalid} {
		if c := s.Outcomes[st]; c > 0 {
			parts = append(parts, progress.Int(c)+" "+string(st))
			n += c
		}
	}
	if s.Resumed > 0 {
		parts = append(parts, progress.Int(s.Resumed)+" done by an earlier run")
	}
	if s.Pending > 0 {
		parts = append(parts, progress.Int(s.Pending)+" PENDING (interrupted: continue with --resume)")
	}
	if len(parts) == 0 {
		parts = append(parts, "nothing to do")
	}
	fmt.Fprintf(w, "%s: %s objects in %s (%s/s): %s\n", op, progress.Int(n), s.Elapsed.Round(time.Millisecond),
		progress.Int(int64(s.Rate+0.5)), strings.Join(parts, ", "))
	fmt.Fprintf(w, "  strategy %s: %s requests (%s writes, %s lookups), %s retries, %s for isolation, %s in backoff\n",
		s.Strategy, progress.Int(s.Requests), progress.Int(s.Writes), progress.Int(s.Lookups), progress.Int(s.Retries),
		progress.Int(s.Isolation), s.Backoff.Round(time.Millisecond))
	fmt.Fprintf(w, "  latency p50 %s, p95 %s, p99 %s\n", s.P50.Round(10*time.Microsecond), s.P95.Round(10*time.Microsecond), s.P99.Round(10*time.Microsecond))
	fmt.Fprintf(w, "  concurrency %d (%d–%d), batch size %d (%d–%d)", s.Concurrency, s.MinConcurrency, s.MaxConcurrency,
		s.BatchSize, s.MinBatchSize, s.MaxBatchSize)
	if s.Decisions > 0 {
		fmt.Fprintf(w, ", %d controller decisions", s.Decisions)
	}
	fmt.Fprintf(w, "\n  journal %s\n", journal)
}

// reportErr prints err and returns its exit status: 2 for usage and input errors, 1 for
// the others.
func reportErr(e *env, op string, err error) int {
	prefix := "turbowapi: "
	if op != "" {
		prefix = "turbowapi " + op + ": "
	}
	fmt.Fprintln(e.stderr, prefix+err.Error())
	var ue *usageError
	var ie *inputError
	if errors.As(err, &ue) || errors.As(err, &ie) {
		return exitUsage
	}
	return exitFailed
}
