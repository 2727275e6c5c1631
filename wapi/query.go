package wapi

import (
	"strconv"
	"strings"
)

// Op is a WAPI search operator: "=" preceded by modifiers. "!" negates, ":" makes a string
// match case-insensitive, "~" makes it a regular expression, "<" and ">" mean less or
// greater than or equal. Modifiers combine in any order (":~=", "!:=").
type Op string

// The common search operators.
const (
	Eq        Op = "="   // exact, case-sensitive
	EqFold    Op = ":="  // case-insensitive
	Regex     Op = "~="  // regular expression, unanchored
	RegexFold Op = ":~=" // case-insensitive regular expression
	NotEq     Op = "!="  // not equal
	LessEq    Op = "<="  // less than or equal
	GreaterEq Op = ">="  // greater than or equal
)

// valid reports whether op is "=" preceded by distinct modifiers from "!:~<>".
func (op Op) valid() bool {
	s := string(op)
	if len(s) == 0 || s[len(s)-1] != '=' {
		return false
	}
	seen := 0
	for i := 0; i < len(s)-1; i++ {
		j := strings.IndexByte("!:~<>", s[i])
		if j < 0 || seen&(1<<j) != 0 {
			return false
		}
		seen |= 1 << j
	}
	return true
}

// Query holds the arguments of a search or read: filters on fields and extensible
// attributes, and control arguments (_return_fields, _return_fields+, _max_results, ...).
// The zero value (and nil) is an empty query. Builder methods return the query so calls
// chain; an invalid argument is remembered and reported (as [ErrInvalid]) by the call that
// uses the query. A Query is not safe for concurrent modification, but may be used by many
// concurrent calls once built.
type Query struct {
	b   []byte // encoded query, without '?'
	has struct {
		maxResults bool
	}
	err error
}

// NewQuery returns an empty query.
func NewQuery() *Query { return &Query{} }

// Where adds the filter field<op>value, for example Where("comment", Regex, "^lab").
func (q *Query) Where(field string, op Op, value string) *Query {
	if q.err != nil {
		return q
	}
	if !validName(field) {
		q.err = invalidf("search field %q", field)
		return q
	}
	if !op.valid() {
		q.err = invalidf("search operator %q", string(op))
		return q
	}
	q.add(field, string(op[:len(op)-1]), value)
	return q
}

// Eq adds the exact-match filter field=value.
func (q *Query) Eq(field, value string) *Query { return q.Where(field, Eq, value) }

// EA adds a filter on the extensible attribute name (sent as *name<op>value).
func (q *Query) EA(name string, op Op, value string) *Query {
	if q.err != nil {
		return q
	}
	if name == "" || strings.ContainsAny(name, "=&#?") || strings.ContainsFunc(name, isCtl) {
		q.err = invalidf("extensible attribute name %q", name)
		return q
	}
	if !op.valid() {
		q.err = invalidf("search operator %q", string(op))
		return q
	}
	q.add("*"+name, string(op[:len(op)-1]), value)
	return q
}

// ReturnFields asks for exactly these fields (plus _ref): _return_fields=a,b.
func (q *Query) ReturnFields(fields ...string) *Query { return q.fields("_return_fields", fields) }

// ReturnFieldsPlus asks for the type's basic fields plus these: _return_fields+=a,b.
// With no field it asks for the basic fields only.
func (q *Query) ReturnFieldsPlus(fields ...string) *Query {
	return q.fields("_return_fields+", fields)
}

func (q *Query) fields(arg string, fields []string) *Query {
	if q.err != nil {
		return q
	}
	for _, f := range fields {
		if !validName(f) {
			q.err = invalidf("%s: field %q", arg, f)
			return q
		}
	}
	q.add(arg, "", strings.Join(fields, ","))
	return q
}

// MaxResults sets _max_results: a positive n truncates the result to n objects; a negative
// n makes the search fail when more than -n objects match (the grid's default is -1000).
// Not allowed with [Client.SearchAll], which sets it to the page size.
func (q *Query) MaxResults(n int) *Query {
	if q.err != nil {
		return q
	}
	if n == 0 {
		q.err = invalidf("_max_results: 0")
		return q
	}
	q.has.maxResults = true
	q.add("_max_results", "", strconv.Itoa(n))
	return q
}

// Arg adds any other control argument, such as Arg("_proxy_search", "GM") or
// Arg("_inheritance", "True"). The name must start with '_'.
func (q *Query) Arg(name, value string) *Query {
	if q.err != nil {
		return q
	}
	if len(name) < 2 || name[0] != '_' || !validName(name[1:]) {
		q.err = invalidf("argument %q", name)
		return q
	}
	switch name {
	case "_paging", "_page_id", "_return_as_object":
		q.err = invalidf("argument %s is set by the client", name)
		return q
	case "_max_results":
		q.err = invalidf("use MaxResults for _max_results")
		return q
	}
	q.add(name, "", value)
	return q
}

// Err returns the first invalid argument given to the builder, if any.
func (q *Query) Err() error {
	if q == nil {
		return nil
	}
	return q.err
}

// Encode returns the URL query string (without '?').
func (q *Query) Encode() string {
	if q == nil {
		return ""
	}
	return string(q.b)
}

// String returns the URL query string.
func (q *Query) String() string { return q.Encode() }

func (q *Query) add(key, mods, value string) {
	if len(q.b) > 0 {
		q.b = append(q.b, '&')
	}
	q.b = appendQueryEscape(q.b, key)
	// Modifier characters are sent as they are, except '<' and '>', which a URL must escape.
	for i := 0; i < len(mods); i++ {
		switch c := mods[i]; c {
		case '<':
			q.b = append(q.b, "%3C"...)
		case '>':
			q.b = append(q.b, "%3E"...)
		default:
			q.b = append(q.b, c)
		}
	}
	q.b = append(q.b, '=')
	q.b = appendQueryEscape(q.b, value)
}

// validName accepts WAPI field and argument names: letters, digits, '_', '-', '.', ':',
// '+' (as in _return_fields+) and '*' (EAs).
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '_' || c == '-' || c == '.' || c == ':' || c == '+' || c == '*':
		default:
			return false
		}
	}
	return true
}

func isCtl(r rune) bool { return r < 0x20 || r == 0x7f }

// appendQueryEscape escapes s for a URL query component. Unreserved characters and the
// characters WAPI gives a meaning (':', '*', '!', '~', ',') are kept as they are; '+' is
// escaped (in a query it would mean a space), so "_return_fields+" is sent as
// "_return_fields%2B", and ';', '&', '=', '#' and '%' are escaped too.
func appendQueryEscape(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-' || c == '_' || c == '.' || c == '~' || c == ':' || c == '*' || c == '!' ||
				c == ',' || c == '/' || c == '@' || c == '$' || c == '\'' || c == '(' || c == ')':
			b = append(b, c)
		default:
			b = append(b, '%', hex[c>>4], hex[c&15])
		}
	}
	return b
}
