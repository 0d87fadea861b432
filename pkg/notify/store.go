package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// Store reads and writes the delivery records and per-job states of the
// notify bucket. Definitions are written by the API only.
type Store struct {
	KV jetstream.KeyValue
}

// casTries bounds the revision-checked retries of one update.
const casTries = 10

// AppendLog adds deliveries to a sink's log with a revision-checked
// update, retried when another replica wrote it meanwhile.
func (s Store) AppendLog(ctx context.Context, sink string, ds ...Delivery) error {
	key := LogKey(sink)
	for range casTries {
		var l Log
		var rev uint64
		ent, err := s.KV.Get(ctx, key)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
		case err != nil:
			return fmt.Errorf("read deliveries of %s: %w", sink, err)
		default:
			rev = ent.Revision()
			_ = json.Unmarshal(ent.Value(), &l) // a damaged log starts again
		}
		for _, d := range ds {
			l.Add(d)
		}
		data, _ := json.Marshal(l)
		if rev == 0 {
			_, err = s.KV.Create(ctx, key, data)
		} else {
			_, err = s.KV.Update(ctx, key, data, rev)
		}
		if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			continue
		}
		if err != nil {
			return fmt.Errorf("record deliveries of %s: %w", sink, err)
		}
		return nil
	}
	return fmt.Errorf("record deliveries of %s: the log kept changing", sink)
}

// Log returns a sink's last deliveries, oldest first.
func (s Store) Log(ctx context.Context, sink string) ([]Delivery, error) {
	ent, err := s.KV.Get(ctx, LogKey(sink))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read deliveries of %s: %w", sink, err)
	}
	var l Log
	if err := json.Unmarshal(ent.Value(), &l); err != nil {
		return nil, fmt.Errorf("deliveries of %s are stored damaged: %w", sink, err)
	}
	return l.Deliveries, nil
}

// State returns what a sink last handled about a job, and the revision to
// update it at (zero when there is none yet).
func (s Store) State(ctx context.Context, sink, job string) (State, uint64, error) {
	ent, err := s.KV.Get(ctx, StateKey(sink, job))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return State{}, 0, nil
	}
	if err != nil {
		return State{}, 0, fmt.Errorf("read state of %s/%s: %w", sink, job, err)
	}
	var st State
	_ = json.Unmarshal(ent.Value(), &st) // a damaged state starts again
	return st, ent.Revision(), nil
}

// States calls fn with every state of a sink and its revision, in one
// pass over the bucket (a watch that ends once it has delivered what is
// stored), until fn returns false: a million states are one stream of
// messages, not a million reads. A damaged state is passed as the zero
// State.
func (s Store) States(ctx context.Context, sink string, fn func(job string, st State, rev uint64) bool) error {
	w, err := s.KV.Watch(ctx, SinkStateKeys(sink), jetstream.IgnoreDeletes())
	if err != nil {
		return fmt.Errorf("read states of %s: %w", sink, err)
	}
	defer func() { _ = w.Stop() }()
	prefix := strings.TrimSuffix(SinkStateKeys(sink), "*")
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("read states of %s: %w", sink, ctx.Err())
		case ent, ok := <-w.Updates():
			if !ok {
				return fmt.Errorf("read states of %s: the watch ended", sink)
			}
			if ent == nil {
				return nil // every stored state delivered
			}
			var st State
			_ = json.Unmarshal(ent.Value(), &st) // a damaged state starts again
			if !fn(strings.TrimPrefix(ent.Key(), prefix), st, ent.Revision()) {
				return nil
			}
		}
	}
}

// ErrChanged means a revision-checked write lost to another writer.
var ErrChanged = errors.New("changed concurrently")

// PutState writes st if the state is still at rev (zero: if there is
// none); ErrChanged otherwise.
func (s Store) PutState(ctx context.Context, sink, job string, st State, rev uint64) (uint64, error) {
	data, err := json.Marshal(st)
	if err != nil {
		return 0, err
	}
	if rev == 0 {
		rev, err = s.KV.Create(ctx, StateKey(sink, job), data)
	} else {
		rev, err = s.KV.Update(ctx, StateKey(sink, job), data, rev)
	}
	if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return 0, fmt.Errorf("state of %s/%s: %w", sink, job, ErrChanged)
	}
	if err != nil {
		return 0, fmt.Errorf("write state of %s/%s: %w", sink, job, err)
	}
	return rev, nil
}

// Forget removes a deleted sink's log and states.
func (s Store) Forget(ctx context.Context, sink string) error {
	var errs []error
	if err := s.KV.Purge(ctx, LogKey(sink)); err != nil {
		errs = append(errs, err)
	}
	lister, err := s.KV.ListKeysFiltered(ctx, SinkStateKeys(sink))
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	for _, k := range keys {
		if err := s.KV.Purge(ctx, k); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
