// Package scheduler is the scheduler role: every replica answers the API
// (internal/apiservice), and the one that holds the leader lease plans and
// publishes due slots.
//
// # Exactly-once firing
//
// A slot becomes at most one execution because of three layers, each
// covering a hole in the one before:
//
//  1. The work item is published with Nats-Msg-Id = its execution ID,
//     which is deterministic in (job, slot): a re-publish within the
//     stream's duplicate window is dropped by the broker. But the window
//     is finite, and a restarted server forgets the IDs of items already
//     acked off the work queue.
//  2. The leader records each job's cursor — the newest slot accounted for
//     — in the state bucket with revision-checked updates, and never fires
//     a slot at or before it. Cursors are flushed about once a second, not
//     per fire (a synchronous write per fire would cap dispatch far below
//     the stream's rate); a crash loses at most that second, whose slots
//     the next leader re-publishes into layer 1 and 3.
//  3. The worker claims each execution with a create-only key before
//     running it; a second copy of an execution is dropped.
//
// And at least one: slots missed while no leader ran fire on takeover
// within the job's catch-up window; older ones are recorded as missed.
//
// # Overlap policies
//
// What a job's execution does while another of the job has not ended —
// delay, skip, allow, replace — is decided in one file, overlap.go, whose
// doc explains each policy and what adding one touches. It relies on a
// broker rule: the work stream keeps one message per subject and refuses
// the next (MaxMsgsPerSubject: 1, DiscardNew per subject;
// pkg/topology/ensure.go), and an exclusive job (delay, skip) publishes
// every execution on one subject per job, so the broker refuses a second
// one while the first is on the stream.
//
// # Start order
//
// A replica started before NATS is reachable, or (SkipEnsure) before the
// resources exist, does not fail: Start returns and the replica waits in
// the background (topology.EnsureWhenReady, topology.WaitReady), then
// answers the API and campaigns. After every reconnection and every 10s it
// checks that the streams still exist and makes them again if NATS lost
// its store (or waits for an admin, with SkipEnsure). Ready says what it
// waits for (ready.go).
//
// # Fencing
//
// The leader checks its lease (leader.Lease.Valid, on its own monotonic
// clock) before every batch it publishes and every cursor flush, so a
// paused or partitioned ex-leader publishes nothing once its lease may have
// ended. Its cursor updates name the revision it last read: if a newer
// leader wrote the cursor meanwhile, the update fails and the ex-leader
// steps down.
//
// # The watchdog
//
// Every replica, leader or not, runs a watchdog (internal/watchdog,
// watchdog.go): it follows the events and the job definitions, derives
// each job's health (late, unaccounted, failing, overrunning, ...), stores
// it in the health bucket and appends every change to the alerts stream. It
// does not trust the leader: a slot no leader fires becomes an unaccounted
// alert from whichever replica sees it first.
//
// # The leader loop
//
// One goroutine owns the plan (a heap of next fire times), the runtime
// state of every job, and the pending runs; watches of the jobs bucket, the
// pending bucket and the final events feed it through channels. It sleeps
// until the earliest due time or the next change (wake.go).
//
// What it owns (leaderRun) is grouped by duty, one file each: the loop
// itself (loop.go); the job definitions and the plan (jobs.go); a round's
// firing and its outcomes (fire.go); the overlap decision (overlap.go),
// the delayed runs of overlap delay (delayed.go) and the cancels of
// overlap replace (replace.go); concurrency keys and queue caps
// (concurrency.go); the pending runs (pending.go); the events
// waiting to be stored (events.go); the runtime state and its flush
// (state.go, flush.go); what a takeover reads and accounts for (recover.go,
// account.go); work messages out of deliveries (maxdeliver.go).
//
// A cursor flush does not stop it: the loop takes the dirty cursors' values,
// a goroutine writes them (atomic batches of a thousand revision-checked
// updates), and the loop settles the flush when it is handed back, keeping
// the new revisions and marking dirty again whatever failed. One flush is in
// flight at a time, because the next expects the revisions this one writes.
package scheduler
