// Package worker is the worker role: it pulls due executions from the work
// stream, runs them (commands, scripts, HTTP calls, Go handlers), and
// records every attempt as events, with the complete log in object storage.
//
// # Delivery
//
// A worker pulls only when it has a free slot, one message at a time, so a
// busy worker never holds work another could run. While an execution runs,
// the worker sends a heartbeat (InProgress) every third of the ack wait;
// if the worker dies or freezes, the heartbeats stop and JetStream
// redelivers the message to any worker after the ack wait. "Running"
// therefore means "delivered and not yet acked", and it ends by itself.
//
// # At least once, and fenced
//
// Before running, the worker claims the execution in the claims bucket (see
// pkg/claim): a second copy of an execution is dropped, a redelivery
// takes the claim over, and a stale attempt that wakes up later cannot
// record a final result (it records "superseded" instead). The message is
// acked only after the log is stored and the final event is published, so
// an acked execution always has its result; a crash before that means a
// redelivery, never a lost run.
//
// # Outcomes
//
// A run's outcome maps onto JetStream in one place (ack.go): success and
// final failure → the final event, then Ack; a retryable failure with
// retries left → a "retrying" event, then NakWithDelay(backoff); an
// interrupted run (the worker is shutting down) → Nak, so another worker
// takes it at once; a message that cannot be a work item → a "rejected"
// event, then Term.
//
// # Tasks
//
// Each task kind has a runner (tasks.go: check before claiming, run, and
// closeIdle on Stop), in a file of its own: task_command.go and
// task_script.go run processes (the run directory, environment and launch
// they share are task_process.go's; a script runs from a sealed memfd of
// its verified bytes); http tasks make one request through a client whose
// dialer refuses loopback, link-local and private addresses unless
// Config.HTTPAllow allows them (task_http*.go); Go handlers, registered
// with Handle, run in the worker's own process (task_go.go), and their jobs
// route to the queue "go-<handler>" that a worker pulls only while it has
// the handler (handler_queues.go). The handler types live in pkg/handler,
// shared with the client's OnSchedule. New builds the runners of the kinds
// Config.AllowKinds allows; work of another kind is refused before it
// reaches one. Secrets resolution before a run and the classification of
// how it was stopped are the same for every kind (execute).
//
// # Adding a task kind
//
// A new kind needs its definition in pkg/job (the TaskKind constant, its
// entry in job.TaskKinds, its Task fields and their validation), the CLI
// flags that build it (cmd/jetcron/cli), and, here, one file:
// worker/task_<kind>.go, with a type implementing runner and an init
// function adding its constructor to runnerKinds. Nothing else in the
// worker changes; TestEveryKindHasARunner fails while a kind of pkg/job has
// no runner.
//
// # Start order
//
// Start returns at once. The worker then waits, in the background, until
// NATS is reachable and the streams exist (topology.WaitReady; a worker may
// start before NATS or before the first scheduler), opens its buckets and
// stores, and pulls. If the streams vanish later (NATS restarted from an
// empty store), each pull loop looks its consumer up again until a
// scheduler has made it again. Ready says what the worker waits for
// (setup.go).
//
// # Isolation
//
// A run is a stranger to its worker (DESIGN invariant 10; docs/security.md).
// It executes under an identity of its own (identity.go: a uid per run by
// default when the worker is root, --run-as otherwise), in a 0700 directory
// it owns under a runs/ directory it cannot list; the worker is not dumpable
// (isolate.go); a script runs from a sealed memfd of its verified bytes
// (task_script.go); and every process of a run dies with it: a cgroup per run
// where the worker can create one, and the supervisor's subreaper sweep
// everywhere (internal/process).
//
// # Shutdown
//
// Stop stops pulling at once, lets running executions finish (still
// heartbeating) until its context ends, then stops the rest (SIGTERM, then
// SIGKILL after their kill grace) and naks them for immediate redelivery.
package worker
