package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/turbowapi/turbowapi/bench"
	"github.com/turbowapi/turbowapi/bulk"
	"github.com/turbowapi/turbowapi/gridsim"
	"github.com/turbowapi/turbowapi/internal/progress"
)

// Default speeds of the embedded simulated grid: the default run (9 techniques × 3 passes of
// 1,024 networks, about 700 grid seconds) then takes about a minute; the sweep keeps a
// one-object request above a few milliseconds of wall time.
const (
	defaultBenchSpeed = 12
	defaultSweepSpeed = 10
)

// runBench replays the founding experiment (and, with --sweep, measures the grid's best
// setting against auto) on an embedded simulated grid or, with --grid and --yes, on a real
// one.
func runBench(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var cf connFlags
	cf.register(fs)
	// The connection flags as the benchmark reads them: only an explicit --grid leaves the
	// embedded grid, the article's WAPI version by default, the timeout in grid time.
	fs.Lookup("grid").Usage = "run on this grid, e.g. https://gm.example.com, after a warning and only with --yes " +
		"(default: an embedded simulated grid; $INFOBLOX_SERVER is not read)"
	fs.Lookup("wapi-version").Usage = "WAPI version of every request (default " + bench.WAPIVersion + ", the article's)"
	fs.Lookup("timeout").Usage = "time limit of each request, in grid time"
	yes := fs.Bool("yes", false, "with --grid: run on that grid (after reading the warning)")
	profileArg := fs.String("profile", gridsim.ProfileArticle, "embedded grid's cost profile: "+profileNames()+", or a JSON file; with --sweep a comma-separated list")
	speed := fs.Float64("speed", 0, fmt.Sprintf("embedded grid's speed: grid seconds = wall seconds × speed (default %d, %d with --sweep)", defaultBenchSpeed, defaultSweepSpeed))
	seed := fs.Int64("seed", 1, "seed of the embedded grid's jitter and of auto's probes")
	objects := fs.Int("objects", bench.ArticleObjects, "networks per run (/24s from 10.0.0.0/8)")
	strategies := fs.String("strategies", "all", "techniques to run: sequential, threads[N], request, async[N] (async: 2,4,8,16,32), auto, all")
	passes := fs.Int("passes", 0, fmt.Sprintf("passes over every technique (default %d; 1 for the sweep's comparison)", bench.DefaultPasses))
	maxConc := fs.Int("max-concurrency", bulk.DefaultMaxConcurrency, "most requests in flight of auto (with --sweep: the sweep's largest, 32, unless given)")
	jsonOut := fs.Bool("json", false, "print the result as JSON instead of the table")
	htmlFile := fs.String("html", "", "also write a self-contained HTML report to this file")
	sweep := fs.Bool("sweep", false, "measure throughput across concurrency (1..32) and batch size (1..1024), then auto beside the best setting")
	sweepObjects := fs.Int("sweep-objects", 0, "networks of the sweep's comparison of the best setting with auto (default: sized by --sweep-seconds)")
	sweepSeconds := fs.Float64("sweep-seconds", bench.DefaultSweepSeconds, "size the sweep's comparison to last this many grid seconds at the best setting")
	quiet := fs.Bool("q", false, "no progress lines on stderr")
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: turbowapi bench [flags]\n\n"+
			"Replay the founding article's experiment (1,024 networks: sequential, 16 threads, one request call,\n"+
			"2 to 32 in flight, then turbowapi auto) on an embedded simulated grid, or on a real grid with --grid and --yes.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(e.stderr, "turbowapi bench: "+format+"\n", a...)
		return code
	}
	if fs.NArg() > 0 {
		return fail(exitUsage, "unexpected argument %q", fs.Arg(0))
	}
	techniques, err := bench.ParseTechniques(*strategies)
	if err != nil {
		return fail(exitUsage, "--strategies: %v", err)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *passes == 0 {
		*passes = bench.DefaultPasses
		if *sweep {
			*passes = 1
		}
	}
	if *speed == 0 {
		*speed = defaultBenchSpeed
		if *sweep {
			*speed = defaultSweepSpeed
		}
	}
	opts := []bench.Option{
		bench.WithTechniques(techniques...), bench.WithPasses(*passes), bench.WithObjects(*objects),
		bench.WithSeed(uint64(*seed)), bench.WithClientTimeout(cf.timeout),
		bench.WithSweepObjects(*sweepObjects), bench.WithSweepSeconds(*sweepSeconds),
		bench.WithLogger(slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))),
	}
	if set["max-concurrency"] {
		opts = append(opts, bench.WithMaxConcurrency(*maxConc))
	}
	if !*quiet {
		opts = append(opts, bench.WithProgress(progressPrinter(e.stderr)))
	}
	report := func(res any) int {
		if *htmlFile != "" {
			if err := writeHTML(*htmlFile, res); err != nil {
				return fail(exitFailed, "--html: %v", err)
			}
		}
		var err error
		switch r := res.(type) {
		case *bench.Result:
			if *jsonOut {
				err = bench.WriteJSON(e.stdout, r)
			} else {
				err = bench.WriteText(e.stdout, r)
			}
		case *bench.SweepResult:
			if *jsonOut {
				err = bench.WriteJSON(e.stdout, r)
			} else {
				err = bench.WriteSweepText(e.stdout, r)
			}
		}
		if err != nil {
			return fail(exitFailed, "%v", err)
		}
		return exitOK
	}

	if cf.grid != "" {
		for _, name := range []string{"profile", "speed"} {
			if set[name] {
				return fail(exitUsage, "--%s is for the embedded grid; a grid given with --grid has its own costs", name)
			}
		}
		g, err := benchGrid(e, &cf)
		if err != nil {
			return fail(exitUsage, "%v", err)
		}
		if !*yes {
			warnRealGrid(e.stderr, g.URL, *objects, len(techniques), *passes, *sweep)
			return exitUsage
		}
		if _, err := bench.ReadSimulator(ctx, g); err == nil {
			opts = append(opts, bench.WithSimulator(false))
		}
		return runOne(ctx, e, g, opts, *sweep, report)
	}
	profiles := strings.Split(*profileArg, ",")
	if len(profiles) > 1 && !*sweep {
		return fail(exitUsage, "--profile: one profile (a list is for --sweep)")
	}
	if *htmlFile != "" && len(profiles) > 1 {
		return fail(exitUsage, "--html: one profile at a time")
	}
	code := exitOK
	for _, name := range profiles {
		prof, err := gridsim.ResolveProfile(strings.TrimSpace(name))
		if err != nil {
			return fail(exitUsage, "--profile: %v", err)
		}
		g, stop, err := startEmbedded(prof, *speed, *seed)
		if err != nil {
			return fail(exitFailed, "starting the simulated grid: %v", err)
		}
		c := runOne(ctx, e, g, append(opts, bench.WithSimulator(true)), *sweep, report)
		stop()
		if c != exitOK {
			code = c
		}
		if ctx.Err() != nil {
			return exitSignals
		}
	}
	return code
}

func runOne(ctx context.Context, e *env, g bench.Grid, opts []bench.Option, sweep bool, report func(any) int) int {
	b, err := bench.New(g, opts...)
	if err != nil {
		fmt.Fprintf(e.stderr, "turbowapi bench: %v\n", err)
		return exitUsage
	}
	var res any
	if sweep {
		res, err = b.Sweep(ctx)
	} else {
		res, err = b.Run(ctx)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "turbowapi bench: %v\n", err)
		if ctx.Err() != nil {
			return exitSignals
		}
		return exitFailed
	}
	return report(res)
}

// benchGrid reads the connection flags (and their environment variables) into a bench.Grid.
func benchGrid(e *env, cf *connFlags) (bench.Grid, error) {
	grid, user, pass, err := cf.endpoint(e, cf.grid) // only --grid: $INFOBLOX_SERVER is not read
	if err != nil {
		return bench.Grid{}, err
	}
	g := bench.Grid{URL: grid, User: user, Password: pass, Version: cf.version}
	tcfg := &tls.Config{MinVersion: tls.VersionTLS12}
	switch {
	case cf.insecure:
		tcfg.InsecureSkipVerify = true
	case cf.caCert != "":
		pem, err := os.ReadFile(cf.caCert)
		if err != nil {
			return g, fmt.Errorf("--ca-cert: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return g, fmt.Errorf("--ca-cert %s: no PEM certificate", cf.caCert)
		}
		tcfg.RootCAs = pool
	}
	g.TLS = tcfg
	return g, nil
}

func warnRealGrid(w io.Writer, url string, objects, techniques, passes int, sweep bool) {
	fmt.Fprintf(w, "turbowapi bench: WARNING: this runs the benchmark on the grid at %s.\n", url)
	if sweep {
		fmt.Fprintf(w, "  The sweep loads up to 262,144 networks per setting, at up to 32 requests in flight and 1,024 networks per call,\n"+
			"  then the comparison's networks twice (ten minutes each at the best setting): expect hours of load on the Grid Master.\n")
	} else {
		fmt.Fprintf(w, "  It creates %s networks %d times (%d techniques × %d passes), up to 32 requests in flight.\n",
			progress.Int(int64(objects)), techniques*passes, techniques, passes)
	}
	fmt.Fprintf(w, "  Every run goes into a new network view named %s<id>-..., deleted (with its networks) right after the run.\n"+
		"  The article's author warned that these techniques can overrun a Grid Master: use a lab grid, not production.\n"+
		"  Run again with --yes to go ahead.\n", bench.ViewPrefix)
}

// startEmbedded starts a simulated grid on loopback over TLS with a fresh password and
// returns how to reach it.
func startEmbedded(prof gridsim.Profile, speed float64, seed int64) (bench.Grid, func(), error) {
	var pw [12]byte
	_, _ = rand.Read(pw[:])
	pass := hex.EncodeToString(pw[:])
	gs, err := gridsim.New(gridsim.WithProfile(prof), gridsim.WithSpeed(speed), gridsim.WithSeed(seed),
		gridsim.WithUser("admin", pass))
	if err != nil {
		return bench.Grid{}, nil, err
	}
	cert, caPEM, err := gridsim.SelfSignedCert("127.0.0.1")
	if err != nil {
		gs.Close()
		return bench.Grid{}, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		gs.Close()
		return bench.Grid{}, nil, err
	}
	// Connections the benchmark's clients drop (a transport closed mid-handshake) are not
	// the report's business: the server's own log is discarded.
	hs := &http.Server{Handler: gs, ConnContext: gs.ConnContext, ConnState: gs.ConnState, ReadHeaderTimeout: 30 * time.Second,
		ErrorLog: log.New(io.Discard, "", 0)}
	tln := tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	go func() { _ = hs.Serve(tln) }()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	g := bench.Grid{
		URL: "https://" + ln.Addr().String(), User: "admin", Password: pass,
		TLS: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}
	stop := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
		_ = gs.Close()
	}
	return g, stop, nil
}

// progressPrinter prints one line per finished run or sweep point.
func progressPrinter(w io.Writer) func(bench.Progress) {
	return func(p bench.Progress) {
		switch {
		case p.Sweep != nil:
			s := p.Sweep
			if s.Skipped != "" {
				fmt.Fprintf(w, "sweep %3d in flight × %4d: skipped: %s\n", s.Concurrency, s.BatchSize, s.Skipped)
				return
			}
			if s.Confirmed {
				fmt.Fprintf(w, "again %3d in flight × %4d: %8.1f networks/s  (%.0f grid s; first %.1f)\n", s.Concurrency, s.BatchSize, s.Throughput, s.Seconds, s.First)
				return
			}
			fmt.Fprintf(w, "sweep %3d in flight × %4d: %8.1f networks/s  (%.0f grid s)\n", s.Concurrency, s.BatchSize, s.Throughput, s.Seconds)
		case p.Message != "":
			fmt.Fprintf(w, "%s\n", p.Message)
		default:
			fmt.Fprintf(w, "pass %d/%d  %-18s %8.2f grid s  %6.2f s wall  %d created\n",
				p.Pass, p.Passes, p.Technique.Label(), p.Seconds, p.Wall, p.Created)
		}
	}
}

func writeHTML(path string, res any) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	switch r := res.(type) {
	case *bench.Result:
		err = bench.WriteHTML(f, r)
	case *bench.SweepResult:
		err = bench.WriteSweepHTML(f, r)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
