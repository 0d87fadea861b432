package worker

import (
	"context"
	"fmt"

	"github.com/jetcron/jetcron/pkg/job"
)

// precheck refuses work this worker cannot run, before claiming a slot of
// its time: an interpreter it does not allow, a Go handler it lacks.
func (w *Worker) precheck(work *job.Work) error {
	t := &work.Spec.Task
	switch t.Kind {
	case job.TaskScript:
		if _, ok := w.cfg.Interpreters[t.Interpreter]; !ok {
			return fmt.Errorf("interpreter %q is not allowed on worker %s (allowed: %v)", t.Interpreter, w.cfg.ID, keys(w.cfg.Interpreters))
		}
	case job.TaskGo:
		if w.handler(t.Handler) == nil {
			return fmt.Errorf("no Go handler %q is registered on worker %s of queue %s", t.Handler, w.cfg.ID, work.Spec.Queue)
		}
	case job.TaskHTTP:
		if w.httpRunner == nil {
			return fmt.Errorf("worker %s does not run http tasks", w.cfg.ID)
		}
	}
	return nil
}

// execute runs the task of the attempt and returns how it ended.
func (x *execution) execute(ctx context.Context) outcome {
	var o outcome
	if err := x.resolveSecrets(); err != nil {
		return outcome{state: job.StateFailed, err: err.Error()}
	}
	switch x.work.Spec.Task.Kind {
	case job.TaskCommand, job.TaskScript:
		o = x.runProcess(ctx)
	case job.TaskGo:
		o = x.runGo(ctx)
	case job.TaskHTTP:
		o = x.runHTTP(ctx)
	default:
		o = outcome{state: job.StateFailed, err: fmt.Sprintf("unknown task kind %q", x.work.Spec.Task.Kind)}
	}
	if o.state != job.StateSucceeded || ctx.Err() != nil {
		x.classify(&o)
	}
	return o
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
