// Package catalog follows a KV bucket — the job definitions, or the pending
// runs — and hands every change to the scheduler's leader loop as a typed
// value: a definition that is valid, one that is not (with the reason), or
// a deletion. Invalid definitions never stop the watch.
package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/wirejson"
)

// Change is one change of a key.
type Change[T any] struct {
	// Key is the KV key.
	Key string
	// Value is the decoded value; nil when the key was deleted or Err is set.
	Value *T
	// Revision is the KV revision of the change.
	Revision uint64
	// At is when the bucket stored the change.
	At time.Time
	// Err says why the value could not be used.
	Err error
	// Synced marks the end of the initial values; Key is empty.
	Synced bool
}

// Decoder turns a KV value into T or explains why it is not acceptable.
type Decoder[T any] func(key string, data []byte) (*T, error)

// EntryDecoder is a Decoder that also reads the entry's revision and time.
type EntryDecoder[T any] func(ent jetstream.KeyValueEntry) (*T, error)

// Watch follows every key of kv and sends its changes on the returned
// channel, first the current values, then Synced, then updates. The
// channel closes when ctx ends or the watch fails (the error is sent first
// as a Change with Err and an empty Key).
func Watch[T any](ctx context.Context, kv jetstream.KeyValue, decode Decoder[T]) (<-chan Change[T], error) {
	return WatchEntries(ctx, kv, func(ent jetstream.KeyValueEntry) (*T, error) { return decode(ent.Key(), ent.Value()) })
}

// WatchEntries is Watch with a decoder of whole entries.
func WatchEntries[T any](ctx context.Context, kv jetstream.KeyValue, decode EntryDecoder[T]) (<-chan Change[T], error) {
	w, err := kv.WatchAll(ctx)
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", kv.Bucket(), err)
	}
	out := make(chan Change[T], 256)
	go func() {
		// The channel closes first: stopping the watcher asks the server
		// to delete its consumer, which waits for the request's timeout
		// on a stream without quorum, and whoever reads the channel (a
		// leader's term that ends) must not wait for that.
		defer w.Stop()
		defer close(out)
		send := func(c Change[T]) bool {
			select {
			case out <- c:
				return true
			case <-ctx.Done():
				return false
			}
		}
		for ent := range w.Updates() {
			if ent == nil {
				if !send(Change[T]{Synced: true}) {
					return
				}
				continue
			}
			c := Change[T]{Key: ent.Key(), Revision: ent.Revision(), At: ent.Created()}
			if ent.Operation() == jetstream.KeyValuePut {
				c.Value, c.Err = decode(ent)
			}
			if !send(c) {
				return
			}
		}
		if ctx.Err() == nil {
			send(Change[T]{Err: fmt.Errorf("watch %s: ended", kv.Bucket())})
		}
	}()
	return out, nil
}

// DecodeSpec decodes a job definition stored under key and checks it as the
// API did before storing it (job.Spec.Normalize): the jobs bucket is written
// by other roles too, so what it holds is re-checked, never trusted.
func DecodeSpec(key string, data []byte) (*job.Spec, error) {
	s := new(job.Spec)
	if err := wirejson.UnmarshalStrict(data, s); err != nil {
		return nil, fmt.Errorf("not a job definition: %w", err)
	}
	if s.Name != key {
		return nil, fmt.Errorf("name %q does not match its key %q", s.Name, key)
	}
	if err := s.NormalizeInPlace(); err != nil {
		return nil, err
	}
	return s, nil
}

// DecodePending decodes a pending run stored under key.
func DecodePending(key string, data []byte) (*job.Pending, error) {
	var p job.Pending
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("not a pending run: %w", err)
	}
	if p.ID != key {
		return nil, fmt.Errorf("id %q does not match its key %q", p.ID, key)
	}
	if j, _, err := job.ParseExecutionID(p.ID); err != nil || j != p.Job {
		return nil, fmt.Errorf("id %q does not belong to job %q", p.ID, p.Job)
	}
	if p.Cancel != "" {
		// A request to drop a delayed run, which may be a slot.
		return &p, nil
	}
	// A run to start is never a slot: slots come from the schedule alone,
	// and a pending run under a slot's ID would take the slot's place.
	if job.IsSlotID(p.ID) {
		return nil, fmt.Errorf("id %q is a scheduled slot's id; a pending run's id carries a tag", p.ID)
	}
	if p.Trigger.Scheduled() {
		return nil, fmt.Errorf("pending run %q has trigger %q; only the schedule fires slots", p.ID, p.Trigger)
	}
	return &p, nil
}
