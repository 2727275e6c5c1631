package wapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
)

// Methods of batch items, besides GET, POST, PUT and DELETE.
const (
	MethodStateAssign  = "STATE:ASSIGN"  // seed state variables from Data
	MethodStateDisplay = "STATE:DISPLAY" // return the state variables
)

// BatchItem is one request inside a `request` (batch) call.
type BatchItem struct {
	// Method is GET, POST, PUT, DELETE, STATE:ASSIGN or STATE:DISPLAY.
	Method string
	// Object is an object type (GET, POST) or a reference (PUT, DELETE); it may hold
	// ##STATE:var:## placeholders when EnableSubstitution is set.
	Object string
	// Data is the body (POST, PUT), the search filters (GET) or the variables
	// (STATE:ASSIGN). Same accepted forms as the data of [Client.Create].
	Data any
	// Args are what would be URL arguments: _return_fields, _function, ...
	Args map[string]any
	// AssignState stores fields of this item's result in state variables: var → field.
	AssignState map[string]string
	// EnableSubstitution expands ##STATE:var:## in Object and Data.
	EnableSubstitution bool
	// Discard leaves this item's result out of the reply.
	Discard bool
}

// Batch builds the body of a WAPI `request` call: a list of items the grid runs in order, as
// one transaction. The zero value is an empty batch. A Batch is not safe for concurrent use.
type Batch struct {
	items []BatchItem
}

// NewBatch returns an empty batch with room for n items.
func NewBatch(n int) *Batch { return &Batch{items: make([]BatchItem, 0, max(n, 0))} }

// Add appends an item and returns its index.
func (b *Batch) Add(it BatchItem) int {
	b.items = append(b.items, it)
	return len(b.items) - 1
}

// Create appends a POST of data to objtype and returns the item's index.
func (b *Batch) Create(objtype string, data any) int {
	return b.Add(BatchItem{Method: http.MethodPost, Object: objtype, Data: data})
}

// Update appends a PUT of data to ref and returns the item's index.
func (b *Batch) Update(ref string, data any) int {
	return b.Add(BatchItem{Method: http.MethodPut, Object: ref, Data: data})
}

// Delete appends a DELETE of ref and returns the item's index.
func (b *Batch) Delete(ref string) int {
	return b.Add(BatchItem{Method: http.MethodDelete, Object: ref})
}

// Len returns the number of items.
func (b *Batch) Len() int { return len(b.items) }

// Items returns the items (not a copy).
func (b *Batch) Items() []BatchItem { return b.items }

// Reset empties the batch, keeping its capacity.
func (b *Batch) Reset() {
	clear(b.items)
	b.items = b.items[:0]
}

// MarshalJSON encodes the batch as the body of POST /wapi/vX/request.
func (b *Batch) MarshalJSON() ([]byte, error) {
	out, err := b.appendJSON(nil)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (b *Batch) appendJSON(out []byte) ([]byte, error) {
	out = append(out, '[')
	for i := range b.items {
		it := &b.items[i]
		if err := it.check(); err != nil {
			return nil, invalidf("batch item %d: %v", i, err)
		}
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, `{"method":`...)
		out = appendString(out, it.Method)
		if it.Object != "" {
			out = append(out, `,"object":`...)
			out = appendString(out, it.Object)
		}
		var err error
		if it.Data != nil {
			out = append(out, `,"data":`...)
			if out, err = appendBatchData(out, it.Data); err != nil {
				return nil, invalidf("batch item %d: data: %v", i, err)
			}
		}
		if it.Args != nil {
			out = append(out, `,"args":`...)
			if out, err = appendMap(out, it.Args); err != nil {
				return nil, invalidf("batch item %d: args: %v", i, err)
			}
		}
		if it.AssignState != nil {
			out = append(out, `,"assign_state":`...)
			out, _ = appendStringMap(out, it.AssignState)
		}
		if it.EnableSubstitution {
			out = append(out, `,"enable_substitution":true`...)
		}
		if it.Discard {
			out = append(out, `,"discard":true`...)
		}
		out = append(out, '}')
	}
	return append(out, ']'), nil
}

func appendBatchData(out []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case []byte:
		if !json.Valid(x) {
			return out, errors.New("[]byte is not valid JSON")
		}
		return append(out, x...), nil
	}
	return appendJSON(out, v)
}

func (it *BatchItem) check() error {
	switch it.Method {
	case http.MethodGet, http.MethodPost:
		if !it.EnableSubstitution && !validType(it.Object) {
			return errors.New("object type " + strconv.Quote(it.Object))
		}
	case http.MethodPut, http.MethodDelete:
		if !it.EnableSubstitution {
			if err := checkRef(it.Object); err != nil {
				return err
			}
		}
	case MethodStateAssign, MethodStateDisplay:
	default:
		return errors.New("method " + strconv.Quote(it.Method))
	}
	return nil
}

// BatchResult is the result of one batch item, as the grid returned it.
type BatchResult struct {
	// Index is the position of the item in the batch (discarded items have no result, so
	// Index can differ from the position in the result slice).
	Index int
	// Raw is the item's result: a reference string for POST, PUT and DELETE, a list of
	// objects for GET, the state for STATE:DISPLAY.
	Raw json.RawMessage
}

// Ref returns the reference a POST, PUT or DELETE item returned.
func (r BatchResult) Ref() (string, bool) {
	if s, ok := fastJSONString(r.Raw); ok {
		return s, true
	}
	var s string
	if json.Unmarshal(r.Raw, &s) == nil {
		return s, true
	}
	return "", false
}

// Decode decodes the result into v.
func (r BatchResult) Decode(v any) error { return json.Unmarshal(r.Raw, v) }

// Object decodes a result that is one object (or a reference, returned as {"_ref": ...}).
func (r BatchResult) Object() (Object, error) { return objectFromReply(r.Raw) }

// SendBatch sends b as one `request` call (POST /wapi/vX/request) and returns one result per
// item that is not discarded, in item order. The grid runs the batch as one transaction: on
// failure nothing was applied, and the error is a [*BatchError] whose Index says which item
// failed when the grid's reply says so (-1 otherwise); errors.Is sees the grid's error
// through it ([ErrConflict], ...). Like [Client.Create], SendBatch does not retry on its own.
func (c *Client) SendBatch(ctx context.Context, b *Batch) ([]BatchResult, error) {
	if b == nil || len(b.items) == 0 {
		return nil, invalidf("empty batch")
	}
	sp := scratchPool.Get().(*[]byte)
	enc, err := b.appendJSON((*sp)[:0])
	var body []byte
	if err == nil {
		body = slices.Clone(enc)
	}
	if enc != nil && cap(enc) <= maxPooledBuffer {
		*sp = enc[:0]
	}
	scratchPool.Put(sp)
	if err != nil {
		return nil, err
	}
	var raw json.RawMessage
	cl := &call{method: http.MethodPost, object: "request", body: body}
	if err := c.exec(ctx, cl, &raw); err != nil {
		var we *Error
		if errors.As(err, &we) {
			return nil, &BatchError{Index: batchErrorIndex(we, len(b.items)), Err: err}
		}
		return nil, err
	}
	kept := make([]int, 0, len(b.items))
	for i := range b.items {
		if !b.items[i].Discard {
			kept = append(kept, i)
		}
	}
	results, err := splitBatchReply(raw, kept)
	if err != nil {
		return nil, &DecodeError{Method: cl.method, Object: cl.object, StatusCode: http.StatusOK, Err: err}
	}
	return results, nil
}

// splitBatchReply maps the reply (a list with one entry per kept item) to results. A single
// kept item may come back unwrapped (the documented STATE:DISPLAY sample).
func splitBatchReply(raw json.RawMessage, kept []int) ([]BatchResult, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '[' {
		if len(kept) == 1 {
			return []BatchResult{{Index: kept[0], Raw: raw}}, nil
		}
		if len(kept) == 0 {
			return []BatchResult{}, nil
		}
		return nil, errors.New("batch reply is not a list")
	}
	items, err := splitJSONArray(raw)
	if err != nil {
		return nil, err
	}
	if len(items) != len(kept) {
		return nil, errors.New("batch reply has " + strconv.Itoa(len(items)) + " results for " +
			strconv.Itoa(len(kept)) + " non-discarded items")
	}
	out := make([]BatchResult, len(items))
	for i, r := range items {
		out[i] = BatchResult{Index: kept[i], Raw: r}
	}
	return out, nil
}

// batchErrorIndex finds the failing item in a batch error reply, when the grid names it.
func batchErrorIndex(e *Error, n int) int {
	_, _ = e, n
	return -1
}

// splitJSONArray returns the elements of a JSON array as sub-slices of raw (no copies). raw
// must be valid JSON (the reply was validated when it was read).
func splitJSONArray(raw []byte) ([]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) < 2 || raw[0] != '[' {
		return nil, errors.New("not a JSON array")
	}
	var out []json.RawMessage
	depth, start, inString, escaped := 0, -1, false, false
	for i := 1; i < len(raw)-1; i++ {
		c := raw[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '"':
			inString = true
		case '[', '{':
			depth++
		case ']', '}':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, bytes.TrimSpace(raw[start:i]))
				start = -1
				continue
			}
		}
		if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		out = append(out, bytes.TrimSpace(raw[start:len(raw)-1]))
	}
	return out, nil
}
