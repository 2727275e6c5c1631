package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/turbowapi/turbowapi/gridsim"
)

// runSim runs a WAPI-compatible simulated grid until ctx ends (SIGINT or SIGTERM).
func runSim(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	listen := fs.String("listen", "127.0.0.1:8443", "address to listen on (host:port)")
	plain := fs.Bool("http", false, "serve plain HTTP instead of HTTPS")
	certFile := fs.String("cert", "", "TLS certificate file (PEM); default: a self-signed certificate made at start-up")
	keyFile := fs.String("key", "", "TLS private key file (PEM), with --cert")
	caOut := fs.String("ca-out", "", "write the self-signed certificate's CA (PEM) to this file")
	user := fs.String("user", "admin", "user name; the password comes from --password-file or $TURBOWAPI_SIM_PASSWORD ('infoblox' on a loopback address when neither is set)")
	passFile := fs.String("password-file", "", "file holding the password of --user (first line)")
	usersFile := fs.String("users", "", "file of users, one 'name:password' per line (replaces --user)")
	timeout := fs.Duration("session-timeout", gridsim.DefaultSessionTimeout, "session cookie idle timeout")
	maxBatch := fs.Int("max-batch", gridsim.DefaultMaxBatch, "largest number of items in a request object (0: no cap)")
	maxBody := fs.Int64("max-body", gridsim.DefaultMaxBody, "largest request body in bytes")
	dataDir := fs.String("data", "", "keep objects durably in this directory (default: memory only)")
	logFile := fs.String("log", "", "append an access log to this file")
	allowReset := fs.Bool("allow-reset", false, "enable POST /_sim/reset, which deletes every object (with a user's credentials)")
	profileArg := fs.String("profile", gridsim.DefaultProfile, "cost profile: a built-in name ("+profileNames()+") or a JSON file (see docs/profiles.md)")
	speed := fs.Float64("speed", gridsim.DefaultSpeed, "divide every cost of the profile by this factor (grid seconds = wall seconds × speed)")
	seed := fs.Int64("seed", gridsim.DefaultSeed, "seed of service-time jitter and fault decisions")
	readHeaderTimeout := fs.Duration("read-header-timeout", gridsim.DefaultReadHeaderTimeout, "time a client has to send a request's headers (and finish the TLS handshake)")
	readTimeout := fs.Duration("read-timeout", gridsim.DefaultReadTimeout, "time a client has to send a whole request, body included")
	maxHeader := fs.Int("max-header-bytes", gridsim.DefaultMaxHeaderBytes, "largest request line and headers in bytes (larger: 431)")
	faults := fs.String("faults", "", "faults to inject, e.g. '503=0.02,503ra=0.01:1s,429=0.01:2s,reset=0.01,lost=0.01,spike=0.01:500ms,outage=10s+3s' (see docs/profiles.md)")
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: turbowapi sim [flags]\n\nRun a WAPI-compatible simulated Infoblox grid.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "turbowapi sim: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(e.stderr, "turbowapi sim: "+format+"\n", a...)
		return exitUsage
	}
	if *readHeaderTimeout <= 0 || *readTimeout <= 0 || *maxHeader < 4096 {
		return fail("--read-header-timeout and --read-timeout must be positive, --max-header-bytes at least 4096")
	}
	if (*certFile == "") != (*keyFile == "") {
		return fail("--cert and --key go together")
	}
	if *plain && (*certFile != "" || *caOut != "") {
		return fail("--http serves no certificate: drop --cert, --key and --ca-out")
	}
	host, _, err := net.SplitHostPort(*listen)
	if err != nil {
		return fail("--listen %q: %v", *listen, err)
	}
	prof, err := gridsim.ResolveProfile(*profileArg)
	if err != nil {
		return fail("--profile: %v", err)
	}
	faultSpec, err := gridsim.ParseFaults(*faults)
	if err != nil {
		return fail("--faults: %v", err)
	}
	opts := []gridsim.Option{
		gridsim.WithSessionTimeout(*timeout), gridsim.WithMaxBatch(*maxBatch), gridsim.WithMaxBody(*maxBody),
		gridsim.WithAllowReset(*allowReset), gridsim.WithProfile(prof), gridsim.WithSpeed(*speed),
		gridsim.WithSeed(*seed), gridsim.WithFaults(faultSpec),
		gridsim.WithLogger(slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))),
	}
	switch {
	case *usersFile != "":
		users, err := readUsers(*usersFile)
		if err != nil {
			return fail("%v", err)
		}
		opts = append(opts, gridsim.WithUsers(users))
	default:
		pass, err := simPassword(e, *passFile)
		if err != nil {
			return fail("%v", err)
		}
		if pass == "" {
			if !isLoopback(host) {
				return fail("listening on %s needs a password: --password-file or $TURBOWAPI_SIM_PASSWORD", host)
			}
			pass = "infoblox"
		}
		opts = append(opts, gridsim.WithUser(*user, pass))
	}
	if *dataDir != "" {
		opts = append(opts, gridsim.WithDataDir(*dataDir))
	}
	if *logFile != "" {
		f, err := os.OpenFile(*logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fail("--log: %v", err)
		}
		defer f.Close()
		opts = append(opts, gridsim.WithAccessLog(f))
	}
	gs, err := gridsim.New(opts...)
	if err != nil {
		return fail("%v", err)
	}
	defer gs.Close()

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fail("%v", err)
	}
	scheme := "http"
	if !*plain {
		var cert tls.Certificate
		if *certFile != "" {
			cert, err = tls.LoadX509KeyPair(*certFile, *keyFile)
			if err != nil {
				ln.Close()
				return fail("--cert/--key: %v", err)
			}
		} else {
			hosts := []string{"127.0.0.1", "::1", "localhost"}
			if host != "" && !slices.Contains(hosts, host) {
				hosts = append([]string{host}, hosts...)
			}
			var caPEM []byte
			cert, caPEM, err = gridsim.SelfSignedCert(hosts...)
			if err != nil {
				ln.Close()
				return fail("certificate: %v", err)
			}
			if *caOut != "" {
				if err := os.WriteFile(*caOut, caPEM, 0o644); err != nil {
					ln.Close()
					return fail("--ca-out: %v", err)
				}
			}
		}
		fmt.Fprintf(e.stdout, "certificate SHA-256 fingerprint %s\n", gridsim.Fingerprint(cert.Certificate[0]))
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		scheme = "https"
	}
	hs := gs.HTTPServer()
	hs.ReadHeaderTimeout, hs.ReadTimeout, hs.MaxHeaderBytes = *readHeaderTimeout, *readTimeout, *maxHeader
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	addr := ln.Addr().String()
	if h, p, err := net.SplitHostPort(addr); err == nil && (h == "" || h == "::" || h == "0.0.0.0") {
		addr = net.JoinHostPort(host, p)
	}
	printSimInfo(e.stdout, gs.SimInfo())
	fmt.Fprintf(e.stdout, "listening on %s://%s\n", scheme, addr)
	select {
	case err := <-errc:
		fmt.Fprintf(e.stderr, "turbowapi sim: %v\n", err)
		return exitFailed
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		fmt.Fprintf(e.stderr, "turbowapi sim: shutdown: %v\n", err)
	}
	if err := gs.Close(); err != nil {
		fmt.Fprintf(e.stderr, "turbowapi sim: closing the database: %v\n", err)
		return exitFailed
	}
	fmt.Fprintln(e.stderr, "turbowapi sim: stopped")
	return exitOK
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// simPassword reads the password from the file, or from $TURBOWAPI_SIM_PASSWORD; "" if
// neither is set.
func simPassword(e *env, file string) (string, error) {
	if file != "" {
		return readPasswordFile(file)
	}
	return e.getenv("TURBOWAPI_SIM_PASSWORD"), nil
}

// readUsers reads "name:password" lines; blank lines and lines starting with '#' are skipped.
func readUsers(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--users: %w", err)
	}
	defer f.Close()
	users := map[string]string{}
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		name, pass, ok := strings.Cut(line, ":")
		if !ok || name == "" || pass == "" {
			return nil, fmt.Errorf("--users %s:%d: want name:password", path, n)
		}
		users[name] = pass
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--users %s: %w", path, err)
	}
	if len(users) == 0 {
		return nil, fmt.Errorf("--users %s: no users", path)
	}
	return users, nil
}

func profileNames() string {
	var names []string
	for _, p := range gridsim.Profiles() {
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}

// printSimInfo prints the active profile, its assumptions, the speed, seed and faults.
func printSimInfo(w io.Writer, info gridsim.SimInfo) {
	p := info.Profile
	fmt.Fprintf(w, "profile %s: %s\n", p.Name, p.Description)
	if p.RequestMS+p.ObjectMS+p.ReadMS+p.AuthMS+p.ConnectMS > 0 || p.OverloadAt > 0 {
		fmt.Fprintf(w, "  request %g ms, object %g ms, read %g ms, auth %g ms, connect %g ms; sigma %g, kappa %g",
			p.RequestMS, p.ObjectMS, p.ReadMS, p.AuthMS, p.ConnectMS, p.Sigma, p.Kappa)
		if p.Cliff > 0 {
			fmt.Fprintf(w, ", cliff %g past %d", p.Cliff, p.CliffAt)
		}
		if p.SerialWrites {
			fmt.Fprint(w, ", serial writes")
		}
		if p.Jitter > 0 {
			fmt.Fprintf(w, ", jitter ±%g%%", 100*p.Jitter)
		}
		if p.OverloadAt > 0 {
			fmt.Fprintf(w, ", 503 past %d in service", p.OverloadAt)
		}
		fmt.Fprintln(w)
	}
	if info.MaxBatch > 0 {
		fmt.Fprintf(w, "  at most %d items per request call\n", info.MaxBatch)
	}
	for _, a := range p.Assumptions {
		fmt.Fprintf(w, "  assumption: %s\n", a)
	}
	fmt.Fprintf(w, "speed %g (grid seconds = wall seconds × %g), seed %d\n", info.Speed, info.Speed, info.Seed)
	if info.Faults != "" {
		fmt.Fprintf(w, "faults %s\n", info.Faults)
	}
}
