package worker

import (
	"context"

	"github.com/jetcron/jetcron/pkg/job"
)

// httpTask runs http tasks; see task_http_*.go.
type httpTask interface {
	run(ctx context.Context, x *execution) outcome
}

func (x *execution) runHTTP(ctx context.Context) outcome {
	if x.w.httpRunner == nil {
		return outcome{state: job.StateFailed, err: "this worker does not run http tasks"}
	}
	return x.w.httpRunner.run(ctx, x)
}
