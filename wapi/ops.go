package wapi

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"strconv"
	"strings"
)

// Get reads one object by reference: GET /wapi/vX/<ref>. q may carry return fields
// (ReturnFields, ReturnFieldsPlus) and other arguments; nil asks for the basic fields.
// A reference the grid does not know fails with [ErrNotFound].
func (c *Client) Get(ctx context.Context, ref string, q *Query) (Object, error) {
	var o Object
	err := c.get(ctx, ref, q, &o)
	return o, err
}

// GetAs reads one object by reference into a T (a typed helper such as [Network], or any
// struct with JSON tags).
func GetAs[T any](ctx context.Context, c *Client, ref string, q *Query) (T, error) {
	var v T
	err := c.get(ctx, ref, q, &v)
	return v, err
}

func (c *Client) get(ctx context.Context, ref string, q *Query, out any) error {
	if err := checkRef(ref); err != nil {
		return err
	}
	if err := q.Err(); err != nil {
		return err
	}
	return c.exec(ctx, &call{method: http.MethodGet, object: ref, query: q.Encode()}, out)
}

// Search returns the objects of type objtype that match q's filters: GET
// /wapi/vX/<objtype>?<q>. No match is an empty slice, not an error. Without MaxResults the
// grid refuses searches matching more than 1000 objects; use [Client.SearchAll] for large
// result sets.
func (c *Client) Search(ctx context.Context, objtype string, q *Query) ([]Object, error) {
	var out []Object
	err := c.search(ctx, objtype, q, &out)
	if out == nil && err == nil {
		out = []Object{}
	}
	return out, err
}

// SearchAs is [Client.Search] into typed values; the object type comes from T.
func SearchAs[T Typed](ctx context.Context, c *Client, q *Query) ([]T, error) {
	var zero T
	var out []T
	err := c.search(ctx, zero.ObjectType(), q, &out)
	if out == nil && err == nil {
		out = []T{}
	}
	return out, err
}

func (c *Client) search(ctx context.Context, objtype string, q *Query, out any) error {
	if err := checkType(objtype); err != nil {
		return err
	}
	if err := q.Err(); err != nil {
		return err
	}
	return c.exec(ctx, &call{method: http.MethodGet, object: objtype, query: q.Encode()}, out)
}

// Page is one page of a paged search.
type Page[T any] struct {
	Objects []T
	// NextPageID continues the search with [Client.SearchPage]; "" on the last page.
	NextPageID string
}

type pageReply[T any] struct {
	Result     []T    `json:"result"`
	NextPageID string `json:"next_page_id"`
}

// SearchPage reads one page of a paged search
// (_paging=1&_return_as_object=1&_max_results=pageSize, then _page_id=pageID). Pass "" as
// pageID for the first page and the returned NextPageID for the next ones, which lets an
// exporter resume where it stopped. pageSize <= 0 means [DefaultPageSize].
func (c *Client) SearchPage(ctx context.Context, objtype string, q *Query, pageSize int, pageID string) (Page[Object], error) {
	return searchPage[Object](ctx, c, objtype, q, pageSize, pageID)
}

func searchPage[T any](ctx context.Context, c *Client, objtype string, q *Query, pageSize int, pageID string) (Page[T], error) {
	if err := checkType(objtype); err != nil {
		return Page[T]{}, err
	}
	if err := q.Err(); err != nil {
		return Page[T]{}, err
	}
	if q != nil && q.has.maxResults {
		return Page[T]{}, invalidf("paged search: the page size replaces MaxResults")
	}
	if pageSize <= 0 {
		pageSize = DefaultPageSize
	}
	b := make([]byte, 0, len(q.Encode())+64+len(pageID))
	b = append(b, q.Encode()...)
	if len(b) > 0 {
		b = append(b, '&')
	}
	b = append(b, "_paging=1&_return_as_object=1&_max_results="...)
	b = strconv.AppendInt(b, int64(pageSize), 10)
	if pageID != "" {
		b = append(b, "&_page_id="...)
		b = appendQueryEscape(b, pageID)
	}
	var rep pageReply[T]
	if err := c.exec(ctx, &call{method: http.MethodGet, object: objtype, query: string(b)}, &rep); err != nil {
		return Page[T]{}, err
	}
	if rep.Result == nil {
		rep.Result = []T{}
	}
	return Page[T]{Objects: rep.Result, NextPageID: rep.NextPageID}, nil
}

// SearchAll iterates over every object of type objtype matching q, reading pageSize objects
// per request (<= 0: [DefaultPageSize]) with WAPI paging. The iteration stops at the first
// error, which it yields with a nil Object; breaking out of the loop stops reading pages.
//
//	for obj, err := range c.SearchAll(ctx, "network", q, 1000) {
//		if err != nil { ... }
//	}
func (c *Client) SearchAll(ctx context.Context, objtype string, q *Query, pageSize int) iter.Seq2[Object, error] {
	return searchAll[Object](ctx, c, objtype, q, pageSize)
}

// SearchAllAs is [Client.SearchAll] into typed values; the object type comes from T.
func SearchAllAs[T Typed](ctx context.Context, c *Client, q *Query, pageSize int) iter.Seq2[T, error] {
	var zero T
	return searchAll[T](ctx, c, zero.ObjectType(), q, pageSize)
}

func searchAll[T any](ctx context.Context, c *Client, objtype string, q *Query, pageSize int) iter.Seq2[T, error] {
	return FollowPages(func(pageID string) (Page[T], error) {
		return searchPage[T](ctx, c, objtype, q, pageSize, pageID)
	})
}

// FollowPages iterates over the objects of a paged search whose pages read returns: the first
// page with pageID "", then each page's NextPageID until one is "". It is the loop of
// [Client.SearchAll] for callers that read each page their own way, for example with retries
// around [Client.SearchPage]:
//
//	wapi.FollowPages(func(pageID string) (wapi.Page[wapi.Object], error) {
//		return c.SearchPage(ctx, "network", q, 1000, pageID) // retried as the caller sees fit
//	})
//
// The iteration stops at the first error from read, which it yields with a zero T; breaking
// out of the loop stops reading pages.
func FollowPages[T any](read func(pageID string) (Page[T], error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		pageID := ""
		for {
			p, err := read(pageID)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, o := range p.Objects {
				if !yield(o, nil) {
					return
				}
			}
			if p.NextPageID == "" {
				return
			}
			pageID = p.NextPageID
		}
	}
}

// Create creates an object of type objtype and returns its reference: POST
// /wapi/vX/<objtype>. data is the body: an [Object] or map[string]any (encoded without
// reflection), a typed helper or any JSON-marshalable value, or pre-encoded JSON as []byte or
// json.RawMessage. A duplicate fails with [ErrConflict].
//
// Create never retries on its own, except once after a 401 (the grid did not process the
// request) and when a member redirects to the Grid Master. On failure, [MaybeApplied] tells
// whether the object may nevertheless exist.
func (c *Client) Create(ctx context.Context, objtype string, data any) (string, error) {
	if err := checkType(objtype); err != nil {
		return "", err
	}
	body, err := encodeWriteBody(data)
	if err != nil {
		return "", err
	}
	var ref string
	err = c.exec(ctx, &call{method: http.MethodPost, object: objtype, body: body}, &ref)
	return ref, err
}

var emptyObject = []byte("{}")

// encodeWriteBody encodes the body of a create or update; nil is sent as {}.
func encodeWriteBody(data any) ([]byte, error) {
	body, err := encodeBody(data)
	if body == nil && err == nil {
		body = emptyObject
	}
	return body, err
}

// CreateReturning creates an object and returns it with the fields q asks for
// (ReturnFields or ReturnFieldsPlus; nil: the basic fields): POST
// /wapi/vX/<objtype>?_return_fields+=...
func (c *Client) CreateReturning(ctx context.Context, objtype string, data any, q *Query) (Object, error) {
	if err := checkType(objtype); err != nil {
		return nil, err
	}
	if err := q.Err(); err != nil {
		return nil, err
	}
	body, err := encodeWriteBody(data)
	if err != nil {
		return nil, err
	}
	query := q.Encode()
	if !strings.Contains(query, "_return_fields") {
		if query != "" {
			query += "&"
		}
		query += "_return_fields%2B="
	}
	var raw json.RawMessage
	cl := &call{method: http.MethodPost, object: objtype, query: query, body: body}
	if err := c.exec(ctx, cl, &raw); err != nil {
		return nil, err
	}
	o, err := objectFromReply(raw)
	if err != nil {
		return nil, &DecodeError{Method: cl.method, Object: objtype, StatusCode: http.StatusCreated, Err: err}
	}
	return o, nil
}

// objectFromReply accepts an object, {"result": object} or a bare reference string.
func objectFromReply(raw json.RawMessage) (Object, error) {
	if s, ok := fastJSONString(raw); ok {
		return Object{"_ref": s}, nil
	}
	var o Object
	if err := json.Unmarshal(raw, &o); err != nil {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return Object{"_ref": s}, nil
		}
		return nil, err
	}
	if r, ok := o["result"]; ok && len(o) == 1 {
		switch v := r.(type) {
		case map[string]any:
			return Object(v), nil
		case string:
			return Object{"_ref": v}, nil
		}
	}
	return o, nil
}

// Update modifies the object ref with the fields in data and returns its reference, which
// can change (for example after a rename): PUT /wapi/vX/<ref>. data must not contain "_ref".
func (c *Client) Update(ctx context.Context, ref string, data any) (string, error) {
	if err := checkRef(ref); err != nil {
		return "", err
	}
	body, err := encodeWriteBody(data)
	if err != nil {
		return "", err
	}
	var out string
	err = c.exec(ctx, &call{method: http.MethodPut, object: ref, body: body}, &out)
	return out, err
}

// Delete removes the object ref and returns its reference: DELETE /wapi/vX/<ref>. A
// reference that no longer exists fails with [ErrNotFound].
func (c *Client) Delete(ctx context.Context, ref string) (string, error) {
	if err := checkRef(ref); err != nil {
		return "", err
	}
	var out string
	err := c.exec(ctx, &call{method: http.MethodDelete, object: ref}, &out)
	return out, err
}

// Call calls the WAPI function fn on a reference or an object type: POST
// /wapi/vX/<object>?_function=<fn> with params (nil: no body) as the body, and decodes the
// reply into out (nil to ignore it; *json.RawMessage to keep it raw; *Object; ...).
func (c *Client) Call(ctx context.Context, object, fn string, params, out any) error {
	if err := checkObject(object); err != nil {
		return err
	}
	if !validName(fn) {
		return invalidf("function name %q", fn)
	}
	body, err := encodeBody(params)
	if err != nil {
		return err
	}
	q := appendQueryEscape([]byte("_function="), fn)
	return c.exec(ctx, &call{method: http.MethodPost, object: object, query: string(q), body: body}, out)
}

// NextAvailableIP asks the network (or range) ref for num free addresses, skipping exclude,
// without reserving them: the next_available_ip function. To allocate atomically, create the
// object with "func:nextavailableip:<network>" as its address instead.
func (c *Client) NextAvailableIP(ctx context.Context, ref string, num int, exclude ...string) ([]string, error) {
	if num < 1 {
		return nil, invalidf("NextAvailableIP: num %d < 1", num)
	}
	params := Object{"num": num}
	if len(exclude) > 0 {
		params["exclude"] = exclude
	}
	var rep struct {
		IPs []string `json:"ips"`
	}
	if err := c.Call(ctx, ref, "next_available_ip", params, &rep); err != nil {
		return nil, err
	}
	return rep.IPs, nil
}

// NextAvailableNetwork asks the network container (or network) ref for num free networks of
// prefix length cidr, skipping exclude: the next_available_network function.
func (c *Client) NextAvailableNetwork(ctx context.Context, ref string, cidr, num int, exclude ...string) ([]string, error) {
	if num < 1 || cidr < 1 || cidr > 128 {
		return nil, invalidf("NextAvailableNetwork: cidr %d, num %d", cidr, num)
	}
	params := Object{"cidr": cidr, "num": num}
	if len(exclude) > 0 {
		params["exclude"] = exclude
	}
	var rep struct {
		Networks []string `json:"networks"`
	}
	if err := c.Call(ctx, ref, "next_available_network", params, &rep); err != nil {
		return nil, err
	}
	return rep.Networks, nil
}

// Schema is the grid's answer to GET /wapi/vX/?_schema.
type Schema struct {
	RequestedVersion  string   `json:"requested_version"`
	SupportedObjects  []string `json:"supported_objects"`
	SupportedVersions []string `json:"supported_versions"`
}

// Schema returns the object types and versions the grid supports.
func (c *Client) Schema(ctx context.Context) (*Schema, error) {
	var s Schema
	if err := c.exec(ctx, &call{method: http.MethodGet, query: "_schema"}, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// ObjectSchema returns the schema of one object type (GET /wapi/vX/<objtype>?_schema): its
// fields, their types and the operations it supports, as the grid describes them.
func (c *Client) ObjectSchema(ctx context.Context, objtype string) (Object, error) {
	if err := checkType(objtype); err != nil {
		return nil, err
	}
	var o Object
	err := c.exec(ctx, &call{method: http.MethodGet, object: objtype, query: "_schema"}, &o)
	return o, err
}

// Do sends any WAPI request with the client's session and error handling: method is GET,
// POST, PUT or DELETE; object an object type, a reference, or "" for the version root; q the
// arguments; body the request body (nil: none; see [Client.Create] for the accepted forms);
// out receives the decoded 2xx reply (nil: ignore; *json.RawMessage: raw).
func (c *Client) Do(ctx context.Context, method, object string, q *Query, body, out any) error {
	switch method {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete:
	default:
		return invalidf("method %q", method)
	}
	if object != "" {
		if err := checkObject(object); err != nil {
			return err
		}
	}
	if err := q.Err(); err != nil {
		return err
	}
	b, err := encodeBody(body)
	if err != nil {
		return err
	}
	return c.exec(ctx, &call{method: method, object: object, query: q.Encode(), body: b}, out)
}

// checkType validates an object type name such as "record:host".
func checkType(t string) error {
	if !validType(t) {
		return invalidf("object type %q", t)
	}
	return nil
}

func validType(t string) bool {
	if t == "" || len(t) > 128 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == ':', c == '-', c == '.':
		default:
			return false
		}
	}
	return true
}

// checkRef validates a reference: "<type>/<id>[:<name>]", with nothing that could change
// the URL (query, fragment, traversal, spaces, control characters).
func checkRef(ref string) error {
	slash := strings.IndexByte(ref, '/')
	if slash <= 0 || slash == len(ref)-1 || !validType(ref[:slash]) {
		return invalidf("reference %q", ref)
	}
	for i := 0; i < len(ref); i++ {
		switch c := ref[i]; {
		case c <= ' ' || c == 0x7f || c == '?' || c == '#' || c == '\\' || c >= 0x80:
			return invalidf("reference %q: character %q not allowed", ref, c)
		}
	}
	for seg := range strings.SplitSeq(ref, "/") {
		if seg == ".." || seg == "." {
			return invalidf("reference %q: path traversal", ref)
		}
	}
	return nil
}

// checkObject accepts an object type or a reference.
func checkObject(o string) error {
	if strings.IndexByte(o, '/') >= 0 {
		return checkRef(o)
	}
	return checkType(o)
}
