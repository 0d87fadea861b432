// Package failure is jetcron's fault suite: it runs jetcron the way
// production runs it — separate OS processes of the built binary against a
// three-node NATS cluster with every stream and bucket replicated three
// times — breaks it, and counts what went wrong.
//
// # Harness
//
// TestMain builds three programs once: the jetcron binary (with the race
// detector under -race-binary; a race report then fails the scenario),
// the real nats-server at the version go.mod requires, and the probe
// (./probe). Each scenario starts three nats-server processes (JetStream,
// sync_interval always, routes on loopback), schedulers and workers with a
// 3s lease and a 3s ack wait, and jobs whose task is the probe. The harness
// is also the supervisor: it kills, freezes (SIGSTOP) and restarts
// processes by their pid.
//
// # Probe and sink
//
// The probe appends a JSON line when it starts and when it ends — job,
// slot, attempt, execution ID, worker, the worker's pid, its own pid and
// its child's, a timestamp — to a file per worker in a sink directory
// outside the system under test. A watcher follows the sink and notes when
// each probe process and its child disappear, which ends an attempt that
// was killed and measures that a run never outlives its worker.
//
// # Checker
//
// After the faults, a scenario disables its jobs, waits until nothing is
// in flight, reads the sink and the whole events stream, and counts, per
// scenario: missed slots, duplicate runs of a slot, runs of slots not in
// the spec, overlapping attempts of one slot, and acked-but-lost
// executions (see report in checker_test.go for the exact definitions).
// Each must be zero. Re-runs — a slot run again because the worker running
// it died after the script ended and before it recorded the result — are
// reported apart: that is at-least-once execution, not a second fire.
//
// # Scenarios
//
// Every scenario has a short version, run by `go tool task test`, and a
// full-length one, run by `task test:faults` (-args -full), whose figures
// are in docs/reliability.md. With JETCRON_FAULTS_REPORT set, each
// scenario appends its line to that file as a Markdown table row.
package failure
