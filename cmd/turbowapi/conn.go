package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/turbowapi/turbowapi/wapi"
)

// connFlags are the connection flags every command that talks to a grid shares.
type connFlags struct {
	grid, user, passwordFile string
	version, caCert          string
	insecure                 bool
	timeout                  time.Duration
}

// register adds the connection flags to fs.
func (c *connFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.grid, "grid", "", "grid URL, e.g. https://gm.example.com (default $INFOBLOX_SERVER)")
	fs.StringVar(&c.user, "user", "", "user name (default $INFOBLOX_USERNAME)")
	fs.StringVar(&c.passwordFile, "password-file", "", "file whose first line is the password (default $INFOBLOX_PASSWORD, else a prompt on a terminal)")
	// Listed for the help text only: run refuses the flag before parsing (passwordFlag),
	// since the flag package would repeat the value in its error message.
	fs.Func("password", "not accepted: a password on the command line shows in ps; use $INFOBLOX_PASSWORD, --password-file or the prompt", func(string) error {
		return errors.New(passwordFlagMsg)
	})
	fs.StringVar(&c.version, "wapi-version", "", "WAPI version, e.g. 2.12.3 (default: the highest the grid supports, up to "+wapi.MaxVersion+")")
	fs.StringVar(&c.caCert, "ca-cert", "", "PEM file of the CA that signed the grid's certificate (default: the system's roots)")
	fs.BoolVar(&c.insecure, "insecure", false, "do not verify the grid's certificate (test grids only)")
	fs.DurationVar(&c.timeout, "timeout", wapi.DefaultTimeout, "time limit of each request")
}

const passwordFlagMsg = "a password is never given as a flag (it would show in ps): use $INFOBLOX_PASSWORD, --password-file or the prompt"

// passwordFlag reports whether args hold a password flag (-password or --password, with or
// without =value) before a "--" that ends the flags. run refuses such a command line before
// any parsing, without repeating the value, which the flag package's error would print.
func passwordFlag(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		name, ok := strings.CutPrefix(a, "-")
		if !ok {
			continue
		}
		name = strings.TrimPrefix(name, "-")
		if name, _, _ = strings.Cut(name, "="); name == "password" {
			return true
		}
	}
	return false
}

// errUsage marks errors of the command line or of the environment: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// gridArg is the grid as given: --grid, else $INFOBLOX_SERVER.
func (c *connFlags) gridArg(e *env) string {
	if c.grid != "" {
		return c.grid
	}
	return e.getenv("INFOBLOX_SERVER")
}

// endpoint resolves the grid's URL (https:// when no scheme is given), the user and the
// password, prompting on a terminal when no other source gives the password; it warns about
// a plain http:// URL and checks the TLS flags (warning about --insecure). Every command
// that talks to a grid goes through it.
func (c *connFlags) endpoint(e *env, grid string) (gridURL, user, pass string, err error) {
	if grid == "" {
		return "", "", "", usagef("no grid: give --grid URL or set INFOBLOX_SERVER")
	}
	if !strings.Contains(grid, "://") {
		grid = "https://" + grid
	}
	user = c.user
	if user == "" {
		user = e.getenv("INFOBLOX_USERNAME")
	}
	if user == "" {
		return "", "", "", usagef("no user: give --user or set INFOBLOX_USERNAME")
	}
	if pass, err = c.password(e, user); err != nil {
		return "", "", "", err
	}
	if u, err := url.Parse(grid); err == nil && strings.EqualFold(u.Scheme, "http") {
		fmt.Fprintf(e.stderr, "turbowapi: WARNING: http://%s is plain HTTP: the password, the session cookie and the data cross the network in clear\n", u.Host)
	}
	switch {
	case c.insecure && c.caCert != "":
		return "", "", "", usagef("--insecure and --ca-cert exclude each other")
	case c.insecure:
		fmt.Fprintln(e.stderr, "turbowapi: WARNING: --insecure: the grid's certificate is not verified; anyone on the path can read the password and the data")
	case c.caCert != "":
		if _, err := os.Stat(c.caCert); err != nil {
			return "", "", "", usagef("--ca-cert: %v", err)
		}
	}
	if c.timeout < 0 {
		return "", "", "", usagef("--timeout: negative")
	}
	return grid, user, pass, nil
}

// options checks the flags and the environment and returns the client's options (with
// maxConns connections) and the grid's URL. Warnings go to stderr.
func (c *connFlags) options(e *env, maxConns int) (string, []wapi.Option, error) {
	grid, user, pass, err := c.endpoint(e, c.gridArg(e))
	if err != nil {
		return "", nil, err
	}
	opts := []wapi.Option{wapi.WithCredentials(user, pass), wapi.WithMaxConns(max(maxConns, 1)), wapi.WithTimeout(c.timeout),
		wapi.WithUserAgent("turbowapi/" + version)}
	if c.version != "" {
		opts = append(opts, wapi.WithVersion(c.version))
	}
	switch {
	case c.insecure:
		opts = append(opts, wapi.WithInsecureSkipVerify())
	case c.caCert != "":
		opts = append(opts, wapi.WithCAFile(c.caCert))
	}
	return grid, opts, nil
}

// password returns the password from --password-file, $INFOBLOX_PASSWORD or a prompt.
func (c *connFlags) password(e *env, user string) (string, error) {
	if c.passwordFile != "" {
		p, err := readPasswordFile(c.passwordFile)
		if err != nil {
			return "", usagef("%v", err)
		}
		return p, nil
	}
	if p := e.getenv("INFOBLOX_PASSWORD"); p != "" {
		return p, nil
	}
	if e.stdinFile != nil && e.stderrFile != nil && term.IsTerminal(int(e.stdinFile.Fd())) {
		fmt.Fprintf(e.stderr, "password for %s: ", user)
		b, err := term.ReadPassword(int(e.stdinFile.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", fmt.Errorf("reading the password: %w", err)
		}
		if len(b) == 0 {
			return "", usagef("empty password")
		}
		return string(b), nil
	}
	return "", usagef("no password: set INFOBLOX_PASSWORD, give --password-file, or run on a terminal to be prompted")
}

// readPasswordFile returns the first line of a --password-file (at most 4 KiB), refusing an
// empty one.
func readPasswordFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("--password-file: %w", err)
	}
	defer f.Close()
	line, err := bufio.NewReader(io.LimitReader(f, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("--password-file %s: %w", path, err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("--password-file %s: empty password", path)
	}
	return line, nil
}

// client builds the client of the grid (no I/O) and returns it with the grid's URL.
func (c *connFlags) client(e *env, maxConns int) (*wapi.Client, string, error) {
	grid, opts, err := c.options(e, maxConns)
	if err != nil {
		return nil, "", err
	}
	cl, err := wapi.New(grid, opts...)
	if err != nil {
		if errors.Is(err, wapi.ErrInvalid) {
			return nil, "", usagef("%v", err)
		}
		return nil, "", err
	}
	return cl, grid, nil
}

// explainConnError adds the remedy to the login errors a user can fix: an untrusted or
// misnamed certificate, wrong credentials. Commands log in before any work so that these
// show first.
func explainConnError(err error, grid string) error {
	var (
		uae x509.UnknownAuthorityError
		cve *tls.CertificateVerificationError
		he  x509.HostnameError
	)
	switch {
	case errors.As(err, &uae), errors.As(err, &cve) && !errors.As(err, &he):
		return fmt.Errorf("%w\nthe grid's certificate is not signed by a trusted CA. If it is self-signed (as `turbowapi sim` makes), "+
			"trust its CA with --ca-cert FILE (`turbowapi sim --ca-out FILE` writes it); --insecure skips verification (test grids only)", err)
	case errors.As(err, &he):
		return fmt.Errorf("%w\nthe grid's certificate does not name the host of %s: connect with a name it holds", err, grid)
	case errors.Is(err, wapi.ErrAuth):
		return fmt.Errorf("%w\ncheck the user name and the password", err)
	}
	return err
}
