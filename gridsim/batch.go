package gridsim

import (
	"net/http"
	"strconv"
	"strings"
)

// The request object: a single item, or a list run in order as one transaction. The first
// failing item rolls back every change of the batch and its error is the reply.

var itemKeys = map[string]bool{
	"method": true, "object": true, "data": true, "args": true,
	"assign_state": true, "enable_substitution": true, "discard": true,
}

func (s *Server) runBatch(data any, items []any) (*result, []byte, *apiError) {
	_, single := data.(map[string]any)
	if items == nil {
		return nil, nil, protoErr("The request object needs a JSON object or a list of objects")
	}
	if s.opts.maxBatch > 0 && len(items) > s.opts.maxBatch {
		return nil, nil, batchTooLarge(len(items), s.opts.maxBatch)
	}
	return s.writeOp(func(t *tx) (*result, *apiError) {
		state := map[string]any{}
		out := &result{status: http.StatusOK, items: []*result{}}
		for _, it := range items {
			r, err := s.runItem(t, it, state)
			if err != nil {
				return nil, err
			}
			if r != nil {
				out.items = append(out.items, r)
			}
		}
		if single {
			if len(out.items) == 1 {
				return out.items[0], nil
			}
			return &result{status: http.StatusOK, items: []*result{}}, nil
		}
		return out, nil
	})
}

// batchTooLarge answers a request call with more items than the cap (WithMaxBatch or the
// profile's max_batch).
func batchTooLarge(n, limit int) *apiError {
	return protoErr("Too many objects in the request: %d (the limit is %d)", n, limit)
}

func (s *Server) runItem(t *tx, it any, state map[string]any) (*result, *apiError) {
	m, ok := it.(map[string]any)
	if !ok {
		return nil, protoErr("Each item of the request object must be a JSON object")
	}
	for _, k := range sortedKeys(m) {
		if !itemKeys[k] {
			return nil, unknownField(k)
		}
	}
	method, _ := m["method"].(string)
	discard, _ := m["discard"].(bool)
	subst, _ := m["enable_substitution"].(bool)
	switch strings.ToUpper(method) {
	case "STATE:ASSIGN":
		d, ok := m["data"].(map[string]any)
		if !ok {
			return nil, protoErr("STATE:ASSIGN needs a data object")
		}
		for k, v := range d {
			state[k] = v
		}
		return nil, nil
	case "STATE:DISPLAY":
		snap := make(map[string]any, len(state))
		for k, v := range state {
			snap[k] = v
		}
		return &result{status: http.StatusOK, raw: snap}, nil
	case "GET", "POST", "PUT", "DELETE":
	case "":
		return nil, missingField("method")
	default:
		return nil, invalidValue("method", repr(method), "Must be one of GET, POST, PUT, DELETE, STATE:ASSIGN, STATE:DISPLAY")
	}
	method = strings.ToUpper(method)
	object, ok := m["object"].(string)
	if !ok {
		return nil, missingField("object")
	}
	data := m["data"]
	if subst {
		object = substitute(object, state)
		data = substituteAll(data, state)
	}
	var list []kv
	if a, ok := m["args"]; ok {
		am, ok := a.(map[string]any)
		if !ok {
			return nil, invalidValue("args", repr(a), "Must be object type")
		}
		var err *apiError
		if list, err = jsonArgs(am); err != nil {
			return nil, err
		}
	}
	if method == "GET" {
		if dm, ok := data.(map[string]any); ok {
			extra, err := jsonArgs(dm)
			if err != nil {
				return nil, err
			}
			list = append(list, extra...)
			data = nil
		}
	}
	res, err := s.op(t, method, object, list, data, false)
	if err != nil {
		return nil, err
	}
	if as, ok := m["assign_state"].(map[string]any); ok {
		for v, f := range as {
			field, _ := f.(string)
			val, ok := s.extract(res, field)
			if !ok {
				return nil, protoErr("Cannot assign state %s: the result has no field %s", v, field)
			}
			state[v] = val
		}
	}
	if discard {
		return nil, nil
	}
	return res, nil
}

// extract reads a field of an item's result for assign_state: from a ref reply ("_ref"), an
// object, the first object of a search, or a function's reply. "*Name" reads an extensible
// attribute, "field[i]" a list member.
func (s *Server) extract(r *result, field string) (any, bool) {
	idx := -1
	if i := strings.IndexByte(field, '['); i > 0 && strings.HasSuffix(field, "]") {
		n, err := strconv.Atoi(field[i+1 : len(field)-1])
		if err != nil || n < 0 {
			return nil, false
		}
		field, idx = field[:i], n
	}
	var v any
	switch {
	case r.ref != "" && r.obj == nil:
		if field != "_ref" {
			return nil, false
		}
		v = r.ref
	case r.raw != nil:
		m, ok := r.raw.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[field]; !ok {
			return nil, false
		}
	default:
		o := r.obj
		if r.isList {
			if len(r.list) == 0 {
				return nil, false
			}
			o = r.list[0]
		}
		if o == nil {
			return nil, false
		}
		switch {
		case field == "_ref":
			v = s.st.ref(o)
		case strings.HasPrefix(field, "*"):
			raw, ok := o.raw("extattrs")
			if !ok {
				return nil, false
			}
			vals, ok := eaValues(raw, field[1:])
			if !ok || len(vals) == 0 {
				return nil, false
			}
			v = vals[0]
		default:
			fd := o.t.field(field)
			if fd == nil {
				return nil, false
			}
			raw, ok := s.st.value(o, fd)
			if !ok {
				return nil, false
			}
			dv, err := decodeJSON([]byte(raw))
			if err != nil {
				return nil, false
			}
			v = dv
		}
	}
	if idx >= 0 {
		l, ok := v.([]any)
		if !ok || idx >= len(l) {
			return nil, false
		}
		v = l[idx]
	}
	return v, true
}

// substitute replaces ##STATE:name:## by the state's value (text as is, other values as JSON).
func substitute(s string, state map[string]any) string {
	if !strings.Contains(s, "##STATE:") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "##STATE:")
		if i < 0 {
			break
		}
		j := strings.Index(s[i+8:], ":##")
		if j < 0 {
			break
		}
		b.WriteString(s[:i])
		if val, ok := state[s[i+8:i+8+j]]; ok {
			if str, isStr := val.(string); isStr {
				b.WriteString(str)
			} else {
				b.Write(appendCanonical(nil, val))
			}
		}
		s = s[i+8+j+3:]
	}
	b.WriteString(s)
	return b.String()
}

func substituteAll(v any, state map[string]any) any {
	switch x := v.(type) {
	case string:
		return substitute(x, state)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = substituteAll(e, state)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = substituteAll(e, state)
		}
		return out
	}
	return v
}
