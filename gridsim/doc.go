// Package gridsim is a simulated Infoblox NIOS grid: an [http.Handler] that speaks WAPI
// (the grid's REST API) faithfully enough for clients, loaders and benchmarks to be tested
// against it, with the object store behind it.
//
// # Serving
//
// [New] builds a [Server] from [Option] values; it serves WAPI under /wapi/vX.Y[.Z]/ and its
// own endpoints under /_sim/ (health, stats, profile, and reset when [WithAllowReset] is
// given). Plug [Server.ConnContext] and [Server.ConnState] into the http.Server so the server
// can tell the first request on a new connection and count connections, or take the
// http.Server of [Server.HTTPServer], which does so and limits headers
// ([DefaultMaxHeaderBytes]) and the time a client may take to send a request
// ([DefaultReadHeaderTimeout], [DefaultReadTimeout]) or stay idle. [SelfSignedCert] makes a
// certificate for HTTPS; internal/simtest wires all of this for tests, and `turbowapi sim`
// for the command line.
//
// # What is simulated
//
//   - Versions 1.0 to 2.13.x in the URL; anything else is "Version X not supported".
//     GET /wapi/vX/?_schema lists the versions and object types; GET <type>?_schema
//     describes a type's fields.
//   - Sessions: Basic credentials on any request open a session and set the ibapauth cookie
//     (ip, client, group, ctime, timeout, mtime, su, auth, user, then a random nonce and an
//     HMAC-SHA256 signature under a key drawn at start-up, so every login gets its own
//     cookie); the cookie alone authenticates afterwards until
//     it has been idle for the session timeout; POST /wapi/vX/logout ends it;
//     [Server.ExpireSessions] ends them all. Bad or missing credentials and altered or
//     expired cookies get 401 with Apache's HTML page.
//   - Object types are data: one table (types.go) gives each type's fields (kind, access,
//     search modifiers, default), required and basic fields, identity rule (internal key,
//     uniqueness, parent, ref name part) and functions: grid, networkview, view,
//     networkcontainer, network, ipv6networkcontainer, ipv6network, zone_auth, record:a,
//     record:aaaa, record:ptr, record:cname, record:host, record:txt, record:mx and
//     fixedaddress.
//   - Refs are type/<unpadded base64 of the internal key>:<name parts>, the key being derived
//     from the object (dns.network$10.0.0.0/24/0), so a ref is the same after a restart.
//   - Methods, arguments (_return_fields, _return_fields+, _max_results, _return_as_object,
//     _paging/_page_id, _proxy_search, _return_type json), search modifiers (=, :=, ~=, :~=,
//     !=, <=, >=, *EA=), filters in a JSON body on GET, the request object (assign_state,
//     enable_substitution, discard, STATE:ASSIGN, STATE:DISPLAY; one transaction),
//     next_available_ip / next_available_network and their func: and long forms, extensible
//     attributes, and the grid's error bodies byte for byte.
//
// # Store
//
// Objects live in memory, compactly (canonical JSON values of the fields set, views by id)
// with indexes: a map from internal key to object; per type a B-tree in key order (range scans
// by view, name and zone, and paging positions); per network view and address family a
// path-compressed prefix trie of networks and containers, each node carrying the size of the
// largest free block below it, and a trie of used addresses. Key lookups, uniqueness checks,
// the closest container, adoption by a new container, next available network and next
// available IP are therefore logarithmic or bounded by the address width, not scans. A page
// id carries the search and the position of the last object returned (signed), so paging keeps
// no state and costs a seek.
//
// Writers are serialised by one lock, as on a grid; readers share it. With [WithDataDir],
// every write transaction is committed to an embedded bbolt database before its reply is sent
// (concurrent writers share commits), and the database is loaded at start-up.
//
// # Costs and faults
//
// Every WAPI request passes, after authentication and parsing, through one gate (gate.go):
// admit before execution, knowing the request kind, number of items and planned writes,
// whether it authenticated with Basic and whether it is the first on its connection;
// done after execution, with the writes made and the objects returned. The default gate does
// nothing. With a cost [Profile] ([WithProfile], [WithSpeed]) or faults ([WithFaults],
// [WithSeed]) the gate charges service time and injects faults; docs/profiles.md describes
// both in full.
//
// A profile is a small JSON document ([ParseProfile], [LoadProfile], [ResolveProfile]; the
// built-ins are [Profiles]: instant, article, busy, large, serial, overload) giving the cost of
// a request (request_ms), of each object written (object_ms) and returned (read_ms), of a
// Basic login (auth_ms) and of a new connection (connect_ms); the Universal Scalability Law's
// sigma and kappa; a cliff (cliff past cliff_at); serial_writes; jitter; overload_at; max_batch;
// and the list of assumptions the figures rest on. With n requests in service, this one
// included, a request costs
//
//	(request_ms + object_ms·writes + read_ms·returned + auth_ms·[Basic] + connect_ms·[first])
//	× (1 + sigma·(n−1) + kappa·n·(n−1) + cliff·max(0, n−cliff_at)²) × jitter / speed
//
// served by processor sharing: every request in service progresses at 1/slowdown(n) of its
// own cost per unit of time, n being the number in service at each instant, so arrivals and
// departures speed up or slow down every request in service at once, and c closed-loop
// clients see X(c) = λ·c/slowdown(c). One timer drives all requests (a virtual clock and a
// heap of finish tags); it is armed early by the machine's measured wake-up lateness, and the
// simulator's own processing before the cost is charged counts towards it, so that time in
// the server matches the model. With serial_writes the per-object part runs afterwards under
// one grid-wide lock, unscaled. Past overload_at in service the answer is 503 with Retry-After:
// 1; a request call over max_batch gets the batch-cap error of [WithMaxBatch]. Waiting
// honours the request's context.
//
// Faults ([FaultSpec], [ParseFaults]: 503 with and without Retry-After, 429 with Retry-After,
// reset before processing, reset after commit (a lost reply), latency spikes, outages) are
// decided per request from a hash of the seed and the request's arrival sequence number, so
// the i-th WAPI request always gets the same fault and the same jitter under one seed. An
// outage resets every WAPI request on arrival, drops the sessions and ends with a restart
// that, with [WithDataDir], rebuilds memory from the database. Faults never touch /_sim/.
//
// GET /_sim/profile serves the active profile, its assumptions, the speed, the seed and the
// faults ([Server.SimInfo]); /_sim/stats adds grid time, the number in service and the faults
// injected by kind ([Stats]).
//
// # Choices where the reference is silent
//
// The reference (wapi.md) leaves some behaviour unknown or marked [unverified] or
// [inference]. The simulator does this:
//
//   - Replies are JSON indented like Python 2's json.dumps(indent=4): four spaces, ", " at line
//     ends, keys sorted, ASCII only. _return_type xml and xml-pretty are refused with a 400.
//   - Unset fields are left out of replies unless the field has a documented default
//     (disable false, extattrs {}, use_ttl false, ...). A top-level network's
//     network_container is "/".
//   - Malformed JSON is 400 with code Client.Ibap.Proto.JSONDecoding and text "JSON Decoding:
//     <detail>", the detail in the words of Python's decoder ("No JSON object could be
//     decoded", "Extra data: line L column C (char N)", "'utf8' codec can't decode byte ...").
//   - Bodies: JSON with any Content-Type or none (the body is sniffed, as curl -d sends JSON
//     as form-encoded); form-encoded bodies when the body is not JSON, values as strings
//     (true/false and numbers are converted for boolean and integer fields). In a query
//     string, keys keep a literal '+' so `_return_fields+=a` works unencoded.
//   - A body over the limit (64 MiB by default) is 413 with a Client.Ibap.Proto error.
//   - Invalid values: 400 "Invalid value for <field>: <value as JSON>: <reason>", the shape
//     of the grid's type errors ("Must be string type", "Must be boolean type").
//   - Names are lower-cased and lose a trailing dot. Comments over 256 characters or with
//     leading or trailing white space are refused.
//   - Duplicates: networks and containers share one namespace per network view ("The network
//     X already exists.  Select another network."); zones "Duplicate object 'X' of type zone
//     exists in the database."; records "The record 'X' already exists." (also for an exact
//     duplicate A record and for CNAME exclusivity); views and fixed addresses "Duplicate
//     object 'X' of type network_view|view|fixed_address already exists in the database.".
//   - Containment: a container may hold containers and networks; a network holds none. POST
//     network around existing networks creates a network container instead (and returns its
//     ref), as NIOS converts such a network; a network inside a network is a Conflict. A
//     container created around existing networks adopts them (network_container is computed
//     from the trie, so it is always the closest container). Deleting a container removes
//     what it holds unless remove_subnets=false (then the children move up). Deleting a
//     network removes its fixed addresses; a zone, its records (not its subzones); a network
//     view, its networks and fixed addresses (refused while DNS views are bound to it); the
//     default views cannot be deleted.
//   - Records need an authoritative zone holding their name in their DNS view ("The action is
//     not allowed. A parent was not found."), except a host with configure_for_dns false.
//     Reverse zones are zone_auth with a CIDR fqdn (/8, /16, /24; IPv6 on nibbles); a PTR
//     given an address gets the in-addr.arpa name. Fixed addresses need a network holding
//     their address.
//   - A missing network view is 404 "Network View X not found", a missing DNS view 404 "View X
//     not found". A search filtering on a view that does not exist returns [].
//   - Extensible attributes need no definitions: any name may be written; searching for a name
//     no object carries is "Unknown extensible attribute: X". Values are strings, numbers or
//     lists of them; extattrs+ and extattrs- update in place.
//   - Repeating a filter key ORs its values; different keys AND. '!' is accepted on every
//     searchable field; other modifiers only where the type table allows them, otherwise
//     "Search modifier 'c' is not allowed for field: f". Regular expressions use Go's RE2
//     syntax.
//   - Paging needs _max_results and _return_as_object ("_paging requires _max_results and
//     _return_as_object"); page ids do not expire; an altered one is "Invalid page id: X".
//     With _page_id, the search is the one the id carries; other arguments are ignored.
//   - PUT of a create-only field (network, network_view, view, fqdn) with a different value is
//     "Field is not writable: f"; renaming a record gives it a new ref.
//   - The request object: a multiple-object body answers 200 with the list of results; a
//     single-object body answers as the call itself (201 for a create). The first failing
//     item's error is the reply and nothing of the batch remains. assign_state reads the
//     first object of a search, "_ref" of a plain ref reply, "*EA" and "field[i]".
//   - Functions: next_available_ip skips the network and broadcast addresses of IPv4 networks
//     up to /30 and every address used by a fixed address, a host or an A record; num is 1 to
//     1000. Exhaustion is a Conflict "Cannot find N available IP address(es) in this network"
//     (networks: "Cannot find N available network(s) of size /L in C"). An unknown function is
//     "Function f is not valid for this object". A function call reserves nothing, as on a
//     grid: two calls with nothing created in between answer the same; allocation inside a
//     create (func: or the long form) is atomic.
//   - Sessions expire after being idle for the timeout (mtime is refreshed by use); a request
//     carrying a valid cookie and Basic credentials uses the cookie (no new login). The 401
//     carries WWW-Authenticate: Basic realm="InfoBlox ONE Platform".
//   - The WAPI version in the URL does not change behaviour.
//   - A commit to the database that fails rolls memory back to what the disk holds and
//     answers 503 (code Server.Ibap.Data).
package gridsim
