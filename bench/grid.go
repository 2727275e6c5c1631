package bench

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/turbowapi/turbowapi/wapi"
)

// Grid says how to reach the grid a benchmark runs on.
type Grid struct {
	// URL is the grid's base URL, for example https://gm.example.com or
	// https://127.0.0.1:8443 (no /wapi path).
	URL string
	// TLS is the client's TLS configuration (trusted roots, client certificate, or
	// verification off). nil trusts the system roots.
	TLS *tls.Config
	// User and Password are the WAPI credentials. They are sent once per session with HTTP
	// Basic, as the article's scripts did; every other request carries the session cookie.
	User, Password string
	// Version is the WAPI version of every request ("" for WAPIVersion, the article's 2.11).
	Version string
}

// String describes the grid without its password.
func (g Grid) String() string { return fmt.Sprintf("bench.Grid{URL: %s, User: %s}", g.URL, g.User) }

// Format prints String for every verb, so no verb reaches the password.
func (g Grid) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, g.String()) }

// LogValue describes the grid to slog without its password.
func (g Grid) LogValue() slog.Value {
	return slog.GroupValue(slog.String("url", g.URL), slog.String("user", g.User))
}

func (g Grid) check() error {
	u, err := url.Parse(g.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("bench: grid URL %q: want https://host[:port]", g.URL)
	}
	if u.Path != "" && u.Path != "/" {
		return fmt.Errorf("bench: grid URL %q: give the grid's base URL, without a path", g.URL)
	}
	if g.User == "" || g.Password == "" {
		return errors.New("bench: the grid's user and password are required")
	}
	return nil
}

func (g Grid) base() string { return strings.TrimRight(g.URL, "/") }

func (g Grid) version() string {
	if g.Version != "" {
		return g.Version
	}
	return WAPIVersion
}

// transport returns an HTTP/1.1 transport for the grid whose pool keeps at most idle
// connections open and opens at most maxConns at once (0: no limit), and a counter of the
// connections it dialled.
func (g Grid) transport(idle, maxConns int) (*http.Transport, *atomic.Int64) {
	var dials atomic.Int64
	d := &net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}
	var tcfg *tls.Config
	if g.TLS != nil {
		tcfg = g.TLS.Clone()
	} else {
		tcfg = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	t := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			return d.DialContext(ctx, network, addr)
		},
		TLSClientConfig:     tcfg,
		TLSHandshakeTimeout: 15 * time.Second,
		MaxIdleConns:        idle,
		MaxIdleConnsPerHost: idle,
		MaxConnsPerHost:     maxConns,
		IdleConnTimeout:     90 * time.Second,
	}
	var p http.Protocols
	p.SetHTTP1(true)
	t.Protocols = &p
	return t, &dials
}

// wapiClient returns a wapi client of the grid over rt: one of its transports, or a
// wrapper of one.
func (g Grid) wapiClient(rt http.RoundTripper, timeout time.Duration) (*wapi.Client, error) {
	return wapi.New(g.base(),
		wapi.WithHTTPClient(&http.Client{Transport: rt}),
		wapi.WithCredentials(g.User, g.Password),
		wapi.WithVersion(g.version()),
		wapi.WithTimeout(timeout),
		wapi.WithUserAgent(userAgent),
	)
}

// Simulator describes a simulated grid (turbowapi sim, gridsim), as its GET /_sim/profile
// serves it.
type Simulator struct {
	Profile SimProfile `json:"profile"`
	// Speed divides every cost: grid seconds = wall seconds × Speed.
	Speed float64 `json:"speed"`
	Seed  int64   `json:"seed"`
	// Faults is the fault specification ("" for none).
	Faults string `json:"faults,omitempty"`
	// MaxBatch is the cap on items per request call (0: none).
	MaxBatch int `json:"max_batch,omitempty"`
}

// SimProfile is a simulated grid's cost profile (docs/profiles.md), read from the simulator.
type SimProfile struct {
	Name         string   `json:"name"`
	Description  string   `json:"description,omitempty"`
	RequestMS    float64  `json:"request_ms"`
	ObjectMS     float64  `json:"object_ms"`
	ReadMS       float64  `json:"read_ms"`
	AuthMS       float64  `json:"auth_ms"`
	ConnectMS    float64  `json:"connect_ms"`
	Sigma        float64  `json:"sigma"`
	Kappa        float64  `json:"kappa"`
	CliffAt      int      `json:"cliff_at"`
	Cliff        float64  `json:"cliff"`
	SerialWrites bool     `json:"serial_writes"`
	Jitter       float64  `json:"jitter"`
	OverloadAt   int      `json:"overload_at"`
	MaxBatch     int      `json:"max_batch"`
	Assumptions  []string `json:"assumptions,omitempty"`
}

// errNotSimulator: the grid does not serve /_sim/profile.
var errNotSimulator = errors.New("bench: the grid is not a simulator (no /_sim/profile)")

// ReadSimulator reads the profile, speed, seed and faults of a simulated grid from its GET
// /_sim/profile. A grid that does not serve it (a real grid) is an error.
func ReadSimulator(ctx context.Context, g Grid) (*Simulator, error) {
	var s Simulator
	if err := g.simGet(ctx, "/_sim/profile", &s); err != nil {
		return nil, err
	}
	if s.Profile.Name == "" || !(s.Speed > 0) {
		return nil, fmt.Errorf("%w: /_sim/profile has no profile or speed", errNotSimulator)
	}
	return &s, nil
}

func (g Grid) simGet(ctx context.Context, path string, out any) error {
	t, _ := g.transport(1, 1)
	defer t.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.base()+path, nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: t}).Do(req)
	if err != nil {
		return fmt.Errorf("bench: GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: GET %s answered %s", errNotSimulator, path, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out); err != nil {
		return fmt.Errorf("%w: GET %s: %v", errNotSimulator, path, err)
	}
	return nil
}
