package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/turbowapi/turbowapi/bulk"
	"github.com/turbowapi/turbowapi/wapi"
)

// Bench runs the founding experiment and the sweep against one grid. Create it with New.
type Bench struct {
	grid Grid
	o    options
	sim  *Simulator
	id   string
	log  *slog.Logger
}

// Progress reports one finished timed run or sweep point.
type Progress struct {
	// Pass and Passes number the pass (0 in a sweep).
	Pass, Passes int
	// Technique is the technique run (zero in a sweep point).
	Technique Technique
	// Sweep is the sweep point measured (nil outside a sweep).
	Sweep *SweepPoint
	// Seconds is the run's grid time and Wall its wall time; Created the networks created.
	Seconds, Wall float64
	Created       int
	// Message describes a step that is neither (a comparison run, for instance).
	Message string
}

// New returns a benchmark of the grid g. It does no I/O.
func New(g Grid, opts ...Option) (*Bench, error) {
	if err := g.check(); err != nil {
		return nil, err
	}
	o := options{
		techniques:   DefaultTechniques,
		passes:       DefaultPasses,
		workload:     FoundingWorkload(),
		seed:         1,
		maxConc:      bulk.DefaultMaxConcurrency,
		timeout:      wapi.DefaultTimeout,
		sweepSeconds: DefaultSweepSeconds,
		sweepConc:    DefaultSweepConcurrency,
		sweepBatches: DefaultSweepBatches,
		refine:       true,
	}
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("bench: nil option")
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	log := o.logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var idb [4]byte
	_, _ = rand.Read(idb[:])
	return &Bench{grid: g, o: o, id: hex.EncodeToString(idb[:]), log: log}, nil
}

// speed is the simulator's speed (1 for a real grid).
func (b *Bench) speed() float64 { return GridInfo{Simulator: b.sim}.Speed() }

// clientTimeout is the wapi client's timeout in wall time.
func (b *Bench) clientTimeout() time.Duration {
	return max(10*time.Millisecond, time.Duration(float64(b.o.timeout)/b.speed()))
}

// ViewPrefix starts the name of every network view the benchmark creates.
const ViewPrefix = "turbowapi-bench-"

// start reads the simulator (if any) and opens the setup session, which creates, checks and
// deletes the network views.
func (b *Bench) start(ctx context.Context) (*wapi.Client, error) {
	if b.o.simulator {
		sim, err := ReadSimulator(ctx, b.grid)
		if err != nil {
			return nil, err
		}
		b.sim = sim
	}
	t, _ := b.grid.transport(2, 2)
	c, err := b.grid.wapiClient(t, max(b.clientTimeout(), 30*time.Second))
	if err != nil {
		return nil, err
	}
	if err := c.Login(ctx); err != nil {
		return nil, fmt.Errorf("bench: login: %w", err)
	}
	return c, nil
}

func (b *Bench) gridInfo() GridInfo {
	gi := GridInfo{Embedded: b.o.embedded, Simulator: b.sim}
	if !b.o.embedded {
		gi.URL = b.grid.base()
	}
	return gi
}

// withView creates a network view, runs f in it, and deletes the view (which deletes its
// networks), whatever f did. The deletion survives the cancellation of ctx.
func (b *Bench) withView(ctx context.Context, c *wapi.Client, name string, f func(view string) error) (err error) {
	ref, err := c.Create(ctx, wapi.TypeNetworkView, wapi.NetworkView{Name: name, Comment: "turbowapi bench: deleted after the run"})
	if err != nil {
		return fmt.Errorf("bench: creating network view %s: %w", name, err)
	}
	b.log.Debug("network view created", "view", name)
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), max(2*time.Minute, 2*b.clientTimeout()))
		defer cancel()
		if _, derr := c.Delete(dctx, ref); derr != nil {
			b.log.Warn("network view left behind", "view", name, "err", derr)
			err = errors.Join(err, fmt.Errorf("bench: deleting network view %s (delete it by hand): %w", name, derr))
			return
		}
		b.log.Debug("network view deleted", "view", name)
	}()
	return f(name)
}

// count returns the number of networks in view.
func count(ctx context.Context, c *wapi.Client, view string) (int, error) {
	n := 0
	q := wapi.NewQuery().Eq("network_view", view).ReturnFields("network")
	for _, err := range c.SearchAll(ctx, wapi.TypeNetwork, q, wapi.DefaultPageSize) {
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Run runs every technique for every pass, each run in a network view of its own that is
// deleted afterwards, and returns the measurements.
func (b *Bench) Run(ctx context.Context) (*Result, error) {
	started := time.Now()
	c, err := b.start(ctx)
	if err != nil {
		return nil, err
	}
	defer closeClient(ctx, c)
	cidrs, err := b.o.workload.CIDRs()
	if err != nil {
		return nil, err
	}
	res := &Result{
		Version: ResultVersion, Grid: b.gridInfo(), Workload: b.o.workload, Passes: b.o.passes,
		Started: started.UTC().Truncate(time.Second),
	}
	rows := make([]Row, len(b.o.techniques))
	for i, t := range b.o.techniques {
		rows[i] = Row{
			Technique: t, Name: t.Name(), Label: t.Label(), Script: t.Script(), LoginTimed: t.LoginTimed(),
		}
		if p, ok := t.Article(); ok {
			rows[i].Article = &p
		} else {
			rows[i].New = true
		}
	}
	// Pass after pass over every technique, so that a slower spell of a shared machine
	// spreads over the techniques instead of falling on one.
	for pass := 1; pass <= b.o.passes; pass++ {
		for i, t := range b.o.techniques {
			view := fmt.Sprintf("%s%s-p%d-%s", ViewPrefix, b.id, pass, t.Name())
			var p Pass
			err := b.withView(ctx, c, view, func(view string) error {
				var err error
				p, err = b.pass(ctx, c, t, view, cidrs)
				return err
			})
			if err != nil {
				return nil, fmt.Errorf("bench: pass %d, %s: %w", pass, t.Name(), err)
			}
			rows[i].Passes = append(rows[i].Passes, p)
			if b.o.progress != nil {
				b.o.progress(Progress{Pass: pass, Passes: b.o.passes, Technique: t, Seconds: p.Seconds, Wall: p.Wall, Created: p.Created})
			}
		}
	}
	res.Rows = rows
	res.Wall = time.Since(started).Seconds()
	res.Assumptions = b.assumptions(true)
	res.Notes = Notes()
	res.finish()
	return res, nil
}

func closeClient(ctx context.Context, c *wapi.Client) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = c.Close(cctx)
}

// pass runs one technique once in view and checks what it created.
func (b *Bench) pass(ctx context.Context, c *wapi.Client, t Technique, view string, cidrs []string) (Pass, error) {
	r := &replayer{grid: b.grid, view: view, comment: b.o.workload.Comment, cidrs: cidrs, timeout: b.clientTimeout()}
	var m *measure
	var decisions []Decision
	var err error
	switch t.Kind {
	case Sequential:
		m, err = r.sequential(ctx)
	case Threads:
		m, err = r.threads(ctx, t.N)
	case Request:
		m, err = r.request(ctx)
	case Async:
		m, err = r.async(ctx, t.N)
	case Auto:
		var er *engineRun
		er, err = b.engineLoad(ctx, view, b.o.workload.Comment, cidrs, b.o.maxConc,
			bulk.WithStrategy(bulk.Auto), bulk.WithMaxConcurrency(b.o.maxConc))
		if er != nil {
			m = &er.measure
			decisions = b.decisions(er)
		}
	default:
		err = fmt.Errorf("bench: unknown technique %q", t.Kind)
	}
	if err != nil {
		return Pass{}, err
	}
	wall := m.end.Sub(m.start).Seconds()
	p := Pass{
		Seconds: wall * b.speed(), Wall: wall, Created: m.created, Verified: -1,
		Requests: m.requests, Errors: m.errors, FirstError: m.firstErr, Connections: m.connections,
		Decisions: decisions,
	}
	if t.LoginTimed() {
		p.Requests++ // the login
	}
	p.Status = statusNames(m.status)
	n, err := count(ctx, c, view)
	if err != nil {
		return Pass{}, fmt.Errorf("bench: counting the networks of %s: %w", view, err)
	}
	p.Verified = n
	if n == 0 {
		return p, fmt.Errorf("%w in %s (first error: %s)", errNoObjects, view, m.firstErr)
	}
	return p, nil
}

// statusNames keys replies by HTTP status as the reports do ("201"), nil for none.
func statusNames(status map[int]int) map[string]int {
	if len(status) == 0 {
		return nil
	}
	out := make(map[string]int, len(status))
	for st, n := range status {
		out[strconv.Itoa(st)] = n
	}
	return out
}

// decisions converts the controller's decisions to grid seconds from the start of the run.
func (b *Bench) decisions(er *engineRun) []Decision {
	out := make([]Decision, 0, len(er.decisions))
	for _, d := range er.decisions {
		at := max(0, d.Time.Sub(er.gridStart).Seconds())
		out = append(out, Decision{
			At: round(at, 3), Limit: d.Limit, BatchSize: d.BatchSize, Reason: string(d.Reason),
			Goodput: round(d.Window.Estimate, 2),
		})
	}
	return out
}
