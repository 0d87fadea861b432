package worker

import (
	"context"

	"github.com/jetcron/jetcron/pkg/job"
)

// httpTask runs http tasks; see task_http_run.go and, for the addresses
// it refuses, task_http_guard.go.
type httpTask interface {
	run(ctx context.Context, x *execution) outcome
	// closeIdle closes kept-alive connections (the worker is stopping).
	closeIdle()
}

func (x *execution) runHTTP(ctx context.Context) outcome {
	if x.w.httpRunner == nil {
		return outcome{state: job.StateFailed, err: "this worker does not run http tasks"}
	}
	return x.w.httpRunner.run(ctx, x)
}
