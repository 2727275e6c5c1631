package gridsim

import (
	"context"
	"net/http"
	"slices"
	"strings"
)

// result is the outcome of one operation, rendered once the operation (or the whole batch)
// is done.
type result struct {
	status   int
	ref      string    // a ref reply
	obj      *object   // one object
	list     []*object // a search
	isList   bool
	fields   []*fieldDef
	raw      any // a function's reply, or the state of a batch
	asObject bool
	next     string
	items    []*result // a multiple-object request
}

func (r *result) returned() int {
	switch {
	case r.isList:
		return len(r.list)
	case r.items != nil:
		n := 0
		for _, it := range r.items {
			n += it.returned()
		}
		return n
	case r.obj != nil || r.ref != "":
		return 1
	}
	return 0
}

// appendResult renders r at depth.
func (s *Server) appendResult(b []byte, r *result, depth int) []byte {
	inner := func(b []byte, d int) []byte {
		switch {
		case r.items != nil:
			if len(r.items) == 0 {
				return append(b, '[', ']')
			}
			b = append(b, '[')
			for i, it := range r.items {
				if i > 0 {
					b = append(b, ',', ' ')
				}
				b = appendNewline(b, d+1)
				b = s.appendResult(b, it, d+1)
			}
			b = appendNewline(b, d)
			return append(b, ']')
		case r.isList:
			return s.st.appendList(b, r.list, r.fields, d)
		case r.obj != nil:
			return s.st.appendObject(b, r.obj, r.fields, d)
		case r.raw != nil:
			return appendIndented(b, string(appendCanonical(nil, r.raw)), d)
		}
		return appendQuoted(b, r.ref)
	}
	if !r.asObject {
		return inner(b, depth)
	}
	b = append(b, '{')
	b = appendNewline(b, depth+1)
	if r.next != "" {
		b = append(b, `"next_page_id": `...)
		b = appendQuoted(b, r.next)
		b = append(b, ',', ' ')
		b = appendNewline(b, depth+1)
	}
	b = append(b, `"result": `...)
	b = inner(b, depth+1)
	b = appendNewline(b, depth)
	return append(b, '}')
}

// serveWAPI handles /wapi/vX/...; it returns the authenticated user for the access log.
func (s *Server) serveWAPI(w *statusWriter, r *http.Request) string {
	seq := s.wapiSeq.Add(1)
	var arrived int64
	if s.sim != nil {
		arrived = s.sim.ps.now()
		if s.sim.inOutage(s.opts.now()) {
			s.resetConn(w)
			return "-"
		}
	}
	rest := r.URL.Path[len("/wapi/"):]
	verSeg, target, _ := strings.Cut(rest, "/")
	user, basic, ok := s.authenticate(w, r)
	if !ok {
		writeUnauthorized(w)
		return "-"
	}
	ver, ok := checkVersion(verSeg)
	if !ok {
		writeError(w, protoErr("Version %s not supported", ver))
		return user
	}
	body, aerr := s.readBody(r)
	if aerr != nil {
		if aerr.status == http.StatusRequestEntityTooLarge {
			w.Header().Set("Connection", "close")
		}
		writeError(w, aerr)
		return user
	}
	list, aerr := parseQuery(r.URL.RawQuery)
	if aerr != nil {
		writeError(w, aerr)
		return user
	}
	ri := &requestInfo{basic: basic, items: 1, version: ver, seq: seq, arrived: arrived}
	if ci, ok := r.Context().Value(connKey{}).(*connInfo); ok {
		ri.firstReq = ci.reqs.Add(1) == 1
	}
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	out, aerr := s.execute(r.Context(), method, target, list, body, r.Header.Get("Content-Type"), ri, r)
	if aerr != nil {
		if aerr.reset {
			s.resetConn(w)
			return user
		}
		writeError(w, aerr)
		return user
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(out.status)
	_, _ = w.Write(out.body)
	return user
}

type reply struct {
	status int
	body   []byte
}

// execute classifies the request, passes the gate, runs it and renders the reply.
func (s *Server) execute(ctx context.Context, method, target string, list []kv, body []byte, ct string,
	ri *requestInfo, r *http.Request) (*reply, *apiError) {
	data, form, aerr := decodeBody(ct, body)
	if aerr != nil {
		return nil, aerr
	}
	isRef := strings.Contains(target, "/")
	switch {
	case target == "logout":
		ri.kind = kindLogout
	case target == "request":
		ri.kind = kindBatch
	case target == "" || method == http.MethodGet && hasArg(list, "_schema"):
		ri.kind = kindSchema
	case method == http.MethodPost && hasArg(list, "_function"):
		ri.kind = kindFunction
	case method == http.MethodGet && isRef:
		ri.kind = kindRead
	case method == http.MethodGet:
		ri.kind = kindSearch
	case method == http.MethodPost:
		ri.kind = kindCreate
		ri.writes = 1
	case method == http.MethodPut:
		ri.kind = kindUpdate
		ri.writes = 1
	case method == http.MethodDelete:
		ri.kind = kindDelete
		ri.writes = 1
	default:
		return nil, protoErr("Unsupported HTTP method: %s", method)
	}
	var items []any
	if ri.kind == kindBatch {
		switch x := data.(type) {
		case []any:
			items = x
		case map[string]any:
			items = []any{x}
		}
		ri.items = len(items)
		ri.writes = 0
		for _, it := range items {
			if m, ok := it.(map[string]any); ok {
				switch m["method"] {
				case "POST", "PUT", "DELETE":
					ri.writes++
				}
			}
		}
	}
	if err := s.gate.admit(ctx, ri); err != nil {
		return nil, err
	}
	res, body2, err := s.run(method, target, list, data, form, items, ri, r)
	if err != nil {
		ri.writes, ri.returned = 0, 0
	} else {
		ri.returned = res.returned()
	}
	if gerr := s.gate.done(ctx, ri); gerr != nil {
		return nil, gerr
	}
	if err != nil {
		return nil, err
	}
	return &reply{status: res.status, body: body2}, nil
}

// run executes an admitted request.
func (s *Server) run(method, target string, list []kv, data any, form bool, items []any, ri *requestInfo,
	r *http.Request) (*result, []byte, *apiError) {
	var res *result
	var body2 []byte
	switch ri.kind {
	case kindLogout:
		if method != http.MethodPost && method != http.MethodGet {
			return nil, nil, protoErr("Operation %s not allowed for logout", strings.ToLower(method))
		}
		if v, ok := cookieValue(r); ok {
			if _, sig, ok := s.sess.check(v, s.opts.now()); ok {
				s.sess.end(sig)
			}
		}
		s.logouts.Add(1)
		res = &result{status: http.StatusOK}
		body2 = []byte{}
	case kindBatch:
		if method != http.MethodPost {
			return nil, nil, protoErr("Operation %s not allowed for request", opName(method))
		}
		if len(list) > 0 {
			return nil, nil, protoErr("The request object takes no arguments: %s", list[0].key)
		}
		var err *apiError
		res, body2, err = s.runBatch(data, items)
		if err != nil {
			return nil, nil, err
		}
	case kindSchema:
		if method != http.MethodGet {
			return nil, nil, protoErr("Operation %s not allowed for %s", opName(method), "the schema")
		}
		var err *apiError
		res, err = s.schema(target, list, ri.version)
		if err != nil {
			return nil, nil, err
		}
		body2 = s.appendResult(nil, res, 0)
	case kindRead, kindSearch:
		s.mu.RLock()
		var err *apiError
		res, err = s.op(nil, method, target, list, data, form)
		if err == nil {
			body2 = s.appendResult(nil, res, 0)
		}
		s.mu.RUnlock()
		if err != nil {
			return nil, nil, err
		}
	default:
		var err *apiError
		res, body2, err = s.writeOp(func(t *tx) (*result, *apiError) {
			return s.op(t, method, target, list, data, form)
		})
		if err != nil {
			return nil, nil, err
		}
	}
	return res, body2, nil
}

// hasArg reports whether list has an argument named key.
func hasArg(list []kv, key string) bool {
	for _, p := range list {
		if p.key == key {
			return true
		}
	}
	return false
}

func opName(method string) string {
	switch method {
	case http.MethodGet:
		return "read"
	case http.MethodPost:
		return "create"
	case http.MethodPut:
		return "update"
	case http.MethodDelete:
		return "delete"
	}
	return strings.ToLower(method)
}

// writeOp runs fn in a write transaction, renders its result and makes it durable before
// returning. On error nothing of it remains.
func (s *Server) writeOp(fn func(t *tx) (*result, *apiError)) (*result, []byte, *apiError) {
	if s.closed.Load() {
		return nil, nil, unavailableErr("the server is closed")
	}
	s.mu.Lock()
	t := s.st.begin()
	res, err := fn(t)
	if err != nil {
		t.rollback()
		s.mu.Unlock()
		return nil, nil, err
	}
	body := s.appendResult(nil, res, 0)
	var wait <-chan error
	if s.db != nil && t.writes() > 0 {
		wait = s.db.enqueue(t)
	}
	s.mu.Unlock()
	if wait != nil {
		if err := <-wait; err != nil {
			return nil, nil, unavailableErr(err.Error())
		}
	}
	return res, body, nil
}

// op executes one operation on the store; t is nil for reads.
func (s *Server) op(t *tx, method, target string, list []kv, data any, form bool) (*result, *apiError) {
	a, err := parseArgs(list)
	if err != nil {
		return nil, err
	}
	if a.function != "" && method != http.MethodPost {
		return nil, protoErr("Function %s illegal with this method", a.function)
	}
	if strings.Contains(target, "/") {
		return s.refOp(t, method, target, a, data, form)
	}
	ty := s.ty.byName[target]
	if ty == nil {
		return nil, protoErr("Unknown object type (%s)", target)
	}
	switch method {
	case http.MethodGet:
		var extra []kv
		if m, ok := data.(map[string]any); ok {
			if extra, err = jsonArgs(m); err != nil {
				return nil, err
			}
			b, err := parseArgs(append(append([]kv{}, list...), extra...))
			if err != nil {
				return nil, err
			}
			a = b
		} else if data != nil {
			return nil, protoErr("Search arguments in the body must be a JSON object")
		}
		return s.search(ty, a)
	case http.MethodPost:
		if a.function != "" {
			return nil, protoErr("Function %s illegal with this method", a.function)
		}
		m, err := dataMap(data)
		if err != nil {
			return nil, err
		}
		o, err := t.create(ty, m, form)
		if err != nil {
			return nil, err
		}
		return s.writeResult(o, a, http.StatusCreated)
	case http.MethodPut, http.MethodDelete:
		return nil, protoErr("Operation %s not allowed for an object type: a reference is needed", opName(method))
	}
	return nil, protoErr("Unsupported HTTP method: %s", method)
}

func dataMap(data any) (map[string]any, *apiError) {
	switch x := data.(type) {
	case nil:
		return map[string]any{}, nil
	case map[string]any:
		return x, nil
	}
	return nil, protoErr("Invalid data: a JSON object is expected")
}

func (s *Server) writeResult(o *object, a *args, status int) (*result, *apiError) {
	res := &result{status: status, asObject: a.asObject}
	if a.returnFields != nil {
		fs, err := outFields(o.t, a)
		if err != nil {
			return nil, err
		}
		res.obj, res.fields = o, fs
	} else {
		res.ref = s.st.ref(o)
	}
	return res, nil
}

// resolve finds the object a ref names.
func (s *Server) resolve(ref string) (*object, *apiError) {
	typ, key, ok := parseRef(ref)
	if !ok {
		if s.ty.byName[typ] == nil && typ != "" && !strings.ContainsAny(typ, " ") {
			return nil, protoErr("Unknown object type (%s)", typ)
		}
		return nil, refNotFound(ref)
	}
	ty := s.ty.byName[typ]
	if ty == nil {
		return nil, protoErr("Unknown object type (%s)", typ)
	}
	o := s.st.keys[key]
	if o == nil || o.t != ty {
		return nil, refNotFound(ref)
	}
	return o, nil
}

func (s *Server) refOp(t *tx, method, ref string, a *args, data any, form bool) (*result, *apiError) {
	o, err := s.resolve(ref)
	if err != nil {
		return nil, err
	}
	switch method {
	case http.MethodGet:
		if a.paging {
			return nil, protoErr("Paging is not supported for object reference read operations")
		}
		fs, err := outFields(o.t, a)
		if err != nil {
			return nil, err
		}
		return &result{status: http.StatusOK, obj: o, fields: fs, asObject: a.asObject}, nil
	case http.MethodPut:
		m, err := dataMap(data)
		if err != nil {
			return nil, err
		}
		n, err := t.update(o, m, form)
		if err != nil {
			return nil, err
		}
		return s.writeResult(n, a, http.StatusOK)
	case http.MethodDelete:
		r := s.st.ref(o)
		if err := t.delete(o, a); err != nil {
			return nil, err
		}
		return &result{status: http.StatusOK, ref: r, asObject: a.asObject}, nil
	case http.MethodPost:
		if a.function == "" {
			return nil, protoErr("Operation create not allowed for an object reference: use _function to call a function")
		}
		params, err := dataMap(data)
		if err != nil {
			return nil, err
		}
		out, err := t.call(o, a.function, params)
		if err != nil {
			return nil, err
		}
		return &result{status: http.StatusOK, raw: out, asObject: a.asObject}, nil
	}
	return nil, protoErr("Unsupported HTTP method: %s", method)
}

// search runs a search (one page of it when paging).
func (s *Server) search(ty *typeDef, a *args) (*result, *apiError) {
	var pos position
	if a.pageID != "" {
		st, canon, p, ok := decodePageID(s.pageKey, a.pageID)
		if !ok || st.T != ty.name {
			return nil, protoErr("Invalid page id: %s", clip(a.pageID))
		}
		b, err := parseArgs(canon)
		if err != nil {
			return nil, err
		}
		b.paging, b.asObject = true, true
		a, pos = b, p
	}
	if a.paging && (!a.hasMax || !a.asObject) {
		return nil, protoErr("_paging requires _max_results and _return_as_object")
	}
	fields, err := outFields(ty, a)
	if err != nil {
		return nil, err
	}
	fs, err := s.st.compileFilters(ty, a.filters)
	if err != nil {
		return nil, err
	}
	limit := a.maxResults
	if limit < 0 {
		limit = -limit
	}
	var list []*object
	s.st.scan(s.st.plan(ty, fs), pos, func(o *object) bool {
		list = append(list, o)
		return len(list) <= limit
	})
	res := &result{status: http.StatusOK, isList: true, fields: fields, asObject: a.asObject}
	if len(list) > limit {
		switch {
		case a.paging:
			list = list[:limit]
			res.next = encodePageID(s.pageKey, ty, a.canon, s.st.posOf(list[limit-1]))
		case a.maxResults < 0:
			return nil, protoErr("Result set too large (> %d)", limit)
		default:
			list = list[:limit]
		}
	}
	res.list = list
	return res, nil
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// schema answers GET /wapi/vX/?_schema and GET /wapi/vX/<type>?_schema.
func (s *Server) schema(target string, list []kv, version string) (*result, *apiError) {
	if _, err := parseArgs(list); err != nil {
		return nil, err
	}
	if !hasArg(list, "_schema") {
		return nil, protoErr("An object type or _schema is required")
	}
	if target == "" {
		return &result{status: http.StatusOK, raw: map[string]any{
			"requested_version":  version,
			"supported_objects":  anyList(s.ty.names),
			"supported_versions": anyList(supportedVersions),
		}}, nil
	}
	ty := s.ty.byName[target]
	if ty == nil {
		return nil, protoErr("Unknown object type (%s)", target)
	}
	var fields []any
	for _, fd := range ty.fields {
		supports := "r"
		switch fd.access {
		case rw:
			supports = "rwu"
		case createOnly:
			supports = "rw"
		case writeOnly:
			supports = "w"
		case searchOnly:
			supports = ""
		}
		if fd.search != "" {
			supports += "s"
		}
		fields = append(fields, map[string]any{
			"name": fd.name, "searchable_by": strings.ReplaceAll(fd.search, "=", ""),
			"supports": supports, "type": []any{kindName(fd.kind)},
			"is_array":       fd.kind == kStrList || fd.kind == kHostAddr4 || fd.kind == kHostAddr6,
			"standard_field": slices.Contains(ty.basic, fd.name),
		})
	}
	return &result{status: http.StatusOK, raw: map[string]any{
		"type": ty.name, "fields": fields, "restrictions": []any{},
		"cloud_additional_restrictions": []any{},
	}}, nil
}

func kindName(k kind) string {
	switch k {
	case kBool:
		return "bool"
	case kUint:
		return "uint"
	case kEA:
		return "extattr"
	case kHostAddr4:
		return "record:host_ipv4addr"
	case kHostAddr6:
		return "record:host_ipv6addr"
	case kAny:
		return "struct"
	}
	return "string"
}
