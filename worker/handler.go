package worker

import (
	"context"
	"errors"
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

	followUps []job.FollowUp
}

// FollowUp asks for another run when this one ends: of Job (empty: this
// job), at At or after Delay, with Params.
func (r *Run) FollowUp(f job.FollowUp) { r.followUps = append(r.followUps, f) }

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
	return fmt.Sprintf("retry after %s: %v", e.Delay, e.Err)
}

func (e *RetryAfterError) Unwrap() error { return e.Err }

// RetryAfter returns an error that retries the execution after d,
// regardless of the job's backoff (but within its retries).
func RetryAfter(d time.Duration, err error) error { return &RetryAfterError{Delay: d, Err: err} }

// PermanentError fails an execution without retry.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return "permanent: " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent returns an error that fails the execution without retry.
func Permanent(err error) error { return &PermanentError{Err: err} }

// errPanic wraps a handler panic.
var errPanic = errors.New("handler panicked")
