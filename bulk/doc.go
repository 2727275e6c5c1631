// Package bulk is turbowapi's bulk engine: it creates, or deletes, many objects on an
// Infoblox grid through WAPI as fast as the grid takes them, and accounts for every one.
//
// # Shape of a run
//
// A run has two passes. The first streams the whole input into a [Spool]: the caller
// validates each row (package input) and adds valid objects with [Spool.Add], invalid ones
// with [Spool.Reject]. The spool detects objects given twice (same type and key), and writes
// the objects to one temporary file per phase, so memory stays bounded (about 40 bytes per
// object, for duplicate detection) whatever the input's size or order, stdin included.
// Nothing has been sent yet: the caller decides whether to go on when rows are invalid.
//
// The second pass, [Engine.Load], sends the objects phase after phase (every object of a
// phase has its outcome before the next phase starts; network views, containers shortest
// prefix first, networks; zones parents first, records: [Item.Phase] comes from the input's
// type table). Within a phase a dispatcher hands groups of the current batch size to a pool
// of workers; each request takes a permit of an [adaptive.Limiter] and reports one
// [adaptive.Sample] per attempt to an [adaptive.Controller]. Every worker shares one
// [wapi.Client]: one session, one pool of connections ([Engine.Workers] connections).
//
// Every object ends with exactly one [Outcome], reported to a [Recorder] (the journal):
// created, existed, updated, failed or invalid (delete: deleted or not_found). Before every
// write request the recorder gets an intent with the ordinals inside it, so a journal cut by
// kill -9 tells which objects were in flight.
//
// # Strategies
//
//   - [Sequential]: one object per request, one request at a time.
//   - [Concurrent]: one object per request, N at a time ([WithConcurrency], default
//     [DefaultConcurrency]).
//   - [Batch]: M objects per WAPI `request` call ([WithBatchSize], default
//     [DefaultBatchSize]), one call at a time, or N concurrent calls with WithConcurrency.
//   - [Auto] (the default): the adaptive controller chooses both. It starts at 2 requests in
//     flight and batches of 1, doubles the limit while goodput (objects per second) grows,
//     then probes the limit and the batch size up and down, keeping a change only when it
//     buys goodput; it halves the limit at once on overload (429, 503, timeouts, resets),
//     pauses admissions for Retry-After, and never exceeds [WithMaxConcurrency] (default
//     16). Each decision goes to the recorder. With WithConcurrency or WithBatchSize, auto
//     pins that dimension and adapts the other. See package adaptive for the rules.
//
// The fixed strategies run on the same limiter with pinned settings, so they honour
// Retry-After too.
//
// # Retries that never duplicate
//
// A transient failure (the client's [wapi.ErrTransient]: connection failures, timeouts, 429,
// 502, 503, 504) is retried after a random wait in [0, min(cap, base·2^(n−1))] ("full
// jitter", [DefaultRetryBase] 0.5 s, [DefaultRetryCap] 30 s), at least the Retry-After the
// grid asked for, for at most [DefaultMaxAttempts] write attempts per object ([WithRetry]).
// Waits happen without a permit.
//
// A write whose outcome is unknown ([wapi.MaybeApplied]: sent, no reply) is never re-sent
// blindly. The engine first looks the objects up by their key ([Item.Key]): one search for
// one object, one `request` call of searches for a batch (a batch is one transaction, so it
// was applied whole or not at all). An object found whose compared fields (comment and
// extensible attributes, when the input gives them) equal the input's was created by the
// lost request: created, with its ref. One found with other fields was there before: it
// follows the conflict policy. Objects not found are sent again. An object that may have been
// applied and later draws a conflict is looked up the same way, so a create that was still in
// progress on the grid when it was looked up does not turn into a spurious conflict either.
//
// Reads and logins are safe to repeat whatever happened to an earlier try: [Engine.Retry]
// repeats them on transient failures with the same backoff and number of attempts, and
// [Engine.SearchAll] reads a paged search that way, a failed page again from its page id, so
// that an export, a delete by search or the login before a run ride through the faults a load
// rides through.
//
// # Conflicts
//
// An object the grid refuses as a duplicate follows [WithConflictPolicy]: [Skip] (default)
// records it as existed (with its ref when a lookup found it), [Update] finds it by key and
// PUTs the input's fields (without the key and the create-only fields network_view, view and
// zone_format), [Fail] records it as failed. A rerun of the same load therefore creates
// nothing and reports every object existed.
//
// # Batch failure isolation
//
// WAPI runs a `request` call as one transaction: one bad object fails the batch and nothing
// of it is applied. The engine isolates the bad objects so that every good one is created
// and every bad one gets its own error:
//
//   - When the grid says which item failed ([wapi.BatchError] Index ≥ 0), that object gets
//     the error and the others are sent again.
//   - When the batch was refused as a duplicate, one `request` call of searches by key finds
//     every object of the batch that exists (however many: a rerun costs 2 requests per
//     batch); they follow the conflict policy and the rest is sent again
//     ([WithConflictLookup], on by default).
//   - Otherwise the batch is bisected: the first half is sent; if all of it is created, the
//     first failing object is in the second half, which is split again without being sent;
//     if not, the second half is sent as it is. An object left alone is known to fail with
//     the batch's error. For k bad objects in a batch of M this costs at most 2·k·log2(M)
//     extra requests, about 1.5·log2(M) for one bad object on average.
//
// # Resume
//
// [Engine.Load] takes a [Resume] made from the journal of an interrupted run of the same
// input: objects whose outcome is final are skipped (no request, no new outcome), objects
// whose intent was recorded without an outcome are looked up by key before anything is sent,
// exactly like a write whose reply was lost. Ordinals must therefore be stable: the position
// of the object in the input.
//
// # Delete
//
// [Engine.Delete] deletes the objects of a spool by [Item.Ref], with the same strategies,
// retries and isolation. A deletion whose outcome was unknown is repeated: not found then
// means deleted. Give later phases to objects that must go first (undo runs the load's
// phases in reverse). Containers are deleted with remove_subnets=false so that objects the
// load did not create survive; a zone's deletion removes its records on the grid.
//
// # Summary
//
// Every run returns a [Summary]: outcomes by status, elapsed time, objects per second,
// requests (writes and lookups), retries, isolation requests, time spent in backoff,
// latency percentiles (a log-linear histogram, within about 6 %), and the concurrency and
// batch size used. [Engine.Progress] gives live counters for a progress display.
package bulk
