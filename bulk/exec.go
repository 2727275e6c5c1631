package bulk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/turbowapi/turbowapi/adaptive"
	"github.com/turbowapi/turbowapi/wapi"
)

// task is one object on its way through the engine. One goroutine owns it at a time.
type task struct {
	it       *Item
	attempts int    // write requests sent for it
	unknown  bool   // an attempt's outcome is unknown and has not been looked up yet
	maybe    bool   // some attempt may have been applied
	retry    bool   // the next send repeats an earlier one
	formed   int    // the controller's batch size when the task was grouped
	last     error  // the last transient error
	status   Status // final outcome, once done
	done     bool
}

// do sends one request under a permit of the limiter and reports it to the controller as
// one sample. formed is the controller's batch size when the objects were grouped (0 when it
// does not apply): a group formed before a change of batch size is not a measurement of the
// new one. The permit is released only once the controller has seen the attempt and the
// limiter enforces its decision: released first, it would let another attempt start under
// the old limit, and an overload would then be followed by a second one from an attempt that
// started after the cut (two cuts for one congestion). It never sleeps while holding the
// permit.
func (r *run) do(ctx context.Context, objects int, write bool, formed int, fn func(context.Context) error) error {
	p, err := r.lim.Acquire(ctx)
	if err != nil {
		return err
	}
	start := r.o.now()
	err = fn(ctx)
	end := r.o.now()
	r.reqs.Add(1)
	r.progress.requests.Add(1)
	if write {
		r.writes.Add(1)
	} else {
		r.lookups.Add(1)
	}
	r.lat.add(end.Sub(start))
	if err != nil && ctx.Err() != nil {
		p.Release()
		return err // the run is stopping: not a measurement
	}
	s := adaptive.Sample{Start: start, End: end, Objects: objects, InFlight: p.InFlight(), Outcome: classify(err), BatchSize: formed}
	s.RetryAfter, _ = wapi.RetryAfter(err)
	if !write && s.Outcome == adaptive.OutcomeOK {
		// A lookup is load on the grid that creates nothing: busy time without goodput.
		s.Outcome, s.Objects = adaptive.OutcomeIgnore, 1
	}
	d, ok := r.ctrl.Observe(s)
	if ok {
		r.lim.Apply(d)
	}
	p.Release()
	if ok {
		r.decided(d)
	}
	return err
}

// classify turns an attempt's error into the controller's outcome class.
func classify(err error) adaptive.Outcome {
	switch {
	case err == nil:
		return adaptive.OutcomeOK
	case errors.Is(err, wapi.ErrTransient):
		return adaptive.OutcomeOverload
	}
	return adaptive.OutcomeIgnore
}

// fatal reports errors that no object can get past: bad credentials, a certificate that is
// not trusted, a closed client. The run stops; objects stay pending.
func fatal(err error) bool {
	if errors.Is(err, wapi.ErrTransient) {
		return false
	}
	if errors.Is(err, wapi.ErrAuth) || errors.Is(err, wapi.ErrClosed) {
		return true
	}
	var le *wapi.LoginError
	if errors.As(err, &le) {
		return true
	}
	var te *wapi.TransportError
	return errors.As(err, &te) && !te.Sent
}

// pause waits before retry n (1 for the first retry): a random time in
// [0, min(cap, base·2^(n−1))], and at least the Retry-After the grid asked for.
func (r *run) pause(ctx context.Context, n int, err error) error {
	d := r.jitter.backoff(r.o, n, err)
	r.backoff.Add(int64(d))
	return r.o.sleep(ctx, d)
}

func (r *run) intent(ts []*task) error {
	ords := make([]int64, len(ts))
	for i, t := range ts {
		ords[i] = t.it.Ordinal
	}
	if err := r.rec.Intent(ords); err != nil {
		err = fmt.Errorf("%w: %w", ErrRecorder, err)
		r.fail(err)
		return err
	}
	return nil
}

// finish records the final outcome of t, once.
func (r *run) finish(t *task, o Outcome) error {
	if t.done {
		return nil
	}
	t.done, t.status = true, o.Status
	it := t.it
	o.Ordinal, o.Source, o.Line, o.Type = it.Ordinal, it.Source, it.Line, it.Type
	o.Key, o.Attempts = it.KeyString(), t.attempts
	if o.Ref == "" && r.del {
		o.Ref = it.Ref
	}
	r.counts[statusIndex(o.Status)].Add(1)
	r.progress.done.Add(1)
	if !o.Status.Success() {
		r.progress.failed.Add(1)
	}
	if err := r.rec.Outcome(o); err != nil {
		err = fmt.Errorf("%w: %w", ErrRecorder, err)
		r.fail(err)
		return err
	}
	return nil
}

// failure describes err as a failed outcome: the grid's code and text when it answered.
func failure(err error, note string) Outcome {
	o := Outcome{Status: StatusFailed}
	var we *wapi.Error
	if errors.As(err, &we) {
		o.Code, o.Text = we.Code, we.Text
		if o.Code == "" {
			o.Code = "HTTP " + strconv.Itoa(we.StatusCode)
		}
	} else {
		o.Text = err.Error()
	}
	if note != "" {
		o.Text = note + ": " + o.Text
	}
	return o
}

// afterFailure notes a failed attempt of ts and reports whether it is worth repeating: a
// transient failure, or an outcome that is unknown (looked up first).
func (r *run) afterFailure(ts []*task, err error) bool {
	maybe := wapi.MaybeApplied(err)
	if !maybe && !errors.Is(err, wapi.ErrTransient) {
		return false
	}
	for _, t := range ts {
		t.last, t.retry = err, true
		if maybe {
			t.maybe = true
			t.unknown = !r.del // a delete is repeated as it is: not found then means deleted
		}
	}
	return true
}

// giveUp fails the tasks that ran out of attempts and returns the others.
func (r *run) giveUp(ts []*task) []*task {
	out := ts[:0:0]
	for _, t := range ts {
		if t.attempts >= r.o.maxAttempts {
			note := fmt.Sprintf("gave up after %d attempts", t.attempts)
			if t.maybe {
				note += " (an earlier attempt may have been applied)"
			}
			err := t.last
			if err == nil {
				err = errors.New("no reply")
			}
			if r.finish(t, failure(err, note)) != nil {
				return nil
			}
			continue
		}
		out = append(out, t)
	}
	return out
}

// group sends ts (one phase, one batch) until every task has an outcome or the run stops.
// iso marks requests made to isolate a failed batch.
func (r *run) group(ctx context.Context, ts []*task, iso bool) {
	for len(ts) > 0 && ctx.Err() == nil {
		ts = r.settleUnknown(ctx, ts)
		ts = r.giveUp(ts)
		if len(ts) == 0 || ctx.Err() != nil {
			return
		}
		err := r.send(ctx, ts, iso)
		if err == nil || ctx.Err() != nil {
			return
		}
		if fatal(err) {
			r.fail(err)
			return
		}
		if r.afterFailure(ts, err) {
			if errors.Is(err, wapi.ErrTransient) && ts[0].attempts < r.o.maxAttempts {
				if r.pause(ctx, ts[0].attempts, err) != nil {
					return
				}
			}
			continue
		}
		if len(ts) == 1 {
			r.itemError(ctx, ts[0], err)
			return
		}
		r.isolate(ctx, ts, err)
		return
	}
}

// send makes one write attempt for ts: a single call for one task, a `request` call for
// more. On success every task gets its outcome.
func (r *run) send(ctx context.Context, ts []*task, iso bool) error {
	if err := r.intent(ts); err != nil {
		return err
	}
	retried := false
	for _, t := range ts {
		t.attempts++
		retried = retried || t.retry
		t.retry = false
	}
	if retried {
		r.retries.Add(1)
		r.progress.retries.Add(1)
	}
	if iso {
		r.isol.Add(1)
	}
	if len(ts) == 1 {
		t := ts[0]
		var ref string
		err := r.do(ctx, 1, true, t.formed, func(ctx context.Context) error {
			var e error
			if r.del {
				ref, e = r.deleteRef(ctx, t.it)
			} else {
				ref, e = r.c.Create(ctx, t.it.Type, t.it.Body)
			}
			return e
		})
		if err != nil {
			return err
		}
		r.succeeded(t, ref)
		return nil
	}
	b := wapi.NewBatch(len(ts))
	for _, t := range ts {
		if r.del {
			b.Add(wapi.BatchItem{Method: http.MethodDelete, Object: t.it.Ref, Args: deleteArgs(t.it.Type)})
		} else {
			b.Create(t.it.Type, t.it.Body)
		}
	}
	var res []wapi.BatchResult
	err := r.do(ctx, len(ts), true, ts[0].formed, func(ctx context.Context) error {
		var e error
		res, e = r.c.SendBatch(ctx, b)
		return e
	})
	if err != nil {
		return err
	}
	for i, t := range ts {
		ref := ""
		if i < len(res) {
			ref, _ = res[i].Ref()
		}
		r.succeeded(t, ref)
	}
	return nil
}

func (r *run) succeeded(t *task, ref string) {
	if r.del {
		r.finish(t, Outcome{Status: StatusDeleted, Ref: t.it.Ref})
		return
	}
	r.finish(t, Outcome{Status: StatusCreated, Ref: ref})
}

// containers lose their children when deleted unless remove_subnets is false.
func isContainer(typ string) bool {
	return typ == wapi.TypeNetworkContainer || typ == "ipv6networkcontainer"
}

func deleteArgs(typ string) map[string]any {
	if isContainer(typ) {
		return map[string]any{"remove_subnets": false}
	}
	return nil
}

func (r *run) deleteRef(ctx context.Context, it *Item) (string, error) {
	if isContainer(it.Type) {
		var out string
		err := r.c.Do(ctx, http.MethodDelete, it.Ref, wapi.NewQuery().Eq("remove_subnets", "false"), nil, &out)
		return out, err
	}
	return r.c.Delete(ctx, it.Ref)
}

// isolate handles a batch that the grid refused because of one of its objects (not a
// transient failure: the batch is one transaction, so nothing of it was applied).
func (r *run) isolate(ctx context.Context, ts []*task, err error) {
	var be *wapi.BatchError
	if errors.As(err, &be) && be.Index >= 0 && be.Index < len(ts) {
		// The grid said which object failed: no search needed.
		r.itemError(ctx, ts[be.Index], err)
		rest := make([]*task, 0, len(ts)-1)
		rest = append(append(rest, ts[:be.Index]...), ts[be.Index+1:]...)
		r.group(ctx, rest, true)
		return
	}
	if !r.del && r.o.conflictLook && errors.Is(err, wapi.ErrConflict) {
		// Some objects already exist: one request of searches finds them all, however many.
		rest, n := r.resolveExisting(ctx, ts)
		if n > 0 || ctx.Err() != nil {
			r.group(ctx, rest, true)
			return
		}
		// None of them exists by its key: the conflict is of another kind (a CNAME on the
		// name of an A record...), to be isolated like any other failure.
		r.bisect(ctx, ts, err, true)
		return
	}
	r.bisect(ctx, ts, err, false)
}

// bisect isolates the failing objects of ts, which failed as one batch with err (the error
// of its first failing object). It sends the first half; if every object of it is created,
// the first failing object is in the second half, which is split without being sent;
// otherwise the second half is sent as it is. A lone object known to fail gets err (a
// conflict is a failure when a lookup already found no object with its key: lookedUp).
func (r *run) bisect(ctx context.Context, ts []*task, err error, lookedUp bool) {
	for len(ts) > 1 && ctx.Err() == nil {
		h := len(ts) / 2
		a, b := ts[:h], ts[h:]
		r.group(ctx, a, true)
		if !allDone(a, r.success()) {
			r.group(ctx, b, true)
			return
		}
		ts = b
	}
	if len(ts) == 1 && ctx.Err() == nil {
		if lookedUp && errors.Is(err, wapi.ErrConflict) {
			r.finish(ts[0], failure(err, "conflict, but no object with this key was found"))
			return
		}
		r.itemError(ctx, ts[0], err)
	}
}

func (r *run) success() Status {
	if r.del {
		return StatusDeleted
	}
	return StatusCreated
}

func allDone(ts []*task, st Status) bool {
	for _, t := range ts {
		if !t.done || t.status != st {
			return false
		}
	}
	return true
}

// itemError settles an object the grid refused (not a transient failure).
func (r *run) itemError(ctx context.Context, t *task, err error) {
	if r.del {
		if errors.Is(err, wapi.ErrNotFound) {
			if t.maybe {
				r.finish(t, Outcome{Status: StatusDeleted, Text: "not found after an unknown outcome"})
			} else {
				r.finish(t, Outcome{Status: StatusNotFound})
			}
			return
		}
		r.finish(t, failure(err, ""))
		return
	}
	if !errors.Is(err, wapi.ErrConflict) {
		r.finish(t, failure(err, ""))
		return
	}
	if !t.maybe && r.o.conflict != Update {
		if r.o.conflict == Skip {
			r.finish(t, Outcome{Status: StatusExisted})
		} else {
			r.finish(t, failure(err, ""))
		}
		return
	}
	// Either an earlier attempt of ours may have created it, or it must be updated: find it.
	objs, lerr := r.lookup(ctx, []*task{t})
	switch {
	case ctx.Err() != nil:
	case lerr != nil:
		r.finish(t, failure(lerr, "already exists, and the lookup by key failed"))
	case objs[0] == nil:
		r.finish(t, failure(err, "conflict, but no object with this key was found"))
	default:
		r.resolveFound(ctx, t, objs[0])
	}
}

// settleUnknown looks up the tasks whose last attempt's outcome is unknown, settles those
// found on the grid and returns the others.
func (r *run) settleUnknown(ctx context.Context, ts []*task) []*task {
	var unk []*task
	for _, t := range ts {
		if t.unknown {
			unk = append(unk, t)
		}
	}
	if len(unk) == 0 {
		return ts
	}
	objs, err := r.lookup(ctx, unk)
	if ctx.Err() != nil {
		return nil
	}
	for i, t := range unk {
		t.unknown = false
		switch {
		case err != nil:
			r.finish(t, failure(err, "outcome unknown, and the lookup by key failed"))
		case objs[i] != nil:
			r.resolveFound(ctx, t, objs[i])
		}
	}
	return pending(ts)
}

func pending(ts []*task) []*task {
	out := make([]*task, 0, len(ts))
	for _, t := range ts {
		if !t.done {
			out = append(out, t)
		}
	}
	return out
}

// resolveExisting looks up every object of a batch refused as a duplicate, settles those
// found and returns the others with the number settled.
func (r *run) resolveExisting(ctx context.Context, ts []*task) ([]*task, int) {
	objs, err := r.lookup(ctx, ts)
	if err != nil {
		return ts, 0
	}
	n := 0
	for i, t := range ts {
		if objs[i] != nil {
			r.resolveFound(ctx, t, objs[i])
			n++
		}
	}
	return pending(ts), n
}

// resolveFound settles an object found on the grid by its key.
func (r *run) resolveFound(ctx context.Context, t *task, obj wapi.Object) {
	ref := obj.Ref()
	if t.maybe && matches(t.it, obj) {
		r.finish(t, Outcome{Status: StatusCreated, Ref: ref, Text: "found by key after an unknown outcome"})
		return
	}
	switch r.o.conflict {
	case Skip:
		r.finish(t, Outcome{Status: StatusExisted, Ref: ref})
	case Fail:
		r.finish(t, Outcome{Status: StatusFailed, Ref: ref, Code: wapi.CodeConflict, Text: "already exists"})
	default:
		r.update(ctx, t, ref)
	}
}

// update sets the object's input fields on the existing object ref (a PUT, which is
// idempotent, so repeated on transient failures and unknown outcomes alike).
func (r *run) update(ctx context.Context, t *task, ref string) {
	body, err := updateBody(t.it)
	if err != nil {
		r.finish(t, failure(err, "update"))
		return
	}
	for ctx.Err() == nil {
		if t.attempts >= r.o.maxAttempts {
			r.finish(t, failure(t.last, fmt.Sprintf("update: gave up after %d attempts", t.attempts)))
			return
		}
		if r.intent([]*task{t}) != nil {
			return
		}
		if t.retry {
			r.retries.Add(1)
			r.progress.retries.Add(1)
		}
		t.attempts++
		var out string
		err := r.do(ctx, 1, true, 0, func(ctx context.Context) error {
			var e error
			out, e = r.c.Update(ctx, ref, body)
			return e
		})
		switch {
		case err == nil:
			if out == "" {
				out = ref
			}
			r.finish(t, Outcome{Status: StatusUpdated, Ref: out})
			return
		case ctx.Err() != nil:
			return
		case fatal(err):
			r.fail(err)
			return
		case errors.Is(err, wapi.ErrTransient) || wapi.MaybeApplied(err):
			t.last, t.retry = err, true
			if errors.Is(err, wapi.ErrTransient) && t.attempts < r.o.maxAttempts && r.pause(ctx, t.attempts, err) != nil {
				return
			}
		default:
			r.finish(t, failure(err, "update"))
			return
		}
	}
}

// lookup finds the objects of ts by key: one search for one object, one `request` call of
// searches for more. The result has one entry per task, nil when not found. Transient
// failures are retried.
func (r *run) lookup(ctx context.Context, ts []*task) ([]wapi.Object, error) {
	var objs []wapi.Object
	err := retry(ctx, r.o.maxAttempts, func(ctx context.Context) error {
		var err error
		objs, err = r.lookupOnce(ctx, ts)
		return err
	}, func(n int, err error) error {
		r.retries.Add(1)
		r.progress.retries.Add(1)
		return r.pause(ctx, n, err)
	})
	switch {
	case err == nil:
		return objs, nil
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case fatal(err):
		r.fail(err)
	}
	return nil, err
}

func (r *run) lookupOnce(ctx context.Context, ts []*task) ([]wapi.Object, error) {
	out := make([]wapi.Object, len(ts))
	if len(ts) == 1 {
		it := ts[0].it
		q := wapi.NewQuery()
		for _, f := range it.Key {
			q.Eq(f.Name, f.Value)
		}
		if rf := compareFields(it); len(rf) > 0 {
			q.ReturnFieldsPlus(rf...)
		}
		var objs []wapi.Object
		err := r.do(ctx, 1, false, 0, func(ctx context.Context) error {
			var e error
			objs, e = r.c.Search(ctx, it.Type, q)
			return e
		})
		if err != nil {
			return nil, err
		}
		if len(objs) > 0 {
			out[0] = objs[0]
		}
		return out, nil
	}
	b := wapi.NewBatch(len(ts))
	for _, t := range ts {
		data := make(map[string]any, len(t.it.Key))
		for _, f := range t.it.Key {
			data[f.Name] = f.Value
		}
		var args map[string]any
		if rf := compareFields(t.it); len(rf) > 0 {
			args = map[string]any{"_return_fields+": strings.Join(rf, ",")}
		}
		b.Add(wapi.BatchItem{Method: http.MethodGet, Object: t.it.Type, Data: data, Args: args})
	}
	var res []wapi.BatchResult
	err := r.do(ctx, len(ts), false, 0, func(ctx context.Context) error {
		var e error
		res, e = r.c.SendBatch(ctx, b)
		return e
	})
	if err != nil {
		return nil, err
	}
	for i := range ts {
		if i >= len(res) {
			break
		}
		var objs []wapi.Object
		if err := res[i].Decode(&objs); err != nil {
			return nil, fmt.Errorf("bulk: lookup reply for %s %s: %w", ts[i].it.Type, ts[i].it.KeyString(), err)
		}
		if len(objs) > 0 {
			out[i] = objs[0]
		}
	}
	return out, nil
}

// Fields compared to tell an object created by an attempt whose reply was lost (same fields)
// from one that was there before (different fields). Every object type has them.
var comparedFields = [...]string{"comment", "extattrs"}

func decodeBody(it *Item) map[string]any {
	var m map[string]any
	if json.Unmarshal(it.Body, &m) != nil {
		return nil
	}
	return m
}

func compareFields(it *Item) []string {
	m := decodeBody(it)
	var out []string
	for _, f := range comparedFields {
		if _, ok := m[f]; ok {
			out = append(out, f)
		}
	}
	return out
}

// matches reports whether the object found on the grid has the compared fields the input
// gives it.
func matches(it *Item, obj wapi.Object) bool {
	m := decodeBody(it)
	for _, f := range comparedFields {
		want, ok := m[f]
		if !ok {
			continue
		}
		a, _ := json.Marshal(want)
		b, _ := json.Marshal(obj[f])
		if !bytes.Equal(a, b) {
			return false
		}
	}
	return true
}

// createOnly are fields WAPI accepts on create only; an update leaves them out, as it leaves
// out the key (which matched).
var createOnly = map[string]bool{"network_view": true, "view": true, "zone_format": true}

func updateBody(it *Item) ([]byte, error) {
	m := decodeBody(it)
	if m == nil {
		return nil, errors.New("body is not a JSON object")
	}
	for _, f := range it.Key {
		delete(m, f.Name)
	}
	for f := range createOnly {
		delete(m, f)
	}
	return json.Marshal(m)
}
