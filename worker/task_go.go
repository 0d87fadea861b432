package worker

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/jetcron/jetcron/pkg/job"
)

// runGo runs a Go handler, turning its error (or panic) into an outcome.
func (x *execution) runGo(ctx context.Context) (o outcome) {
	h := x.w.handler(x.work.Spec.Task.Handler)
	if h == nil {
		return outcome{state: job.StateFailed, err: fmt.Sprintf("no Go handler %q on this worker", x.work.Spec.Task.Handler), retryable: true}
	}
	run := &Run{
		ID: x.work.ID, Job: x.work.Job, Attempt: x.attempt, ScheduledAt: x.work.ScheduledAt,
		Trigger: x.work.Trigger, ParentID: x.work.ParentID, Params: x.work.MergedParams(), Log: x.currentCapture(),
	}
	o.run, o.handler = run, h
	defer func() {
		if p := recover(); p != nil {
			x.log.Error("handler panicked", "panic", fmt.Sprint(p))
			fmt.Fprintf(run.Log, "panic: %v\n%s", p, debug.Stack())
			o.state, o.err, o.retryable = job.StateFailed, fmt.Sprintf("%v: %v", errPanic, p), true
		}
	}()
	err := h.Run(ctx, run)
	o.followUps = run.FollowUps()
	var ra *RetryAfterError
	var perm *PermanentError
	switch {
	case err == nil:
		o.state = job.StateSucceeded
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
