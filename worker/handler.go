package worker

import (
	"errors"
	"time"

	"github.com/jetcron/jetcron/pkg/handler"
)

// The Go handler types live in pkg/handler, shared with the client
// (client.OnSchedule); these aliases keep worker.Handler, worker.Run,
// worker.HandlerFunc and the hooks usable from here. See package handler for
// what a handler's error decides and when each hook is called.
type (
	// Run is one attempt of an execution, as a Go handler sees it.
	Run = handler.Run
	// Handler runs executions of a Go task.
	Handler = handler.Handler
	// HandlerFunc adapts a function to Handler.
	HandlerFunc = handler.HandlerFunc
	// SuccessHook is called once when an execution succeeded.
	SuccessHook = handler.SuccessHook
	// FailHook is called once when an execution failed for good.
	FailHook = handler.FailHook
	// AbortHook is called once per attempt stopped from outside.
	AbortHook = handler.AbortHook
	// RetryAfterError asks for a retry after a delay.
	RetryAfterError = handler.RetryAfterError
	// PermanentError fails an execution without retry.
	PermanentError = handler.PermanentError
)

// RetryAfter returns an error that retries the execution after d,
// regardless of the job's backoff (but within its retries).
func RetryAfter(d time.Duration, err error) error { return handler.RetryAfter(d, err) }

// Permanent returns an error that fails the execution without retry.
func Permanent(err error) error { return handler.Permanent(err) }

// errPanic wraps a handler panic.
var errPanic = errors.New("handler panicked")

// MaxRetryAfter caps a delay asked for by RetryAfter or an HTTP
// Retry-After header, so a retry always happens while the execution's
// claim is kept.
const MaxRetryAfter = 12 * time.Hour

// minRetryAfter is the shortest delay of an asked-for retry: zero would
// mean "use the job's backoff" further on.
const minRetryAfter = time.Millisecond
