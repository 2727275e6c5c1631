// Package input reads the objects of a bulk run — CSV, JSON arrays, JSON lines, or a
// generator of synthetic work — one at a time, checks them, and writes them back out (the
// export side).
//
// # Reading
//
// [Open] and [NewReader] return a [Reader] whose Next gives one [Object] at a time with its
// position (source, line, ordinal), so a file of a million objects is read in constant
// memory. A bad row is a [*RowError] naming source, line, field and reason; the reader goes
// on with the next row. A fatal error (a broken header, an unreadable stream, a JSON array
// that cannot be resynchronised) ends the stream; [IsFatal] tells them apart. Every object,
// good or bad, takes the next ordinal: ordinals identify objects in a run's journal.
//
// The object type comes from a "_type" column or key, or from [WithType] for the whole input.
// [Types] lists the supported WAPI types with their fields, required fields, search key
// ([Key]) and load phase ([Phase]: views, then containers by prefix length, networks, zones by
// depth, records).
//
// # CSV
//
// The header names WAPI fields of the type. A cell is encoded by its field's [Kind]:
//
//   - text, names, addresses, networks (CIDR), DNS names, MAC addresses: as written;
//   - integers: decimal; booleans: true or false (any case);
//   - lists of DNS names: items separated by ';' (a literal ';' or '\' is escaped with '\');
//   - record:host addresses: "addr[|field=value...][;addr...]", for example
//     "10.0.0.5|mac=00:11:22:33:44:55;10.0.0.6";
//   - extattrs and free JSON fields: a JSON value.
//
// An empty cell leaves the field out. A column "EA-<Name>" sets the extensible attribute Name;
// a suffix gives its kind: "EA-Site" (text), "EA-Rack:int", "EA-Owners:list" (';'-separated)
// and "EA-Data:json". The writer uses the same encoding, so an export reads back unchanged.
//
// # JSON and JSON lines
//
// A JSON array of objects, or one object per line, with WAPI field names and JSON values
// ("extattrs" in WAPI's form {"Name": {"value": v}}). Lines are counted from the input, so
// errors point at the line where an object starts.
//
// # Generator
//
// [NewGenerator] makes synthetic objects from a spec, several specs separated by ';':
//
//	network CIDR /PREFIX COUNT            "network 10.0.0.0/8 /24 1024" is the founding workload
//	networkcontainer CIDR /PREFIX COUNT   (and ipv6network, ipv6networkcontainer)
//	networkview NAME [COUNT]              NAME1, NAME2, ... when COUNT is given
//	fixedaddress CIDR COUNT
//	zone_auth FQDN [COUNT]                zone1.FQDN, zone2.FQDN, ... when COUNT is given
//	record:a ZONE CIDR COUNT              host1.ZONE at the first address of CIDR, ... (also
//	                                      record:aaaa, record:host, record:ptr)
//	record:cname ZONE COUNT               alias1.ZONE to host1.ZONE, ... (also record:txt, record:mx)
//
// followed by field=value pairs set on every object, in the CSV encoding above ("comment=lab",
// "EA-Site=East"). Generated objects carry a comment ("test-network" for networks, the
// article's payload) unless comment= says otherwise. Objects are computed one at a time:
// any count streams in constant memory.
//
// # Writing
//
// [NewWriter] writes objects as CSV (columns chosen with a [ColumnSet]), a JSON array or
// JSON lines; [Loadable] keeps the fields a grid accepts on create, so that an export can be
// loaded again.
package input
