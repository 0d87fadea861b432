// Package event defines jetcron's execution events — the facts appended to
// the events stream — and how to publish, read, fold and watch them.
//
// Subjects are <ns>.events.<job>.<execution>.<kind>; a job-level event (a
// definition created, disabled, found invalid...) uses the execution token
// "_". Payloads are JSON with snake_case fields and a schema version "v";
// readers skip kinds and versions they do not know, so new kinds never break
// old readers.
//
// The stream orders events by the time it stored them, not by cause: the
// leader records an execution's scheduled event once the work stream has
// acknowledged its slot, and a worker may have taken the slot and recorded
// started (even succeeded) before that. Fold, and every reader in jetcron,
// let a scheduled or delayed event never take a started execution back.
//
// An execution's state is the fold of its events (see Fold). Listing the
// newest executions of a job reads the stream backwards in growing windows of
// sequence numbers with batched direct gets, so it costs the same whether
// the job has ten executions or a hundred thousand.
package event
