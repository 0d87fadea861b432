package worker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/jetcron/jetcron/pkg/claim"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/worker/internal/logcap"
)

// outcome is how an attempt ended, before deciding what follows.
type outcome struct {
	// state is succeeded, failed, timed_out or cancelled; empty means the
	// attempt was interrupted (the worker is stopping) and has no result.
	state    job.State
	exitCode *int
	err      string
	// retryable failures get another attempt while retries are left.
	retryable bool
	// handBack: the task did not start, for a reason of the system's (a
	// store it reads was unreachable, the worker's disk or identities):
	// the attempt hands the execution back without using a retry
	// (handback.go).
	handBack bool
	// retryAfter, when set, is the delay before the next attempt.
	retryAfter time.Duration
	followUps  []job.FollowUp
	// checkpoint is the new checkpoint the run set, if any (checkpoint.go).
	checkpoint *string
	// superseded: another attempt took the execution over meanwhile.
	superseded bool
	// run is the Go handler's view of the attempt, for hooks.
	run     *Run
	handler Handler
	cause   error
}

// classify maps the cause that stopped a run (if any) onto the outcome.
func (x *execution) classify(o *outcome) {
	cause := context.Cause(x.ctx)
	o.cause = cause
	if cause != nil {
		o.handBack = false // what stopped the run is its result, not the system's failure
	}
	var ce *cancelledError
	switch {
	case cause == nil:
	case errors.Is(cause, errTimeout):
		o.state = job.StateTimedOut
		o.err = fmt.Sprintf("timed out after %s", x.work.Spec.Timeout)
		o.retryable = true
	case errors.As(cause, &ce):
		o.state = job.StateCancelled
		o.err = ce.reason
		o.retryable = false
	case errors.Is(cause, errInterrupted):
		o.state = ""
	case errors.Is(cause, claim.ErrSuperseded):
		o.superseded = true
	}
}

// backoff returns the delay before the retry that follows failures failed
// attempts: exponential from the job's backoff, capped, with ±20% jitter.
func backoff(r job.Retry, failures int) time.Duration {
	d := r.Backoff.D()
	if d <= 0 {
		d = job.DefaultBackoff
	}
	for range failures - 1 {
		d *= 2
		if max := r.BackoffMax.D(); max > 0 && d >= max {
			d = max
			break
		}
	}
	if max := r.BackoffMax.D(); max > 0 && d > max {
		d = max
	}
	jitter := time.Duration((rand.Float64()*0.4 - 0.2) * float64(d))
	return max(d+jitter, time.Second)
}

// retryable reports whether an exit code may be retried under the policy.
func retryableExit(r job.Retry, code int) bool {
	return len(r.OnExit) == 0 || slices.Contains(r.OnExit, code)
}

// finish stores the log, then records the attempt's result and settles the
// message: the order that makes "acked" imply "recorded".
func (x *execution) finish(ctx context.Context, o outcome, capture *logcap.Capture) {
	x.ended.Store(true)
	w := x.w
	spec := &x.work.Spec
	now := w.cfg.Clock.Now()
	logURL, logBytes, logErr := x.storeLog(ctx, capture)
	if logErr != nil && o.state != "" && !o.superseded {
		x.log.Error("log not stored; the attempt will run again", "error", logErr)
		o = outcome{state: ""}
	}
	dur := now.Sub(x.startedAt).Milliseconds()
	base := event.Event{Job: x.work.Job, Execution: x.work.ID, Time: now, Attempt: x.attempt, Worker: w.cfg.ID,
		ExitCode: o.exitCode, DurationMS: &dur, LogURL: logURL, LogBytes: logBytes, Error: o.err}

	if o.superseded {
		x.superseded(ctx, base)
		return
	}
	if o.state == "" { // interrupted: no result; another worker runs it at once
		x.hooks(ctx, o)
		x.settle(settleRedeliver, 0)
		w.cfg.Metrics.finished("interrupted")
		return
	}

	if o.handBack && x.delivery < w.queueLimits(spec.Queue).maxDeliver {
		x.handBack(ctx, base, now)
		return
	}
	if o.state == job.StateSucceeded {
		if err := x.commitCheckpoint(ctx, &o); errors.Is(err, errCheckpointSuperseded) {
			x.superseded(ctx, base)
			return
		} else if err != nil {
			x.log.Warn("checkpoint not stored; the attempt fails", "error", err)
			o.state, o.err, o.retryable = job.StateFailed, err.Error(), true
			base.Error = o.err
		}
	}

	x.claimMu.Lock()
	defer x.claimMu.Unlock()
	failures := x.claim.Record().Failures
	retry := o.state != job.StateSucceeded && o.state != job.StateCancelled && o.retryable &&
		failures < spec.Retry.Retries && x.delivery < w.queueLimits(spec.Queue).maxDeliver
	if retry {
		if err := x.claim.Failed(ctx, now); err != nil {
			x.fenced(ctx, base, err)
			return
		}
		delay := o.retryAfter
		if delay <= 0 {
			delay = backoff(spec.Retry, failures+1)
		}
		next := now.Add(delay).UTC()
		e := base
		e.Kind, e.NextAttempt = event.Retrying, &next
		w.publish(ctx, e)
		x.hooks(ctx, o)
		x.settle(settleRetry, delay)
		w.cfg.Metrics.finished("retrying")
		return
	}
	if err := x.claim.Finish(ctx, string(o.state), now); err != nil {
		x.fenced(ctx, base, err)
		return
	}
	if len(o.followUps) > 0 && o.state != job.StateCancelled {
		x.enqueueFollowUps(ctx, o.followUps, now)
	}
	e := base
	e.Kind = finalKind(o.state)
	w.publish(ctx, e)
	x.hooks(ctx, o)
	x.settle(settleDone, 0)
	w.cfg.Metrics.finished(string(o.state))
}

func finalKind(s job.State) event.Kind {
	switch s {
	case job.StateSucceeded:
		return event.Succeeded
	case job.StateTimedOut:
		return event.TimedOut
	case job.StateCancelled:
		return event.Cancelled
	case job.StateSkipped: // a pending run the scheduler skipped (claim.End)
		return event.Skipped
	default:
		return event.Failed
	}
}

// fenced handles a claim write that failed: superseded means a newer
// attempt owns the execution; anything else leaves the message for
// redelivery.
func (x *execution) fenced(ctx context.Context, base event.Event, err error) {
	if errors.Is(err, claim.ErrSuperseded) {
		x.superseded(ctx, base)
		return
	}
	x.log.Warn("cannot record the result; leaving the execution for redelivery", "error", err)
	x.settle(settleRedeliverLater, 0)
}

// superseded records a late result that is not final, and leaves the
// message alone: it belongs to the newer attempt now.
func (x *execution) superseded(ctx context.Context, base event.Event) {
	x.log.Warn("this attempt was superseded; its result is recorded as superseded, not final")
	e := base
	e.Kind = event.Superseded
	x.w.publish(ctx, e)
	x.w.cfg.Metrics.finished("superseded")
}

// hooks calls the Go handler's hooks for a settled outcome, each at most
// once per execution (OnAbort once per stopped attempt), as package handler
// documents: it runs after the result is recorded, so whether the outcome
// is final is known (the claim holds the final state only then).
func (x *execution) hooks(ctx context.Context, o outcome) {
	if o.handler == nil || o.run == nil {
		return
	}
	defer func() {
		if p := recover(); p != nil {
			x.log.Error("handler hook panicked", "panic", fmt.Sprint(p))
		}
	}()
	final := x.isLastAttempt(o)
	err := errors.New(cmp.Or(o.err, string(o.state)))
	switch o.state {
	case job.StateSucceeded:
		if h, ok := o.handler.(SuccessHook); ok && final {
			h.OnSuccess(ctx, o.run)
		}
	case "", job.StateCancelled, job.StateTimedOut:
		if o.state == "" {
			err = errInterrupted
		}
		if h, ok := o.handler.(AbortHook); ok {
			h.OnAbort(ctx, o.run, err)
		}
		if h, ok := o.handler.(FailHook); ok && final && o.state == job.StateTimedOut {
			h.OnFail(ctx, o.run, err)
		}
	default:
		if h, ok := o.handler.(FailHook); ok && final {
			h.OnFail(ctx, o.run, err)
		}
	}
}

// isLastAttempt reports whether the outcome ended the execution: its final
// state is recorded in the claim (a retry records a failure instead, and
// an interrupted attempt records nothing).
func (x *execution) isLastAttempt(o outcome) bool {
	return o.state != "" && x.claim != nil && x.claim.Record().Final != ""
}
