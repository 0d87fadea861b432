// Package supervisor is the supervisor of one run of a program (package
// process starts it; its documentation tells the whole mechanism) and the
// protocol by which the worker and the supervisor talk.
//
// # Why a package of its own
//
// The supervisor is the running binary re-executed with Arg as its first
// argument, and it takes over in this package's init function, before
// main. Every command a worker runs pays for that start, and a Go binary's
// start is mostly the initialisation of its packages: the jetcron binary
// links a NATS server, an S3 client and an OpenTelemetry exporter, and
// initialising them all costs more CPU than the program a command usually
// runs.
//
// Go initialises packages in the order of their import paths, each as soon
// as everything it imports is initialised (the Go specification, "Package
// initialization"). This package's path sorts before most of the binary's,
// and it imports only standard packages that are initialised early (os,
// syscall, os/signal, strconv, ...), so its init runs early and the
// supervisor never initialises the rest. One import of
// os/exec, path/filepath or golang.org/x/sys/unix would move it behind
// nearly every package, so the code here starts the program with
// os.StartProcess and calls prctl through syscall.
// TestSupervisorStartsEarly keeps it so.
//
// On a 2-core VM this took the supervisor's start from 4.3–5.8 ms of CPU
// and ~620 page faults to 2.5–2.7 ms and ~400 (perf stat -r 300; 24
// packages initialised instead of 142), and a burst of commands from
// 207–215 to 235–245 runs/s (docs/benchmarks.md, "What a command costs").
package supervisor
