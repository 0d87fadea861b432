package event

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jetcron/jetcron/pkg/streamio"
)

// ErrTooManyEvents means a read stopped at its bound.
var ErrTooManyEvents = errors.New("too many events")

// JobEventsSince returns a job's events (its executions' and its own)
// stored at or after since, in stream order. It starts at since through
// the stream's time index, so its cost is that of the job's events in the
// window, not of the stream; it fails with ErrTooManyEvents past limit.
func (r *Reader) JobEventsSince(ctx context.Context, jobName string, since time.Time, limit int) ([]Event, error) {
	req := streamio.DirectRequest{Filter: r.names.JobEventsFilter(jobName), StartTime: since}
	if since.IsZero() {
		req.Seq = 1
	}
	out, err := r.read(ctx, req, 0, limit)
	if errors.Is(err, ErrTooManyEvents) {
		return nil, fmt.Errorf("events of job %s since %s: more than %d: %w", jobName, since.UTC().Format(time.RFC3339), limit, err)
	}
	if err != nil {
		return nil, fmt.Errorf("events of job %s: %w", jobName, err)
	}
	return out, nil
}
