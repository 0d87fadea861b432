package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/streamio"
	"github.com/jetcron/jetcron/pkg/wirejson"
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
	// written is when each entry loaded was last stored, for the
	// takeover's recoverTail (recover.go), which frees it.
	written map[string]time.Time
}

func newStateStore(kv jetstream.KeyValue, term uint64) *stateStore {
	return &stateStore{kv: kv, term: term, entries: map[string]*stateEntry{}, dirty: map[string]bool{}, deleted: map[string]bool{}, written: map[string]time.Time{}}
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
			if err := wirejson.Unmarshal(ent.Value(), &rt); err != nil {
				// A damaged state entry: start the job from now rather than
				// stop the scheduler; the claims layer stops duplicates.
				rt = job.Runtime{}
			}
			st.entries[ent.Key()] = &stateEntry{rt: rt, rev: ent.Revision()}
			st.written[ent.Key()] = ent.Created()
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

// peek returns a job's runtime state (zero if it has none) without
// creating an entry: a job that never fired keeps none.
func (st *stateStore) peek(name string) job.Runtime {
	if e, ok := st.entries[name]; ok {
		return e.rt
	}
	return job.Runtime{}
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

// A flush writes every dirty entry with a revision check, in three steps
// so that the leader's loop need not wait for the server: take (in the
// loop) moves the dirty entries' values into a flushBatch, send (anywhere;
// it touches nothing of the store's maps) writes them, settle (in the loop
// again) records the new revisions and marks dirty again what failed.
//
// send writes all of them as atomic batches of revision-checked updates
// (one fsync per thousand cursors, several batches in flight; a few
// cursors one by one: streamio.Pipelined), then, for the entries of a
// batch the stream refused, one at a time. A conflict is re-read: if a newer term
// wrote it, the write fails with errStale; otherwise (our own write whose
// answer was lost, a lagging read) the newer cursor wins and the write is
// retried.
type flushBatch struct {
	writes  []stateWrite
	deletes []stateDelete
	// purges are pending keys to remove once the batch is stored
	// (pendingRuns.afterFlush).
	purges []string
}

// stateWrite is one entry of a flush: the value taken and the revision it
// expects, and what became of it.
type stateWrite struct {
	name string
	e    *stateEntry // the entry it was taken from
	rt   job.Runtime // its value (a delayed run is never changed in place, only replaced)
	data []byte      // rt encoded
	rev  uint64

	newRev uint64
	err    error
}

// stateDelete is one deleted entry of a flush and what became of it.
type stateDelete struct {
	name string
	err  error
}

// take moves every dirty and deleted entry into a batch.
func (st *stateStore) take() *flushBatch {
	b := &flushBatch{}
	for n := range st.dirty {
		if e := st.entries[n]; e != nil {
			e.rt.Term = st.term
			data, _ := json.Marshal(e.rt)
			b.writes = append(b.writes, stateWrite{name: n, e: e, rt: e.rt, data: data, rev: e.rev})
		}
	}
	for n := range st.deleted {
		b.deletes = append(b.deletes, stateDelete{name: n})
	}
	clear(st.dirty)
	clear(st.deleted)
	return b
}

// send writes a batch taken from st. It reads only st's bucket and term,
// so it may run while the loop goes on.
func (st *stateStore) send(ctx context.Context, nc *nats.Conn, js jetstream.JetStream, b *flushBatch) {
	msgs := make([]*nats.Msg, len(b.writes))
	for i := range b.writes {
		w := &b.writes[i]
		m := nats.NewMsg("$KV." + st.kv.Bucket() + "." + w.name)
		m.Data = w.data
		m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(w.rev, 10))
		msgs[i] = m
	}
	acks := streamio.Pipelined(ctx, nc, js, msgs)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(64)
	for i, a := range acks {
		w := &b.writes[i]
		if a.Err == nil {
			w.newRev = a.Seq
			continue
		}
		g.Go(func() error {
			w.newRev, w.err = st.write(gctx, w.name, w.data, w.rev, w.rt)
			return w.err
		})
	}
	for i := range b.deletes {
		d := &b.deletes[i]
		g.Go(func() error {
			err := st.kv.Purge(gctx, d.name)
			if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
				d.err = fmt.Errorf("delete state of %s: %w", d.name, err)
			}
			return d.err
		})
	}
	_ = g.Wait() // each write and delete keeps its own error
}

// settle records a sent batch: the new revision of every entry written;
// every entry whose write failed is dirty again, unless its job was deleted
// meanwhile, and then its key is deleted (as is that of a job deleted while
// its write was in flight); a deletion that failed is tried again unless the
// job was created again. It returns the first error, errStale above all.
func (st *stateStore) settle(b *flushBatch) error {
	var first error
	fail := func(err error) {
		if first == nil || (errors.Is(err, errStale) && !errors.Is(first, errStale)) {
			first = err
		}
	}
	for _, w := range b.writes {
		current := st.entries[w.name] == w.e
		if w.err == nil {
			// A later write of this entry expects the new revision.
			w.e.rev = w.newRev
		} else {
			fail(w.err)
			if current {
				st.dirty[w.name] = true
			}
		}
		if _, ok := st.entries[w.name]; !ok {
			// Deleted meanwhile, perhaps before this write created the key
			// (remove knew no revision then; a write that failed may have
			// been stored all the same): delete it now. A job created again
			// meanwhile has a new entry, whose write finds the key through
			// its conflict check.
			st.deleted[w.name] = true
		}
	}
	for _, d := range b.deletes {
		if d.err == nil {
			continue
		}
		fail(d.err)
		if _, ok := st.entries[d.name]; !ok {
			st.deleted[d.name] = true
		}
	}
	return first
}

// flush takes, sends and settles every dirty entry, waiting for the server.
func (st *stateStore) flush(ctx context.Context, nc *nats.Conn, js jetstream.JetStream) error {
	b := st.take()
	st.send(ctx, nc, js, b)
	return st.settle(b)
}

// write writes one entry's value rt (encoded as data) expecting revision
// rev, resolving conflicts as flushBatch's doc says.
func (st *stateStore) write(ctx context.Context, name string, data []byte, rev uint64, rt job.Runtime) (uint64, error) {
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
		_ = wirejson.Unmarshal(cur.Value(), &other)
		if other.Term > st.term {
			return 0, fmt.Errorf("state of %s written in term %d (ours %d): %w", name, other.Term, st.term, errStale)
		}
		rev = cur.Revision()
		if other.LastSlot.After(rt.LastSlot) {
			// Keep the newer cursor: never move a cursor backwards.
			merged := rt
			merged.LastSlot = other.LastSlot
			merged.Fired = max(merged.Fired, other.Fired)
			data, _ = json.Marshal(merged)
		}
	}
}
