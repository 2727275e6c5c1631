package gridsim

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strings"
	"time"
)

// Defaults.
const (
	// DefaultSessionTimeout is how long a session cookie stays valid without use, as on a
	// grid with default settings.
	DefaultSessionTimeout = 600 * time.Second
	// DefaultMaxBody is the largest request body accepted (64 MiB).
	DefaultMaxBody = 64 << 20
	// DefaultMaxBatch is the default cap on items per request object: 0, no cap.
	DefaultMaxBatch = 0
	// DefaultMaxResults is the WAPI default for _max_results: more than 1000 results is an
	// error.
	DefaultMaxResults = -1000
	// DefaultSpeed is the default speed: grid time runs at wall-clock pace.
	DefaultSpeed = 1.0
	// DefaultSeed is the default seed of jitter and fault decisions.
	DefaultSeed int64 = 1
	// MaxSpeed is the largest speed accepted.
	MaxSpeed = 1e6
)

// Option configures a Server. Options check their arguments and return an error rather than
// build a broken server.
type Option func(*options) error

type options struct {
	users          map[string]string
	fallbackUsers  map[string]string
	sessionTimeout time.Duration
	maxBatch       int
	maxBody        int64
	dataDir        string
	now            func() time.Time
	logger         *slog.Logger
	accessLog      io.Writer
	allowReset     bool
	profile        Profile
	speed          float64
	seed           int64
	faults         FaultSpec
}

func defaultOptions() options {
	return options{
		users:          map[string]string{},
		sessionTimeout: DefaultSessionTimeout,
		maxBatch:       DefaultMaxBatch,
		maxBody:        DefaultMaxBody,
		now:            time.Now,
		profile:        mustProfile(DefaultProfile),
		speed:          DefaultSpeed,
		seed:           DefaultSeed,
	}
}

func mustProfile(name string) Profile {
	p, ok := LookupProfile(name)
	if !ok {
		panic("gridsim: no built-in profile " + name)
	}
	return p
}

// WithUser adds a user who may log in with HTTP Basic. There are no users by default, so a
// server without this option or WithUsers refuses every request with 401.
func WithUser(name, password string) Option {
	return func(o *options) error {
		if err := checkUser(name, password); err != nil {
			return err
		}
		o.users[name] = password
		return nil
	}
}

// WithFallbackUser adds a user only if no other option adds one: a default that explicit
// users replace (the in-process test grid and the CLI use it for admin/infoblox).
func WithFallbackUser(name, password string) Option {
	return func(o *options) error {
		if err := checkUser(name, password); err != nil {
			return err
		}
		if o.fallbackUsers == nil {
			o.fallbackUsers = map[string]string{}
		}
		o.fallbackUsers[name] = password
		return nil
	}
}

// WithUsers adds several users (name → password), as read from a users file.
func WithUsers(users map[string]string) Option {
	return func(o *options) error {
		for n, p := range users {
			if err := checkUser(n, p); err != nil {
				return err
			}
			o.users[n] = p
		}
		return nil
	}
}

func checkUser(name, password string) error {
	switch {
	case name == "":
		return errors.New("gridsim: empty user name")
	case strings.ContainsAny(name, ":,=\"\\;\r\n"):
		return fmt.Errorf("gridsim: user name %q has a character not allowed in a login (: , = \" \\ ;)", name)
	case password == "":
		return fmt.Errorf("gridsim: empty password for user %q", name)
	}
	return nil
}

// WithSessionTimeout sets how long a session stays valid without use (default
// DefaultSessionTimeout, 600 s). It is also the cookie's "timeout" value, in whole seconds.
func WithSessionTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d < time.Second {
			return fmt.Errorf("gridsim: session timeout %v is shorter than one second", d)
		}
		o.sessionTimeout = d
		return nil
	}
}

// WithMaxBatch caps the number of items in one request object (default 0: no cap).
func WithMaxBatch(n int) Option {
	return func(o *options) error {
		if n < 0 {
			return fmt.Errorf("gridsim: negative max batch %d", n)
		}
		o.maxBatch = n
		return nil
	}
}

// WithMaxBody sets the largest request body accepted, in bytes (default DefaultMaxBody).
func WithMaxBody(n int64) Option {
	return func(o *options) error {
		if n < 1024 {
			return fmt.Errorf("gridsim: max body %d is below 1024 bytes", n)
		}
		o.maxBody = n
		return nil
	}
}

// WithDataDir keeps the grid's objects in an embedded database in dir (created if needed), so
// that every acknowledged write survives a crash and a restart. Default: memory only.
func WithDataDir(dir string) Option {
	return func(o *options) error {
		if dir == "" {
			return errors.New("gridsim: empty data directory")
		}
		o.dataDir = dir
		return nil
	}
}

// WithClock sets the clock used for sessions and cookies (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(o *options) error {
		if now == nil {
			return errors.New("gridsim: nil clock")
		}
		o.now = now
		return nil
	}
}

// WithLogger sets the logger for server events (default: none).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		o.logger = l
		return nil
	}
}

// WithAccessLog writes one line per request to w, in the common log format followed by the
// duration (default: none). Writes are serialised.
func WithAccessLog(w io.Writer) Option {
	return func(o *options) error {
		o.accessLog = w
		return nil
	}
}

// WithAllowReset enables POST /_sim/reset, which deletes every object; it needs a user's
// credentials (Basic or the session cookie) like WAPI (default false).
func WithAllowReset(allow bool) Option {
	return func(o *options) error {
		o.allowReset = allow
		return nil
	}
}

// WithProfile sets the grid's cost profile (default: the built-in DefaultProfile, "instant",
// which costs nothing). The profile is validated; its max_batch, when set, caps batches like
// WithMaxBatch (the smaller cap wins).
func WithProfile(p Profile) Option {
	return func(o *options) error {
		if err := p.Validate(); err != nil {
			return err
		}
		o.profile = p.clone()
		return nil
	}
}

// WithSpeed divides every cost of the profile by k, so that grid time runs k times faster
// than wall-clock time (default DefaultSpeed, 1). Fault durations are not scaled.
func WithSpeed(k float64) Option {
	return func(o *options) error {
		if !(k > 0) || k > MaxSpeed || math.IsInf(k, 0) {
			return fmt.Errorf("gridsim: speed %v: want more than 0 and at most %v", k, MaxSpeed)
		}
		o.speed = k
		return nil
	}
}

// WithSeed sets the seed of service-time jitter and fault decisions (default DefaultSeed):
// under one seed the i-th WAPI request always gets the same jitter and the same fault.
func WithSeed(seed int64) Option {
	return func(o *options) error {
		o.seed = seed
		return nil
	}
}

// WithFaults injects faults into WAPI requests (default: none); see FaultSpec and
// ParseFaults. The spec is validated.
func WithFaults(fs FaultSpec) Option {
	return func(o *options) error {
		if err := fs.Validate(); err != nil {
			return err
		}
		o.faults = FaultSpec{Faults: append([]Fault(nil), fs.Faults...)}
		return nil
	}
}
