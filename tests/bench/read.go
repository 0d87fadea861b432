package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/streamio"
)

// stored is one work item as the work stream holds it.
type stored struct {
	ID          string
	ScheduledAt time.Time
	// Stored is the stream's store timestamp (Nats-Time-Stamp).
	Stored time.Time
}

// scheduledEvent is one `scheduled` event: when the leader's loop woke to
// fire the slot (Time) and the slot.
type scheduledEvent struct {
	ID          string
	ScheduledAt time.Time
	Time        time.Time
	// Stored is the events stream's store timestamp.
	Stored time.Time
}

// readAll pages through every message of stream matching filter.
func readAll(ctx context.Context, e *env, stream, filter string, each func(streamio.Msg) error) error {
	seq := uint64(1)
	for {
		msgs, err := streamio.DirectBatch(ctx, e.nc, streamio.DirectRequest{Stream: stream, Filter: filter, Seq: seq, Batch: 1000})
		if err != nil {
			return err
		}
		if len(msgs) == 0 {
			return nil
		}
		for _, m := range msgs {
			if err := each(m); err != nil {
				return err
			}
		}
		seq = msgs[len(msgs)-1].Seq + 1
	}
}

// readWork returns every work item in the work stream.
func readWork(ctx context.Context, e *env) ([]stored, error) {
	var out []stored
	err := readAll(ctx, e, e.names.WorkStream(), e.names.WorkSubjects(), func(m streamio.Msg) error {
		var w job.Work
		if err := json.Unmarshal(m.Data, &w); err != nil {
			return fmt.Errorf("work item %d: %w", m.Seq, err)
		}
		if m.Time.IsZero() {
			return fmt.Errorf("work item %d: no store timestamp", m.Seq)
		}
		out = append(out, stored{ID: w.ID, ScheduledAt: w.ScheduledAt, Stored: m.Time})
		return nil
	})
	return out, err
}

// readScheduled returns every `scheduled` event.
func readScheduled(ctx context.Context, e *env) ([]scheduledEvent, error) {
	var out []scheduledEvent
	err := readAll(ctx, e, e.names.EventsStream(), scheduledSubjects(e), func(m streamio.Msg) error {
		ev, ok, err := event.Decode(m.Data)
		if err != nil {
			return fmt.Errorf("event %d: %w", m.Seq, err)
		}
		if !ok || ev.Kind != event.Scheduled || ev.ScheduledAt == nil {
			return nil
		}
		out = append(out, scheduledEvent{ID: ev.Execution, ScheduledAt: *ev.ScheduledAt, Time: ev.Time, Stored: m.Time})
		return nil
	})
	return out, err
}

// scheduledSubjects matches every `scheduled` event.
func scheduledSubjects(e *env) string {
	return e.names.Namespace() + ".events.*.*." + string(event.Scheduled)
}
