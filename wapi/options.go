package wapi

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"
)

// Defaults used when the corresponding option is not given.
const (
	// DefaultTimeout bounds each HTTP exchange (sending the request and reading the whole
	// reply). WAPI reads of large result sets are slow, hence a generous value.
	DefaultTimeout = 60 * time.Second

	// DefaultMaxConns is the size of the connection pool: at most this many connections to
	// the grid, all kept warm when idle. Size it to the number of goroutines sharing the client.
	DefaultMaxConns = 16

	// DefaultUserAgent is the User-Agent header sent with every request.
	DefaultUserAgent = "turbowapi-wapi/1"

	// DefaultMaxResponseBytes bounds the body of a successful reply. Error replies are
	// bounded separately by MaxErrorBodyBytes.
	DefaultMaxResponseBytes = 256 << 20

	// MaxErrorBodyBytes is how much of an error reply is read to build an [*Error].
	MaxErrorBodyBytes = 64 << 10

	// DefaultPageSize is the page size of [Client.SearchAll] when none is given.
	DefaultPageSize = 1000

	// MinVersion is the oldest WAPI version the client works with (it needs
	// _return_as_object and paging, WAPI 2.1).
	MinVersion = "2.1"

	// MaxVersion is the newest WAPI version the client was written against. Without
	// [WithVersion], the client negotiates the highest version the grid supports that is
	// not newer than MaxVersion.
	MaxVersion = "2.13.6"

	// negotiationVersion is the version path used to ask a grid which versions it supports.
	negotiationVersion = "1.0"
)

// Option configures a [Client]. Options validate their arguments; [New] returns the first
// error.
type Option func(*options) error

type options struct {
	user          string
	password      secret
	haveCreds     bool
	version       string
	rootCAs       *x509.CertPool
	caFile        string
	insecure      bool
	clientCert    *tls.Certificate
	timeout       time.Duration
	httpClient    *http.Client
	transport     http.RoundTripper
	userAgent     string
	maxConns      int
	maxConnsSet   bool
	logger        *slog.Logger
	now           func() time.Time
	maxRespBytes  int64
	tlsConfigured bool
}

// String redacts: options hold the password.
func (o *options) String() string { return "wapi.options{REDACTED}" }

// Format redacts for every verb.
func (o *options) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(o.String())) }

func defaultOptions() options {
	return options{
		timeout:      DefaultTimeout,
		userAgent:    DefaultUserAgent,
		maxConns:     DefaultMaxConns,
		now:          time.Now,
		maxRespBytes: DefaultMaxResponseBytes,
	}
}

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// WithCredentials sets the user name and password. They are sent once, with HTTP Basic, to
// open the session; every later request carries only the session cookie. Without
// credentials the client sends no Authorization header (for client-certificate
// authentication or an injected transport that authenticates). Default: none.
func WithCredentials(user, password string) Option {
	return func(o *options) error {
		if user == "" {
			return invalidf("WithCredentials: empty user name")
		}
		if strings.ContainsAny(user, ":\r\n") {
			return invalidf("WithCredentials: user name contains ':' or a line break")
		}
		o.user, o.password, o.haveCreds = user, secret(password), true
		return nil
	}
}

// WithVersion pins the WAPI version (for example "2.12.3") instead of negotiating it.
// Default: the highest version the grid supports, up to [MaxVersion].
func WithVersion(v string) Option {
	return func(o *options) error {
		if _, ok := parseVersion(v); !ok {
			return invalidf("WithVersion: %q is not a WAPI version (want N.N or N.N.N)", v)
		}
		o.version = v
		return nil
	}
}

// WithCAFile trusts the PEM certificates in path (in addition to none: the system roots are
// not used). A file that cannot be read or holds no certificate is an error, never a silent
// fallback. Default: the system roots.
func WithCAFile(path string) Option {
	return func(o *options) error {
		pem, err := os.ReadFile(path)
		if err != nil {
			return invalidf("WithCAFile: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return invalidf("WithCAFile: no PEM certificate in %s", path)
		}
		o.rootCAs, o.caFile, o.tlsConfigured = pool, path, true
		return nil
	}
}

// WithRootCAs trusts the certificates of pool. Default: the system roots.
func WithRootCAs(pool *x509.CertPool) Option {
	return func(o *options) error {
		if pool == nil {
			return invalidf("WithRootCAs: nil pool")
		}
		o.rootCAs, o.tlsConfigured = pool, true
		return nil
	}
}

// WithInsecureSkipVerify turns certificate verification off. Only for test grids with
// self-signed certificates you cannot obtain; it cannot be combined with WithCAFile or
// WithRootCAs. Default: verification on.
func WithInsecureSkipVerify() Option {
	return func(o *options) error {
		o.insecure, o.tlsConfigured = true, true
		return nil
	}
}

// WithClientCertificate presents the PEM certificate and key at certFile and keyFile (WAPI
// certificate-based authentication). Default: none.
func WithClientCertificate(certFile, keyFile string) Option {
	return func(o *options) error {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return invalidf("WithClientCertificate: %v", err)
		}
		o.clientCert, o.tlsConfigured = &cert, true
		return nil
	}
}

// WithTimeout bounds each HTTP exchange: sending one request and reading its whole reply. 0
// disables the bound (the caller's context still applies). Default: [DefaultTimeout].
func WithTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return invalidf("WithTimeout: negative duration %v", d)
		}
		o.timeout = d
		return nil
	}
}

// WithHTTPClient uses c to send requests. The client is used as given: it cannot be combined
// with the options that shape the transport (TLS options, WithMaxConns, WithTransport).
// HTTP redirects are never followed, whatever c.CheckRedirect says (the client works on a
// copy of c). c.Jar should be nil: the wapi client manages the session cookie itself.
// Default: a client built from the other options.
func WithHTTPClient(c *http.Client) Option {
	return func(o *options) error {
		if c == nil {
			return invalidf("WithHTTPClient: nil client")
		}
		o.httpClient = c
		return nil
	}
}

// WithTransport sends requests through rt (for instrumentation or tests). It cannot be
// combined with the options that shape the transport (TLS options, WithMaxConns,
// WithHTTPClient). Default: an [http.Transport] built from the other options.
func WithTransport(rt http.RoundTripper) Option {
	return func(o *options) error {
		if rt == nil {
			return invalidf("WithTransport: nil transport")
		}
		o.transport = rt
		return nil
	}
}

// WithUserAgent sets the User-Agent header. Default: [DefaultUserAgent].
func WithUserAgent(ua string) Option {
	return func(o *options) error {
		if ua == "" || strings.ContainsAny(ua, "\r\n") {
			return invalidf("WithUserAgent: empty or contains a line break")
		}
		o.userAgent = ua
		return nil
	}
}

// WithMaxConns sizes the connection pool: at most n connections to the grid, and up to n
// idle connections kept open, so n goroutines sharing the client keep n warm TLS
// connections and never repeat handshakes. Requests beyond n wait for a free connection.
// Default: [DefaultMaxConns].
func WithMaxConns(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return invalidf("WithMaxConns: %d < 1", n)
		}
		o.maxConns, o.maxConnsSet = n, true
		return nil
	}
}

// WithLogger logs session events (login, re-login, logout, Grid Master redirects) at debug
// level to l. Requests themselves are not logged. Secrets never reach the logger. Default:
// no logging.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		o.logger = l
		return nil
	}
}

// WithClock replaces time.Now for session expiry and Retry-After dates (tests). Default:
// time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return invalidf("WithClock: nil clock")
		}
		o.now = now
		return nil
	}
}

// WithMaxResponseBytes bounds the body of a successful reply; a longer reply fails with a
// [*DecodeError]. Default: [DefaultMaxResponseBytes].
func WithMaxResponseBytes(n int64) Option {
	return func(o *options) error {
		if n < 1 || n > 1<<40 {
			return invalidf("WithMaxResponseBytes: %d out of range [1, 2^40]", n)
		}
		o.maxRespBytes = n
		return nil
	}
}

// check validates combinations of options.
func (o *options) check() error {
	if o.insecure && o.rootCAs != nil {
		return invalidf("WithInsecureSkipVerify cannot be combined with WithCAFile or WithRootCAs")
	}
	if o.httpClient != nil && o.transport != nil {
		return invalidf("WithHTTPClient and WithTransport are exclusive")
	}
	if (o.httpClient != nil || o.transport != nil) && (o.tlsConfigured || o.maxConnsSet) {
		return invalidf("TLS options and WithMaxConns shape the built-in transport; they have no effect with WithHTTPClient or WithTransport")
	}
	return nil
}

// newTransport builds the pooled HTTP/1.1 transport.
func (o *options) newTransport() *http.Transport {
	tcfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		RootCAs:            o.rootCAs,
		InsecureSkipVerify: o.insecure, //nolint:gosec // explicit opt-in
	}
	if o.clientCert != nil {
		tcfg.Certificates = []tls.Certificate{*o.clientCert}
	}
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		TLSClientConfig:       tcfg,
		TLSHandshakeTimeout:   15 * time.Second,
		MaxIdleConns:          o.maxConns,
		MaxIdleConnsPerHost:   o.maxConns,
		MaxConnsPerHost:       o.maxConns,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    false,
	}
	// One request per connection at a time: N workers, N connections.
	var p http.Protocols
	p.SetHTTP1(true)
	t.Protocols = &p
	return t
}
