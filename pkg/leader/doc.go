// Package leader elects one leader among any number of candidates with a
// lease kept in a NATS KV bucket.
//
// # Lease
//
// The bucket's TTL is the lease length L (a key's own TTL can be set only
// when it is created, so a lease that is renewed by updates must live in a
// bucket whose max age is the lease). The bucket keeps one revision per key
// and writes a marker when a key expires, so watchers see the expiry.
//
// A candidate becomes leader by creating the key (Create fails if it
// exists). The revision Create returns is the leader's term: a strictly
// increasing number no other leader has had. The leader renews every L/3
// with an Update that names the revision it last wrote; an Update fails if
// anybody else wrote the key since, so a renewal proves the lease is still
// ours. Followers watch the key and poll it; when it disappears (expired or
// deleted) they race to create it and exactly one wins.
//
// # Fencing
//
// A leader's belief that it leads ends at lastRenew + L − margin, measured on
// its own monotonic clock from the moment it *sent* its last successful
// renewal. Lease.Valid checks that instant; the scheduler checks it before
// every batch it publishes. A process that is paused (SIGSTOP, a long GC,
// a VM freeze) or partitioned from NATS wakes up past that instant and
// publishes nothing: its Valid is false, and its next renewal fails because
// the key has expired or been taken over. The margin covers clock-rate
// differences between the leader and the NATS server (the TTL runs on the
// server's clock). Writes to per-job state are fenced a second time by their
// own revision checks: an ex-leader that slipped past the first fence fails
// its state update and stops.
//
// # Failure cases
//
//   - Leader crashes: its key expires after at most L; a follower takes over
//     within L plus one poll interval.
//   - Leader stops gracefully: it deletes the key (revision-checked), and a
//     follower takes over at once.
//   - NATS unreachable or without quorum: renewals fail; the leader steps
//     down at lastRenew + L − margin even though it cannot tell anyone.
//   - A candidate restarted with the same ID (Config.ReclaimOwn): see below.
//   - Two leaders at once would need the KV to accept two creates of one key
//     or an update with a stale revision; JetStream rules both out for a
//     single stream leader. A NATS split brain could break that (RELIABILITY
//     notes open upstream issues), which is why work items carry
//     deterministic IDs and workers claim executions: a second leader's
//     duplicate slots are dropped downstream.
//
// # Reclaiming one's own lease
//
// A killed leader leaves its key behind until it expires, so a restarted
// single-replica setup (`jetcron dev`) would fire nothing for up to L. With
// Config.ReclaimOwn, a candidate that finds the key held under its own ID
// takes it over at once: it reads the entry and writes its own record with
// an Update naming the revision it read (a key that changed meanwhile is
// left alone), and that Update's revision is its term — above every earlier
// term, so whatever the earlier run left is fenced as after any takeover.
//
// This is safe only if two candidates with the same ID can never run at
// the same time. The lease says "ID x leads"; the elector cannot tell a
// dead earlier run of x from a live one. Two live processes with one ID
// would take the key from each other whenever their campaign found it held
// by "themselves", and each would believe it leads until its next renewal
// failed (up to L/3 of two leaders at once; the state writes' revision
// checks and the workers' claims would still drop duplicates, but slots
// could be published twice). Candidates with random IDs (the default of a
// scheduler replica) never reclaim anything; `jetcron dev` derives a stable
// ID from its data directory and holds an exclusive lock (flock) on the
// directory while it runs, so a second `jetcron dev` on that directory
// refuses to start and the same ID never runs twice at once.
package leader
