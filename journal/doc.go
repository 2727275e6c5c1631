// Package journal is the record of a bulk run: one JSON object per line, appended as the
// run goes, so that every object's outcome is known after the run — even one killed in the
// middle — and the run can be resumed or undone.
//
// A journal starts with a header (the command, its input sources, the grid without user
// information, the settings) and then holds, in the order they happened:
//
//   - intent: the ordinals of the objects of a write, recorded before the write is sent;
//   - outcome: one per object, its final status (created, existed, updated, failed,
//     invalid, deleted, not_found), its reference, and the grid's error for failures;
//   - decision: the adaptive controller's concurrency and batch size, and why;
//   - resume: a later run continues the journal;
//   - summary: the account of the run, when it ends.
//
// An object with an intent and no outcome was being written when the run stopped: a resumed
// run looks it up on the grid before sending anything, so a lost reply never becomes a
// duplicate. An object without an intent was never sent.
//
// # Durability
//
// [Writer] implements [bulk.Recorder]. Each method returns once its record has reached the
// operating system (so killing the process loses nothing already returned), and Intent
// returns only once its record is on stable storage (fsync), so a machine crash cannot
// lose the knowledge that a write may have been applied. Concurrent callers share writes and
// syncs (group commit): one goroutine writes everything buffered while the others queue
// their records for the next group.
//
// # Reading
//
// [Read] and [Scan] stream records. A journal's last line may be torn by a crash: the
// reader skips it and says so in [Info]; damage anywhere else is a [*FormatError] naming the
// line. [Load] returns a [State] ([bulk.Resume]) without holding the records in memory (two
// bits per object), and [Resume] reopens a journal for the run that continues it, after
// checking that it reads the same input.
//
// The journal holds no secret: no password, no session cookie, and the grid's URL without
// user information.
package journal
