package worker

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"go.opentelemetry.io/otel/trace"

	"github.com/jetcron/jetcron/pkg/job"
)

func init() {
	runnerKinds[job.TaskGo] = func(w *Worker) runner { return &goRunner{w: w} }
}

// goRunner runs go tasks: the Go handler the task names, registered with
// Handle, in the worker's own process.
type goRunner struct {
	w *Worker
}

// check refuses a task whose handler is not registered on this worker.
func (g *goRunner) check(work *job.Work) error {
	if g.w.handler(work.Spec.Task.Handler) == nil {
		return fmt.Errorf("no Go handler %q is registered on worker %s of queue %s", work.Spec.Task.Handler, g.w.cfg.ID, work.Spec.Queue)
	}
	return nil
}

// run runs the Go handler, turning its error (or panic) into an outcome.
func (g *goRunner) run(ctx context.Context, x *execution) (o outcome) {
	h := g.w.handler(x.work.Spec.Task.Handler)
	if h == nil {
		return outcome{state: job.StateFailed, err: fmt.Sprintf("no Go handler %q on this worker", x.work.Spec.Task.Handler), retryable: true}
	}
	run := &Run{
		ID: x.work.ID, Job: x.work.Job, Attempt: x.attempt, ScheduledAt: x.work.ScheduledAt,
		Trigger: x.work.Trigger, ParentID: x.work.ParentID, Params: x.work.MergedParams(), Log: x.currentCapture(),
	}
	if win := x.window; win != nil {
		run.PrevSlot = win.prevSlot
		if win.cp != nil {
			run.LastSuccessSlot, run.Checkpoint = win.cp.LastSuccessSlot, win.cp.Value
		}
	}
	o.run, o.handler = run, h
	defer func() {
		if p := recover(); p != nil {
			x.log.Error("handler panicked", "panic", fmt.Sprint(p))
			fmt.Fprintf(run.Log, "panic: %v\n%s", p, debug.Stack())
			o.state, o.err, o.retryable = job.StateFailed, fmt.Sprintf("%v: %v", errPanic, p), true
		}
	}()
	// The handler's own spans hang under the attempt's (package tracing).
	err := h.Run(trace.ContextWithSpanContext(ctx, trace.SpanContextFromContext(x.traceCtx)), run)
	o.followUps = run.FollowUps()
	var ra *RetryAfterError
	var perm *PermanentError
	switch {
	case err == nil:
		o.state = job.StateSucceeded
		if v, ok, cerr := run.NewCheckpoint(); cerr != nil {
			o.state, o.err = job.StateFailed, cerr.Error()
		} else if ok {
			o.checkpoint = &v
		}
	case errors.As(err, &perm):
		o.state, o.err = job.StateFailed, err.Error()
	case errors.As(err, &ra):
		o.state, o.err, o.retryable = job.StateFailed, err.Error(), true
		o.retryAfter = min(max(ra.Delay, minRetryAfter), MaxRetryAfter)
	default:
		o.state, o.err, o.retryable = job.StateFailed, err.Error(), true
	}
	return o
}

func (g *goRunner) closeIdle() {}

var _ runner = (*goRunner)(nil)
