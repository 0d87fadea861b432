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
	filter := r.names.JobEventsFilter(jobName)
	req := streamio.DirectRequest{Stream: r.names.EventsStream(), Filter: filter, StartTime: since, Batch: readBatch}
	if since.IsZero() {
		req.Seq = 1
	}
	var out []Event
	for {
		msgs, err := streamio.DirectBatch(ctx, r.nc, req)
		if err != nil {
			return nil, fmt.Errorf("events of job %s: %w", jobName, err)
		}
		for _, m := range msgs {
			e, ok, err := DecodeMsg(m.Subject, m.Data)
			if err != nil || !ok {
				continue // not ours to interpret: skip, as every reader does
			}
			e.Seq = m.Seq
			out = append(out, e)
		}
		if len(out) > limit {
			return nil, fmt.Errorf("events of job %s since %s: more than %d: %w", jobName, since.UTC().Format(time.RFC3339), limit, ErrTooManyEvents)
		}
		if len(msgs) < req.Batch {
			return out, nil
		}
		req.Seq, req.StartTime = msgs[len(msgs)-1].Seq+1, time.Time{}
	}
}
