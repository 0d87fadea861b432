package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/backfill"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/streamio"
)

// The leader drives the backfills the API stores (see pkg/backfill): a
// goroutine of its own, beside the loop, that touches none of the loop's
// state. It reads the backfills bucket, the jobs bucket (the overlap policy)
// and the runs' events, and writes pending runs, which the loop dispatches
// like any other; it is stopped with the leader run.

const (
	// backfillPoll is how often the leader looks at running backfills.
	backfillPoll = time.Second
	// backfillRewrite is how long a started slot may go without events
	// and without its pending key before its pending run is written again
	// (the leader stopped between marking it and writing it).
	backfillRewrite = 10 * time.Second
	// backfillRetry is how long a run the overlap policy skipped waits
	// before its slot is tried again.
	backfillRetry = 5 * time.Second
)

// backfiller drives the running backfills while its leader run lasts.
type backfiller struct {
	r      *leaderRun
	kv     jetstream.KeyValue // backfills; nil until the bucket exists
	reader *event.Reader
	warned bool
	// running are the running backfills by key, as the bucket's watch
	// delivers them.
	running map[string]backfillEntry
}

type backfillEntry struct {
	rev uint64
	bf  backfill.Backfill
}

// startBackfills starts the leader's backfill driver.
func (r *leaderRun) startBackfills(ctx context.Context) {
	b := &backfiller{r: r, reader: event.NewReader(r.s.nc, r.s.js, r.s.names), running: map[string]backfillEntry{}}
	r.bg.Add(1)
	go func() {
		defer r.bg.Done()
		b.run(ctx)
	}()
}

// run watches the backfills bucket and, while a backfill runs, drives it
// every backfillPoll.
func (b *backfiller) run(ctx context.Context) {
	var updates <-chan jetstream.KeyValueEntry
	for {
		if updates == nil {
			if w, err := b.watch(ctx); err == nil {
				// Not waited for: stopping asks the server to delete the
				// consumer, which takes the request's timeout on a stream
				// without quorum, and the term must end at once.
				defer func() { go func() { _ = w.Stop() }() }()
				updates = w.Updates()
			}
		}
		var tick <-chan time.Time
		var stop func() bool
		if updates == nil || len(b.running) > 0 {
			t := b.r.s.cfg.Clock.NewTimer(backfillPoll)
			tick, stop = t.C(), t.Stop
		}
		select {
		case <-ctx.Done():
			if stop != nil {
				stop()
			}
			return
		case ent, ok := <-updates:
			if !ok {
				updates = nil
				continue
			}
			b.changed(ent)
		case <-tick:
			for key, e := range b.running {
				if err := b.drive(ctx, key, e.rev, e.bf); err != nil && ctx.Err() == nil {
					b.r.log.WarnContext(ctx, "backfill step failed; trying again", "backfill", key, "error", err)
				}
			}
		}
		if stop != nil {
			stop()
		}
	}
}

// watch opens the bucket (it may not exist on an installation not ensured
// since backfills came) and watches it.
func (b *backfiller) watch(ctx context.Context) (jetstream.KeyWatcher, error) {
	if b.kv == nil {
		kv, err := b.r.s.js.KeyValue(ctx, b.r.s.names.BackfillsBucket())
		if err != nil {
			if !b.warned && ctx.Err() == nil {
				b.r.log.WarnContext(ctx, "no backfills bucket; backfills wait for `jetcron admin ensure`", "error", err)
				b.warned = true
			}
			return nil, err
		}
		b.kv = kv
	}
	return b.kv.WatchAll(ctx)
}

// changed applies a change of the backfills bucket.
func (b *backfiller) changed(ent jetstream.KeyValueEntry) {
	if ent == nil {
		return // the initial values are all delivered
	}
	var bf backfill.Backfill
	if ent.Operation() != jetstream.KeyValuePut || json.Unmarshal(ent.Value(), &bf) != nil ||
		bf.State != backfill.StateRunning || backfill.Key(bf.Job, bf.ID) != ent.Key() {
		delete(b.running, ent.Key())
		return
	}
	b.running[ent.Key()] = backfillEntry{rev: ent.Revision(), bf: bf}
}

// drive records the runs of bf that ended, starts waiting slots up to its
// limit, and writes their pending runs once the record says so.
func (b *backfiller) drive(ctx context.Context, key string, rev uint64, bf backfill.Backfill) error {
	bf.Slots = slices.Clone(bf.Slots) // the running map keeps its own
	now := b.r.now()
	spec, err := b.spec(ctx, bf.Job)
	if errors.Is(err, job.ErrNotFound) {
		bf.State, bf.Reason = backfill.StateCancelled, "the job was deleted"
		return b.update(ctx, key, rev, bf, nil)
	}
	if err != nil {
		return err
	}
	limit := bf.MaxParallel
	if spec.Overlap != job.OverlapAllow {
		limit = 1 // one run at a time, or the policy would skip or replace them
	}
	changed, inflight := false, 0
	var rewrite []backfill.Slot
	for i := range bf.Slots {
		sl := &bf.Slots[i]
		if sl.Status != backfill.SlotStarted {
			continue
		}
		x, err := b.reader.Get(ctx, sl.ExecutionID)
		switch {
		case err == nil && x.State == job.StateSkipped:
			// The overlap policy skipped it: the slot is tried again, under
			// the next generation's ID, a moment later.
			retry := now.Add(backfillRetry)
			sl.Gen++
			sl.ExecutionID = job.BackfillExecutionID(bf.Job, sl.Slot, sl.Gen)
			sl.Status, sl.StartedAt = backfill.SlotWaiting, &retry
			changed = true
		case err == nil && x.State.Final():
			sl.Status, sl.Result = backfill.SlotEnded, x.State
			changed = true
		case errors.Is(err, job.ErrNotFound):
			inflight++
			if sl.StartedAt != nil && now.Sub(*sl.StartedAt) > backfillRewrite {
				if _, gerr := b.r.pending.kv.Get(ctx, sl.ExecutionID); errors.Is(gerr, jetstream.ErrKeyNotFound) {
					rewrite = append(rewrite, *sl)
				}
			}
		case err != nil:
			return err
		default:
			inflight++
		}
	}
	if spec.Overlap != job.OverlapAllow && inflight == 0 && b.jobBusy(ctx, spec) {
		// A run of the job is on the work stream: a backfill run now would
		// wait in the job's one waiting place (delay), be skipped (skip) or
		// cancel it (replace). Start when the job is idle.
		limit = 0
	}
	var start []backfill.Slot
	for i := range bf.Slots {
		sl := &bf.Slots[i]
		if inflight >= limit {
			break
		}
		if sl.Status != backfill.SlotWaiting || (sl.StartedAt != nil && sl.StartedAt.After(now)) {
			continue
		}
		at := now
		sl.Status, sl.StartedAt = backfill.SlotStarted, &at
		start = append(start, *sl)
		inflight++
		changed = true
	}
	if bf.Counts()[backfill.SlotEnded] == len(bf.Slots) {
		bf.State, changed = backfill.StateDone, true
	}
	if changed {
		// The record first: a run is written only once the record says it
		// started, so a new leader knows of every run this one writes.
		if err := b.update(ctx, key, rev, bf, start); err != nil {
			return err
		}
	}
	for _, sl := range rewrite {
		b.writePending(ctx, bf.Job, sl)
	}
	return nil
}

// update writes bf with a revision check, then the pending runs of the
// slots it started. A conflict (the API cancelled it, another leader moved
// it) ends the step: the watch brings the new value for the next round.
func (b *backfiller) update(ctx context.Context, key string, rev uint64, bf backfill.Backfill, start []backfill.Slot) error {
	value, _ := json.Marshal(bf)
	newRev, err := b.kv.Update(ctx, key, value, rev)
	if err != nil {
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return nil
		}
		return err
	}
	// Until the watch delivers it, the next round drives the value written.
	if bf.State == backfill.StateRunning {
		b.running[key] = backfillEntry{rev: newRev, bf: bf}
	} else {
		delete(b.running, key)
	}
	for _, sl := range start {
		b.writePending(ctx, bf.Job, sl)
	}
	if bf.State != backfill.StateRunning {
		b.r.log.InfoContext(ctx, "backfill ended", "backfill", key, "state", bf.State, "reason", bf.Reason)
	}
	return nil
}

// writePending writes a slot's run as a pending run due now, under its
// deterministic ID: written twice, it is stored once.
func (b *backfiller) writePending(ctx context.Context, jobName string, sl backfill.Slot) {
	now := b.r.now()
	p := job.Pending{ID: sl.ExecutionID, Job: jobName, At: now, Slot: sl.Slot, Trigger: job.TriggerBackfill, CreatedAt: now}
	value, _ := json.Marshal(p)
	if _, err := b.r.pending.kv.Create(ctx, p.ID, value); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
		b.r.log.WarnContext(ctx, "backfill run not written; it will be written again", "execution_id", p.ID, "error", err)
	}
}

// spec reads a job's definition from the jobs bucket.
func (b *backfiller) spec(ctx context.Context, name string) (job.Spec, error) {
	ent, err := b.r.jobs.kv.Get(ctx, name)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return job.Spec{}, job.ErrNotFound
	}
	if err != nil {
		return job.Spec{}, err
	}
	var spec job.Spec
	if err := json.Unmarshal(ent.Value(), &spec); err != nil {
		return job.Spec{}, err
	}
	return spec, nil
}

// jobBusy reports whether a run of the job is on the work stream (waiting
// for a worker or running); an error counts as running, to wait a round.
func (b *backfiller) jobBusy(ctx context.Context, spec job.Spec) bool {
	for _, filter := range b.r.s.names.WorkJobFilter(spec.Queue, spec.Name) {
		msgs, err := streamio.DirectBatch(ctx, b.r.s.nc, streamio.DirectRequest{Stream: b.r.s.names.WorkStream(), Filter: filter, Batch: 1})
		if err != nil || len(msgs) > 0 {
			return true
		}
	}
	return false
}
