package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/streamio"
)

// errStale means another leader wrote a job's state after us: we must stop.
var errStale = errors.New("a newer leader wrote the state")

// stateEntry is a job's runtime state and the KV revision it was read or
// written at (0: the key does not exist).
type stateEntry struct {
	rt  job.Runtime
	rev uint64
}

// stateStore holds every job's runtime state for the leader loop and
// writes changed entries back with revision checks.
type stateStore struct {
	kv      jetstream.KeyValue
	term    uint64
	entries map[string]*stateEntry
	dirty   map[string]bool
	deleted map[string]bool
}

func newStateStore(kv jetstream.KeyValue, term uint64) *stateStore {
	return &stateStore{kv: kv, term: term, entries: map[string]*stateEntry{}, dirty: map[string]bool{}, deleted: map[string]bool{}}
}

// load reads every key with its revision (a watch delivers the latest
// revision of each key, then a marker).
func (st *stateStore) load(ctx context.Context) error {
	w, err := st.kv.WatchAll(ctx)
	if err != nil {
		return fmt.Errorf("load state: %w", err)
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ent, ok := <-w.Updates():
			if !ok {
				return fmt.Errorf("load state: watch ended")
			}
			if ent == nil {
				return nil
			}
			if ent.Operation() != jetstream.KeyValuePut {
				delete(st.entries, ent.Key())
				continue
			}
			var rt job.Runtime
			if err := json.Unmarshal(ent.Value(), &rt); err != nil {
				// A damaged state entry: start the job from now rather than
				// stop the scheduler; the claims layer stops duplicates.
				rt = job.Runtime{}
			}
			st.entries[ent.Key()] = &stateEntry{rt: rt, rev: ent.Revision()}
		}
	}
}

// get returns the entry of a job, creating an empty one.
func (st *stateStore) get(name string) *stateEntry {
	e, ok := st.entries[name]
	if !ok {
		e = &stateEntry{}
		st.entries[name] = e
	}
	return e
}

func (st *stateStore) markDirty(name string) {
	st.dirty[name] = true
	delete(st.deleted, name)
}

func (st *stateStore) remove(name string) {
	if e, ok := st.entries[name]; ok && e.rev > 0 {
		st.deleted[name] = true
	}
	delete(st.entries, name)
	delete(st.dirty, name)
}

func (st *stateStore) pending() bool { return len(st.dirty) > 0 || len(st.deleted) > 0 }

// flush writes every dirty entry with a revision check: all of them as
// atomic batches of revision-checked updates (one fsync per thousand
// cursors), then, for the entries of a batch the stream refused, one at a
// time. A conflict is re-read: if a newer term wrote it, flush returns
// errStale; otherwise (our own write whose answer was lost, a lagging
// read) the newer cursor wins and the write is retried.
func (st *stateStore) flush(ctx context.Context, nc *nats.Conn, js jetstream.JetStream) error {
	names := make([]string, 0, len(st.dirty))
	msgs := make([]*nats.Msg, 0, len(st.dirty))
	for n := range st.dirty {
		e := st.entries[n]
		if e == nil {
			continue
		}
		e.rt.Term = st.term
		data, _ := json.Marshal(e.rt)
		m := nats.NewMsg("$KV." + st.kv.Bucket() + "." + n)
		m.Data = data
		m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(e.rev, 10))
		names = append(names, n)
		msgs = append(msgs, m)
	}
	acks := streamio.PublishAll(ctx, nc, js, msgs)
	var mu sync.Mutex // guards the entries' rev fields written below
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(64)
	for i, a := range acks {
		e := st.entries[names[i]]
		if a.Err == nil {
			e.rev = a.Seq
			continue
		}
		name, data, rev := names[i], msgs[i].Data, e.rev
		g.Go(func() error {
			newRev, err := st.write(gctx, name, data, rev, e)
			if err != nil {
				return err
			}
			mu.Lock()
			e.rev = newRev
			mu.Unlock()
			return nil
		})
	}
	for name := range st.deleted {
		g.Go(func() error {
			err := st.kv.Purge(gctx, name)
			if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
				return fmt.Errorf("delete state of %s: %w", name, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	clear(st.dirty)
	clear(st.deleted)
	return nil
}

func (st *stateStore) write(ctx context.Context, name string, data []byte, rev uint64, e *stateEntry) (uint64, error) {
	for attempt := 0; ; attempt++ {
		var newRev uint64
		var err error
		if rev == 0 {
			newRev, err = st.kv.Create(ctx, name, data)
		} else {
			newRev, err = st.kv.Update(ctx, name, data, rev)
		}
		if err == nil {
			return newRev, nil
		}
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) && !errors.Is(err, jetstream.ErrKeyExists) {
			return 0, fmt.Errorf("write state of %s: %w", name, err)
		}
		if attempt >= 3 {
			return 0, fmt.Errorf("write state of %s: %w", name, err)
		}
		cur, gerr := st.kv.Get(ctx, name)
		if gerr != nil {
			if errors.Is(gerr, jetstream.ErrKeyNotFound) || errors.Is(gerr, jetstream.ErrKeyDeleted) {
				rev = 0
				continue
			}
			return 0, fmt.Errorf("re-read state of %s: %w", name, gerr)
		}
		var other job.Runtime
		_ = json.Unmarshal(cur.Value(), &other)
		if other.Term > st.term {
			return 0, fmt.Errorf("state of %s written in term %d (ours %d): %w", name, other.Term, st.term, errStale)
		}
		rev = cur.Revision()
		if other.LastSlot.After(e.rt.LastSlot) {
			// Keep the newer cursor: never move a cursor backwards.
			merged := e.rt
			merged.LastSlot = other.LastSlot
			merged.Fired = max(merged.Fired, other.Fired)
			data, _ = json.Marshal(merged)
		}
	}
}
