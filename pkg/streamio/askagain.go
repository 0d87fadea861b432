package streamio

import (
	"context"
	"time"
)

// TryTimeout bounds one request that AskAgain sends.
const TryTimeout = 3 * time.Second

// askAgainFor bounds AskAgain when its context has no deadline.
const askAgainFor = 10 * time.Second

// AskAgain sends a request with try until it gets an answer, fails other
// than by going unanswered (unanswered reports whether err means that), or
// ctx ends; 10s when ctx has no deadline, so never forever. Each try gets
// TryTimeout. A request sent while a stream elects its leader, or to a
// replica that is not current, can go unanswered when asking again would
// be answered at once: it must not be waited for until the caller's
// deadline.
func AskAgain[T any](ctx context.Context, unanswered func(error) bool, try func(context.Context) (T, error)) (T, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, askAgainFor)
		defer cancel()
	}
	for {
		tctx, cancel := context.WithTimeout(ctx, TryTimeout)
		v, err := try(tctx)
		cancel()
		if err == nil || !unanswered(err) || ctx.Err() != nil {
			return v, err
		}
	}
}
