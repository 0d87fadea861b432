// Package backfill runs past slots of a job again: the slots of a window
// that did not run (missed, unaccounted, skipped, paused) or whose run
// failed, chosen from the job's slot ledger (pkg/ledger), each run once.
//
// # Choosing the slots
//
// Select reads the ledger rows of the window and sorts each slot into run
// or skip, with the reason: a slot whose run (or newest backfill run)
// succeeded is skipped, and so is one whose run is still pending or running,
// or that is not due yet; the rest is "missed" (never ran) or "failed" (ran
// and did not succeed), and --only picks missed, failed or all of them. A
// dry run shows exactly this list; the real run stores it.
//
// # Execution IDs
//
// A backfill run of slot S is <job>-<stamp>_bf<N>: the slot's ID with a tag,
// N the backfill generation of that slot (1, then 2 for a slot whose first
// backfill run failed and is backfilled again). It is never the slot's own
// ID: that ID's claim (kept 25 hours), its deduplication ID in the work
// stream and its events belong to the original slot, so reusing it would
// have the worker drop the run as a duplicate of the original, or mix two
// runs in one execution. The ID is chosen when the backfill is stored and
// never changes, so a backfill asked twice, or resumed by a new leader
// after a scheduler restart, writes the same pending key, publishes the same
// message ID and meets the same claim: a slot runs at most once per
// generation. The ledger attaches backfill runs to their slot, so a second
// backfill of the same window skips what the first one ran.
//
// # Running
//
// The backfill is a record in the backfills bucket (key <job>.<id>, id =
// <from>-<to> stamps, with -2, -3... for a window backfilled again), written
// by the API with create-only semantics; an ended backfill stays as the
// record of what it ran. The
// leading scheduler (scheduler/backfill.go) drives it: it keeps at most
// MaxParallel of its runs in flight (1 unless the job's overlap policy is
// allow, and then only while no run of the job is on the work stream),
// writing each as a pending run with trigger backfill, so that the
// scheduler's ordinary dispatch applies the overlap policy; it learns that
// a run ended from the run's events, and marks the record done when every
// slot's run ended. A run that the overlap policy skipped is tried again
// under the next generation. Every change of the record is a
// revision-checked update: two leaders for a moment write the same IDs.
//
// Cancel marks the record cancelled: no further slot is started, and the
// runs in flight are cancelled like `exec cancel` does.
package backfill
