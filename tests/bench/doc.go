// Command bench measures how fast the scheduler puts due slots on the work
// stream and how late it fires them, against a real embedded JetStream
// server with fsync on every write (pkg/devserver), the real topology and a
// real leading scheduler in the same process, and with a worker the whole
// system end to end. docs/benchmarks.md records the figures and how to read
// them.
//
//	go run ./tests/bench                 # the full figures (a few minutes)
//	go run ./tests/bench -quick          # a scaled-down run, seconds
//	go run ./tests/bench -help           # every flag
//
// It measures three things, each on a fresh server and data directory:
//
//  1. Dispatch rate. -jobs jobs (10,000) are created, all `every 1h`
//     anchored at one instant S a little after setup ends, overlap allow.
//     The leader fires them all at S; the rate is jobs divided by the time
//     from S until the last work item is stored, taken from the stream's own
//     store timestamps (Nats-Time-Stamp). It runs once with the dispatcher's
//     atomic batches (the default) and once with them off
//     (scheduler.Config.NoBatch), to show what the batches gain. It also
//     reports when the last `scheduled` event was stored and when the
//     leader sent its last cursor write (seen by a plain subscription on the
//     state bucket's subjects): how long the leader stays busy after the
//     burst.
//
//  2. Firing lateness. -rate jobs `every 1s`, their anchors spread evenly over
//     the second (or all on it with -aligned), fire -rate slots per second
//     for -duration. Lateness of a slot is when its work item was stored
//     minus the slot; the scheduler's own view (the `time` of the
//     `scheduled` event, taken when the loop woke, before publishing) is
//     shown beside it, and so are the leader's cursor flushes in the window.
//     -run lateness-nobatch repeats it with atomic batches off.
//
//  3. End to end (-run e2e,e2e-cmd,steady,steady-cmd; not run by default).
//     A worker joins the scheduler on its connection, as `jetcron dev` runs
//     them (-concurrency 64), with a no-op Go handler. e2e: -e2e-jobs
//     one-shot jobs due at one instant, measured until every final event is
//     stored (executions per second, and slot -> handler began, -> started
//     event, -> final event stored percentiles); steady: -steady-rate
//     executions per second for -steady-duration, then the worker drains.
//     The -cmd phases run a command task (`true`) instead, to show the fork
//     cost. Each reports the process's CPU per execution and its peak RSS;
//     -no-sync runs the server as `jetcron dev --no-sync`. peers.sh runs
//     them beside River, asynq and raw JetStream (../shared/bench/peers)
//     and prints the ratios.
//
//  4. Scale (-run scale; not run by default). -scale-jobs definitions
//     (1,000,000) are written into the jobs bucket in atomic batches, then a
//     scheduler runs alone in a process of its own (this binary, run as
//     `scale-scheduler`), so that its memory is its own: the time and CPU
//     until it has planned every job, its live heap and resident set (and
//     a heap profile with -memprofile), job_get and job_list latency
//     against it; then it stops, and a second process takes over and is
//     measured the same way. -scale-gomemlimit sets their GOMEMLIMIT.
//
// Jobs are created through the API (api.Call with job_create, -inflight
// calls in flight) unless -setup kv writes valid definitions straight into
// the jobs bucket, which skips the API's checks and audit events but is what
// the leader reads either way. In phases 1 and 2 no worker runs: the work
// items stay in the stream, which is what is measured.
//
// Everything (server, scheduler, measuring client) shares the machine's
// CPUs, so the figures are whole-process figures; on a shared machine they
// vary from run to run, so run it a few times and quote medians.
package main
