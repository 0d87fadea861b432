// Package handler is the contract of Go handlers: the types a Go program
// implements to run the executions of jobs whose task kind is "go", and the
// errors a handler returns to say what happens next.
//
// The worker runs handlers (worker.Handle registers them by name) and the
// client schedules them (client.OnSchedule); both use these types, and
// neither imports the other. worker re-exports them as aliases, so
// worker.HandlerFunc, worker.RetryAfter and worker.Permanent are the
// same as the names here.
//
// # What the returned error decides
//
//	nil                   success
//	RetryAfter(d, err)    retry after d (within the job's retries), ignoring its backoff
//	Permanent(err)        fail now, no retry
//	any other error       the job's retry policy: retry with backoff while retries are left
//	a panic               like any other error, with the panic's message; the worker keeps running
//
// # Hooks
//
// A handler may also implement SuccessHook, FailHook and AbortHook. The
// worker calls them after the attempt's result is recorded:
//
//   - OnSuccess once, when the execution succeeded;
//   - OnFail once, when the execution failed for good (no retry follows:
//     Permanent, retries exhausted, or timed out on its last attempt);
//   - OnAbort once per attempt stopped from outside: cancelled, timed
//     out, or interrupted because the worker is shutting down (another
//     worker then runs the execution again).
//
// An attempt that fails and will be retried calls no hook; the retry's
// own end does.
package handler

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/jetcron/jetcron/pkg/job"
)

// Run is one attempt of an execution, as a Go handler sees it.
type Run struct {
	// ID is the execution ID: deterministic per slot, so it serves as an
	// idempotency key for side effects.
	ID string
	// Job is the job's name.
	Job string
	// Attempt counts deliveries of the execution, from 1.
	Attempt int
	// ScheduledAt is the slot (or requested time) of the execution.
	ScheduledAt time.Time
	// Trigger says what created the execution.
	Trigger job.Trigger
	// ParentID is the execution that asked for this one, if any.
	ParentID string
	// Params are the job's params overridden by the run's own.
	Params map[string]string
	// Log receives the run's output; it is stored with the execution and
	// streamed live.
	Log io.Writer
	// PrevSlot is the slot of the job's schedule before ScheduledAt (zero
	// when there is none); LastSuccessSlot is the slot of the job's newest
	// successful execution and Checkpoint the value it left (zero and
	// empty before the first success). See SetCheckpoint.
	PrevSlot        time.Time
	LastSuccessSlot time.Time
	Checkpoint      string

	followUps     []job.FollowUp
	newCheckpoint *string
	checkpointErr error
}

// FollowUp asks for another run when this one ends: of Job (empty: this
// job), at At or after Delay, with Params.
func (r *Run) FollowUp(f job.FollowUp) { r.followUps = append(r.followUps, f) }

// FollowUps returns the follow-up runs asked for so far.
func (r *Run) FollowUps() []job.FollowUp { return r.followUps }

// Handler runs executions of a Go task. The error it returns decides what
// happens next: nil is success; RetryAfter(d, err) retries at that time;
// Permanent(err) fails without retry; any other error follows the job's
// retry policy. A panic is a failure with the panic's message.
type Handler interface {
	Run(ctx context.Context, run *Run) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, run *Run) error

// Run calls f.
func (f HandlerFunc) Run(ctx context.Context, run *Run) error { return f(ctx, run) }

// SuccessHook is implemented by handlers that want to know when an
// execution succeeded. It is called once per execution.
type SuccessHook interface {
	OnSuccess(ctx context.Context, run *Run)
}

// FailHook is implemented by handlers that want to know when an execution
// failed for good (no retry follows). It is called once per execution.
type FailHook interface {
	OnFail(ctx context.Context, run *Run, err error)
}

// AbortHook is implemented by handlers that want to know when an attempt
// was stopped from outside: cancelled, timed out, or interrupted by the
// worker shutting down. It is called once per stopped attempt.
type AbortHook interface {
	OnAbort(ctx context.Context, run *Run, err error)
}

// RetryAfterError asks for a retry after a delay.
type RetryAfterError struct {
	Delay time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("retry after %s", e.Delay)
	}
	return fmt.Sprintf("retry after %s: %v", e.Delay, e.Err)
}

func (e *RetryAfterError) Unwrap() error { return e.Err }

// RetryAfter returns an error that retries the execution after d,
// regardless of the job's backoff (but within its retries).
func RetryAfter(d time.Duration, err error) error { return &RetryAfterError{Delay: d, Err: err} }

// PermanentError fails an execution without retry.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string {
	if e.Err == nil {
		return "permanent failure"
	}
	return "permanent: " + e.Err.Error()
}

func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent returns an error that fails the execution without retry.
func Permanent(err error) error { return &PermanentError{Err: err} }
