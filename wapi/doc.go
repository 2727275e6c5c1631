// Package wapi is a client for the Infoblox NIOS REST API (WAPI), built for moving many
// objects into and out of a grid quickly and safely from many goroutines.
//
// # Client and session
//
// [New] builds a [Client] from the grid's URL and [Option] values; it does no I/O. One Client
// is meant to be shared by every goroutine of a program:
//
//   - One session. The credentials are sent once, with HTTP Basic, by a login request
//     (GET /wapi/vX/?_schema, which also negotiates the WAPI version when none is pinned with
//     [WithVersion]). Every other request carries only the grid's ibapauth session cookie.
//     When the session ends (a 401 reply, or the cookie's ctime + timeout has passed on the
//     client's clock), exactly one goroutine logs in again while the others wait, and a
//     request that got the 401 is sent once more. A generation number keeps a late 401 from a
//     request sent before the re-login from triggering a second login. [Client.Close] logs
//     out.
//   - One pool of connections. [WithMaxConns] sets both the maximum and the number of idle
//     connections kept open, so N goroutines keep N warm TLS connections (HTTP/1.1, one
//     request per connection at a time) and never repeat TLS handshakes.
//   - TLS verification is on unless [WithInsecureSkipVerify] is given; a CA file that cannot
//     be read is an error, never a silent downgrade.
//   - A grid member that is not the Grid Master may answer with an HTML meta-refresh to the
//     Grid Master; the client follows it (https only) and opens its session there.
//   - Passwords and cookies never appear in errors, logs or fmt output.
//
// # Operations
//
// Every call takes a [context.Context]. [Client.Get] reads a reference, [Client.Search]
// searches a type with a [Query] (filters with the WAPI operators =, :=, ~=, :~=, !=, <=, >=,
// extensible-attribute filters, _return_fields, _return_fields+, _max_results), and
// [Client.SearchAll] iterates over any number of objects with WAPI paging
// (_paging/_page_id); [Client.SearchPage] reads one page at a time for resumable exports.
// [Client.Create], [Client.Update] and [Client.Delete] return references; [Client.Call],
// [Client.NextAvailableIP] and [Client.NextAvailableNetwork] call WAPI functions;
// [Client.Schema] describes the grid; [Client.Do] sends anything else.
//
// Objects are [Object] values (map[string]any) or typed helpers ([Network],
// [NetworkContainer], [NetworkView], [ZoneAuth], [RecordA], [RecordAAAA], [RecordPTR],
// [RecordCNAME], [RecordHost]), with [GetAs], [SearchAs] and [SearchAllAs] for typed reads.
// Request bodies given as Object, map[string]any, ExtAttrs or pre-encoded []byte are
// encoded without reflection.
//
// A [Batch] builds the body of a WAPI `request` call (items with method, object, data, args,
// assign_state, enable_substitution, discard); [Client.SendBatch] returns one [BatchResult]
// per item that is not discarded, in order. The grid runs a batch as one transaction.
//
// # Errors and retries
//
// A non-2xx reply is an [*Error] (HTTP status, WAPI code, text and Error class). Classify
// errors with [errors.Is]: [ErrConflict] (the object already exists), [ErrParentNotFound]
// (a Conflict reply that is not a duplicate), [ErrNotFound], [ErrAuth], [ErrTransient]
// (connection failures, timeouts, 429, 502, 503, 504; see [RetryAfter]), [ErrInvalid] and
// [ErrClosed]. A call that got no reply is a [*TransportError] whose Sent field tells whether
// the request reached the connection in full; [MaybeApplied] turns any error into the
// question a loader must answer before repeating a write: could it have been applied?
//
// The client does not retry on its own: not writes, which could duplicate objects, and not
// reads either, so that the caller's retry policy and concurrency control see every failure.
// The only repeats are the one after a 401 and a new login (the grid did not process the
// request), a Grid Master redirect (the member did not process it), and net/http's own
// replay of a request on a pooled connection that the server had closed before anything was
// written.
package wapi
