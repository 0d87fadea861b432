package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/claim"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/schedule"
)

// A run's window and checkpoint: every attempt gets the previous slot of
// its job's schedule, the job's last successful slot and the checkpoint
// value the last success left (the checkpoints bucket, key = job name).
// A successful attempt writes its slot and, if the run set one, a new
// value: a command or script writes the file named by
// JETCRON_CHECKPOINT_FILE, a Go handler calls Run.SetCheckpoint. Only jobs
// that keep a checkpoint pay for it: a success writes the bucket when its
// run set a value or the job has an entry already (a job opts in the first
// time a run sets one, even empty), so a job that never does adds no write
// to its executions' path, which is bound by its writes. The write
// is revision-checked and never replaces a newer success
// (job.Checkpoint.Supersedes), and only an attempt that still holds its
// execution's claim makes it. A write that fails fails the attempt
// (retryable): the next run must not get a window that skips this one.
//
// Why a bucket of its own, written by workers, and not the state bucket
// with the leader's cursors: the state is written only by the leader, in
// batches of revision-checked updates fenced by its term, and a write by
// anyone else is a conflict that makes it re-read and, from another term,
// step down. And the leader learns of a success from the events feed,
// asynchronously: a run it publishes right after its job's previous one
// ended could get a checkpoint one success behind. The attempt reads the
// bucket when it starts, after every success recorded before it (a
// success writes the bucket before its final event and its ack).

// checkpointFile is the name, in the run directory, of the file a run
// writes its new checkpoint to (JETCRON_CHECKPOINT_FILE).
const checkpointFile = "jetcron-checkpoint"

// runWindow is what an attempt knows of its job's previous runs.
type runWindow struct {
	prevSlot time.Time
	cp       *job.Checkpoint // nil: no success recorded yet
	rev      uint64          // of cp in the bucket; 0 when there is none
}

// loadWindow reads the job's checkpoint and computes the previous slot.
func (x *execution) loadWindow(ctx context.Context) error {
	win := &runWindow{prevSlot: prevSlot(x.work.Spec.Schedule, x.work.ScheduledAt)}
	cp, rev, err := readCheckpoint(ctx, x.w.checkpoints, x.work.Job)
	if err != nil {
		return err
	}
	win.cp, win.rev = cp, rev
	x.window = win
	return nil
}

// readCheckpoint reads a job's checkpoint; nil and 0 when it has none.
func readCheckpoint(ctx context.Context, kv jetstream.KeyValue, name string) (*job.Checkpoint, uint64, error) {
	gctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ent, err := kv.Get(gctx, name)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read the checkpoint of job %s: %w", name, err)
	}
	var cp job.Checkpoint
	if err := json.Unmarshal(ent.Value(), &cp); err != nil {
		// A damaged entry: the job starts over rather than never run.
		return nil, ent.Revision(), nil
	}
	return &cp, ent.Revision(), nil
}

// prevSlot is the last slot of sc before t (zero when none is known).
func prevSlot(sc job.Schedule, t time.Time) time.Time {
	compiled, err := sc.Compile()
	if err != nil {
		return time.Time{}
	}
	return schedule.Prev(compiled, t)
}

// windowEnv adds the window's variables to a process run's environment.
func (x *execution) windowEnv(vars map[string]string, dir string) {
	vars["JETCRON_CHECKPOINT_FILE"] = filepath.Join(dir, checkpointFile)
	vars["JETCRON_PREV_SLOT"], vars["JETCRON_LAST_SUCCESS_SLOT"], vars["JETCRON_CHECKPOINT"] = "", "", ""
	if x.window == nil {
		return
	}
	if !x.window.prevSlot.IsZero() {
		vars["JETCRON_PREV_SLOT"] = x.window.prevSlot.UTC().Format(time.RFC3339)
	}
	if cp := x.window.cp; cp != nil {
		if !cp.LastSuccessSlot.IsZero() {
			vars["JETCRON_LAST_SUCCESS_SLOT"] = cp.LastSuccessSlot.UTC().Format(time.RFC3339)
		}
		vars["JETCRON_CHECKPOINT"] = cp.Value
	}
}

// readCheckpointFile reads the checkpoint a process run wrote, if it wrote
// one; too large or not text is an error that fails the run.
func readCheckpointFile(dir string) (*string, error) {
	data, err := readRunFile(filepath.Join(dir, checkpointFile), job.MaxCheckpointBytes+1)
	if err != nil {
		return nil, nil // not written: the checkpoint stays as it is
	}
	v := string(data)
	if err := job.ValidateCheckpointValue(v); err != nil {
		if len(data) > job.MaxCheckpointBytes {
			err = job.Fieldf("checkpoint", "JETCRON_CHECKPOINT_FILE holds more than %d bytes; at most %d are allowed", job.MaxCheckpointBytes, job.MaxCheckpointBytes)
		}
		return nil, err
	}
	return &v, nil
}

// errCheckpointSuperseded means another attempt holds the execution: this
// one writes no checkpoint.
var errCheckpointSuperseded = errors.New("superseded")

// commitCheckpoint writes the checkpoint of a successful attempt: its slot,
// and the value the run set (else the current one).
func (x *execution) commitCheckpoint(ctx context.Context, o *outcome) error {
	if x.window == nil || (o.checkpoint == nil && x.window.rev == 0) {
		return nil // the job keeps no checkpoint
	}
	if !x.holdsClaim(ctx) {
		return errCheckpointSuperseded
	}
	now := x.w.cfg.Clock.Now().UTC()
	cp := job.Checkpoint{LastSuccessSlot: x.work.ScheduledAt.UTC(), Execution: x.work.ID, Attempt: x.attempt, UpdatedAt: now}
	cur, rev := x.window.cp, x.window.rev
	kv := x.w.checkpoints
	for try := 0; ; try++ {
		if !cp.Supersedes(cur) {
			x.log.Info("a newer success holds the checkpoint; leaving it", "checkpoint_execution", cur.Execution)
			return nil
		}
		switch {
		case o.checkpoint != nil:
			cp.Value = *o.checkpoint
		case cur != nil:
			cp.Value = cur.Value
		}
		data, err := json.Marshal(cp)
		if err != nil {
			return fmt.Errorf("encode the checkpoint: %w", err)
		}
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if rev == 0 {
			_, err = kv.Create(wctx, x.work.Job, data)
		} else {
			_, err = kv.Update(wctx, x.work.Job, data, rev)
		}
		cancel()
		if err == nil {
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) && !errors.Is(err, jetstream.ErrKeyExists) || try >= 5 {
			return fmt.Errorf("store the checkpoint of job %s: %w", x.work.Job, err)
		}
		// Another success wrote it meanwhile: read it again and decide anew.
		if cur, rev, err = readCheckpoint(ctx, kv, x.work.Job); err != nil {
			return err
		}
	}
}

// holdsClaim reports whether this attempt still holds its execution: no
// other attempt can have taken it over within a heartbeat interval of this
// delivery or of the last renewal (see stillOurs); later, the claim is
// renewed to find out.
func (x *execution) holdsClaim(ctx context.Context) bool {
	if errors.Is(context.Cause(x.ctx), claim.ErrSuperseded) {
		return false
	}
	every := x.w.heartbeatEvery(x.work.Spec.Queue)
	last := x.received
	if t, ok := x.renewedAt.Load().(time.Time); ok && t.After(last) {
		last = t
	}
	if !last.IsZero() && x.w.cfg.Clock.Since(last) < every {
		return true
	}
	x.claimMu.Lock()
	defer x.claimMu.Unlock()
	rctx, cancel := context.WithTimeout(ctx, every)
	defer cancel()
	return !errors.Is(x.claim.Renew(rctx, x.w.cfg.Clock.Now()), claim.ErrSuperseded)
}
