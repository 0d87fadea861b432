// Package ledger accounts for every slot a job's schedule expected in a
// window: whether the slot fired, whether on time, and how it ended. It is
// pure: the caller gives it the job's definition history and its events,
// and `now`; `jetcron job audit` and the job_audit API verb are built on
// it. It is the first part of issue 13's monitoring (the slot ledger).
//
// # Where the history comes from
//
// The definition in force at each slot is read from the jobs KV bucket's
// history, not from the job_created/job_updated/job_disabled/job_enabled/
// job_deleted events. The bucket is the source of truth: every change of a
// definition is a revision of its key (a delete is a revision too), written
// with the full definition, and the scheduler itself reads the same history
// to account for the slots of a previous definition (scheduler/account.go).
// The job-level events are an audit trail published after the write, on a
// best-effort basis (a lost publish is logged, not returned), they carry
// only the revision number and the names of the changed fields (not the
// schedule), and a definition written to the bucket by another path has
// none. The price of the bucket is its depth: it keeps the last 10
// revisions of a key. When the window reaches back before the oldest
// revision kept, the slots before it are not listed and the ledger says so
// in a note.
//
// Each revision takes effect at the time the bucket stored it and stays in
// force until the next one. A revision owes the slots of its schedule from
// then on, and never before its EnabledAt (a new schedule, or an enable
// without catch-up, owes nothing from before it). A disabled revision's
// slots are expected too, and reported paused unless events say otherwise
// (an enable with catch-up fires them late, or records them missed).
//
// # The outcome of a slot
//
// Each row answers three questions in three columns:
//
//   - Fired: did the slot happen, and when. on_time or late (the first
//     attempt started within Grace of the slot, or later; Grace is widened
//     by the job's jitter, which delays every fire on purpose), caught_up
//     (fired late by the catch-up after an outage), delayed (waited for the
//     previous run: overlap delay), skipped (overlap skip), missed (recorded
//     missed by the scheduler, with its reason, including the slots a
//     range-missed event covers), paused (the job was disabled), due (no
//     event yet, but the slot is younger than Grace) and unaccounted (no
//     event at all and older than Grace: what invariant 9 forbids).
//   - Result: how the run ended, for a slot that fired: pending (published,
//     not started), running, retrying, succeeded, failed, timed_out,
//     cancelled, or replaced (cancelled by a newer slot under overlap
//     replace). Empty for a slot that did not fire.
//   - Lateness: first start − slot; for a run not started, its publish −
//     slot, or now − slot once it waits past Grace (then it is late).
//
// A slot of the job that the events name but the history does not expect
// (older revisions no longer kept) is listed too, marked unexpected.
//
// # Bounds
//
// A window holds at most MaxRows rows (default 10,000): when the schedule
// has more slots in it, the ledger lists the newest and says how many it
// left out, so `every 1s` over 7 days costs 10,000 rows, not 604,800. The
// enumeration itself stops with ErrTooManySlots past MaxScan slots.
package ledger
