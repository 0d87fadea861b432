// Package watchdog checks, on every scheduler replica, that every job does
// what it is expected to do, and keeps each job's health (package health)
// and the alerts of its changes (package alert).
//
// # Why every replica
//
// The leader fires the slots; it cannot also be the one that notices it
// stopped firing them. A leader that is frozen (SIGSTOP, a long GC pause, a
// partition that leaves it holding its lease) or wedged fires nothing and
// records nothing, and says nothing about it. So every replica, leader or
// not, runs a watchdog that trusts only the events stream and the job
// definitions: a slot that is neither fired nor recorded within its grace
// becomes an unaccounted alert naming the job and the slot, whoever leads.
//
// # What it reads, and what it costs
//
// At start a watchdog reads the stored healths (the counters they carry),
// the job definitions (a watch of the jobs bucket, which it keeps), and the
// events of a bounded look-back (Config.Lookback, default 15m) through the
// stream's time index. Then it follows the events stream with an ordered
// consumer from where the look-back ended: each event is read once, never
// the whole stream again. Per job it keeps in memory the events of the
// slots in its window (the job's grace and jitter plus Config.Window,
// trimmed each round), the executions running, and the counters
// (consecutive failures, last success).
//
// Each round (Config.Interval, default 10s, on the injected clock) it
// computes every job's health from that memory: the slot ledger of the
// window (package ledger, the same classification as `jetcron job audit`)
// for the unaccounted and late slots, the running executions for
// overrunning, the counters for failing and too_short. A round costs the
// slots of the windows, not the events. A replica that has fallen behind
// the events (more than maxLag unread) skips rounds until it catches up:
// judged from events it has not read, slots would look unaccounted.
//
// # A job's health
//
// The conditions, in the order that decides the one health a job shows
// when several hold:
//
//   - paused: the job is disabled.
//   - unaccounted: a slot of the window has no event and is older than the
//     grace (job.Expect.Grace: --expect-start-within, default 1m, widened
//     by the jitter). It lasts until that slot is accounted for (fired late,
//     recorded missed...), or, once it has left the window, until a later
//     slot is recorded.
//   - failing: job.Expect.FailureThreshold consecutive executions failed or
//     timed out; a success resets the count.
//   - overrunning: an attempt has run longer than --max-runtime.
//   - late: a slot was published but has not started within the grace.
//   - too_short: the last success ran shorter than --min-runtime.
//   - ok: none of these.
//
// # Changes, alerts and the stored state
//
// When a job's health differs from the stored one, the watchdog appends an
// alert (ok → failing, failing → ok, late, unaccounted, ...), then writes
// the new state with a revision-checked update. Appending first means a
// replica that dies between the two appends the alert again later; the
// alert's message ID (job, health, cause, previous health) lets the
// stream keep one copy of it, as it does when several replicas see the same
// change. A write that loses a race re-reads the state and decides again
// next round. A replica whose view of the job's events is older than the
// stored state's (its Seq) leaves the state alone: it would only undo what
// a replica that is ahead decided.
//
// A restarted replica adopts the stored counters and applies only the
// job's events after the stored Seq, so a failure is counted once; the
// health it reads back is the previous one of its first change, so a
// restart announces nothing that did not change.
//
// # Limits
//
// A run that started before the look-back and is still running is not
// known to a replica started after it (it is not overrunning for it). A
// job's slots are checked only from the look-back's start on: the slots of
// an outage of every replica longer than the look-back are the catch-up's
// to account for, and the slot ledger shows them.
package watchdog
