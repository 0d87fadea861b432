package event

import (
	"context"
	"fmt"
	"time"

	"github.com/jetcron/jetcron/pkg/streamio"
)

// EachSince calls fn with every event (of every job) stored at or after
// since, in stream order, until fn returns false. It starts through the
// stream's time index, so its cost is that of the events in the window,
// and returns the stream sequence of the last message it read (0 when it
// read none): a follower started after it continues from there.
func (r *Reader) EachSince(ctx context.Context, since time.Time, fn func(Event) bool) (uint64, error) {
	req := streamio.DirectRequest{Stream: r.names.EventsStream(), Filter: r.names.EventSubjects(), StartTime: since}
	if since.IsZero() {
		req.Seq = 1
	}
	var last uint64
	for {
		req.Batch = readBatch
		msgs, err := streamio.DirectBatch(ctx, r.nc, req)
		if err != nil {
			return last, fmt.Errorf("events since %s: %w", since.UTC().Format(time.RFC3339), err)
		}
		for _, m := range msgs {
			last = m.Seq
			e, ok, err := DecodeMsg(m.Subject, m.Data)
			if err != nil || !ok {
				continue
			}
			e.Seq = m.Seq
			if !fn(e) {
				return last, nil
			}
		}
		if len(msgs) < req.Batch {
			return last, nil
		}
		req.Seq, req.StartTime = last+1, time.Time{}
	}
}
