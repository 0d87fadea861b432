package worker

import (
	"context"

	"github.com/jetcron/jetcron/pkg/job"
)

// A runner runs the tasks of one kind on this worker. Each kind has a file
// of its own, task_<kind>.go, that implements it and adds its constructor
// to runnerKinds.
type runner interface {
	// check says why this worker cannot run work, before it claims it (an
	// interpreter it does not allow, a Go handler it lacks): the work is
	// handed back for another worker.
	check(work *job.Work) error
	// run runs the task of attempt x and returns how it ended; the generic
	// part (secrets before, classify after) is execute's.
	run(ctx context.Context, x *execution) outcome
	// closeIdle releases what the runner keeps between runs (kept-alive
	// connections): the worker is stopping. Like net/http's
	// CloseIdleConnections it leaves the runner usable, as a stopped worker
	// may start again.
	closeIdle()
}

// runnerKinds holds the constructor of each kind's runner. Each
// task_<kind>.go adds its own from an init function: the files of one
// package are always built together, so the set is fixed at build time,
// and a new kind touches only its own file (TestEveryKindHasARunner checks
// that none is missing).
var runnerKinds = map[job.TaskKind]func(w *Worker) runner{}

// newRunners returns the runners of the kinds w allows (Config.AllowKinds);
// work of another kind is refused before it reaches one (refuseKind).
func newRunners(w *Worker) map[job.TaskKind]runner {
	out := make(map[job.TaskKind]runner, len(w.cfg.AllowKinds))
	for _, k := range w.cfg.AllowKinds {
		if newRunner := runnerKinds[k]; newRunner != nil {
			out[k] = newRunner(w)
		}
	}
	return out
}

// execute runs the task of the attempt and returns how it ended.
func (x *execution) execute(ctx context.Context) outcome {
	if err := x.resolveSecrets(); err != nil {
		return outcome{state: job.StateFailed, err: err.Error()}
	}
	o := x.runner.run(ctx, x)
	if o.state != job.StateSucceeded || ctx.Err() != nil {
		x.classify(&o)
	}
	return o
}

// closeRunners releases what the runners hold (Stop).
func (w *Worker) closeRunners() {
	for _, r := range w.runners {
		r.closeIdle()
	}
}
