package apiservice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/backfill"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/ledger"
)

// MaxBackfillParallel bounds a backfill's runs in flight.
const MaxBackfillParallel = 100

// backfillSkew is how far ahead of now a window's end may be and still mean
// now.
const backfillSkew = 2 * time.Second

// backfills opens the backfills bucket (lazily: an installation whose
// resources predate it answers every other verb).
func (s *Service) backfills(ctx context.Context) (jetstream.KeyValue, error) {
	kv, err := s.js.KeyValue(ctx, s.names.BackfillsBucket())
	if err != nil {
		return nil, fmt.Errorf("backfills bucket %s (run `jetcron admin ensure`): %w: %w", s.names.BackfillsBucket(), api.ErrUnavailable, err)
	}
	return kv, nil
}

// checkBackfill validates a backfill request, naming the field at fault.
func checkBackfill(req *api.BackfillRequest, now time.Time) error {
	if req.Only == "" {
		req.Only = backfill.OnlyMissed
	}
	stamp := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	// A bound a moment ahead of this replica's clock (the caller's "now",
	// another clock) means now.
	if !req.To.IsZero() && req.To.After(now) && !req.To.After(now.Add(backfillSkew)) {
		req.To = now
	}
	switch {
	case req.From.IsZero():
		return job.Fieldf("from", "is required: the first slot to consider")
	case req.To.IsZero():
		return job.Fieldf("to", "is required: the last slot to consider")
	case req.To.Before(req.From):
		return job.Fieldf("to", "%s is before from %s", stamp(req.To), stamp(req.From))
	case req.From.After(now):
		return job.Fieldf("from", "%s is in the future: a backfill runs past slots", stamp(req.From))
	case req.To.After(now):
		return job.Fieldf("to", "%s is in the future: a backfill runs past slots (now is %s)", stamp(req.To), stamp(now))
	case !req.Only.Valid():
		return job.Fieldf("only", "%q is not missed, failed or all", string(req.Only))
	case req.MaxParallel <= 0:
		return job.Fieldf("max_parallel", "must be at least 1, got %d", req.MaxParallel)
	case req.MaxParallel > MaxBackfillParallel:
		return job.Fieldf("max_parallel", "must be at most %d, got %d", MaxBackfillParallel, req.MaxParallel)
	}
	return nil
}

// slotLedger is the ledger of a job's window, as job_audit computes it.
func (s *Service) slotLedger(ctx context.Context, name string, since, until time.Time) (ledger.Ledger, error) {
	revs, _, err := s.history(ctx, name)
	if err != nil {
		return ledger.Ledger{}, err
	}
	q := ledger.Query{Job: name, Since: since, Until: until, Now: s.now()}
	if rt := s.runtime(ctx, name); rt != nil && rt.Completed {
		q.CompletedAfter = rt.LastSlot
	}
	x, err := ledger.Expect(revs, q)
	if errors.Is(err, ledger.ErrTooManySlots) {
		return ledger.Ledger{}, job.Fieldf("from", "%v (narrow the window)", err)
	}
	if err != nil {
		return ledger.Ledger{}, job.Fieldf("from", "%v", err)
	}
	evs, err := s.reader.JobEventsSince(ctx, name, x.From().Add(-auditSkew), auditMaxEvents)
	if errors.Is(err, event.ErrTooManyEvents) {
		return ledger.Ledger{}, job.Fieldf("from", "%v (narrow the window)", err)
	}
	if err != nil {
		return ledger.Ledger{}, fmt.Errorf("backfill %q: %w: %w", name, api.ErrUnavailable, err)
	}
	return ledger.Account(x, evs), nil
}

// jobBackfill answers job_backfill: the slots of the window to run and to
// skip; unless a dry run, it stores the backfill, which the leader drives.
func (s *Service) jobBackfill(ctx context.Context, data []byte) (any, error) {
	var req api.BackfillRequest
	if err := decode(data, &req); err != nil {
		return nil, err
	}
	if err := nameErr(req.Name); err != nil {
		return nil, err
	}
	now := s.now()
	if err := checkBackfill(&req, now); err != nil {
		return nil, err
	}
	spec, _, err := s.load(ctx, req.Name)
	if err != nil {
		return nil, err
	}
	kv, err := s.backfills(ctx)
	if err != nil {
		return nil, err
	}
	all, err := s.listBackfills(ctx, kv, req.Name)
	if err != nil {
		return nil, err
	}
	for _, b := range all {
		if b.State == backfill.StateRunning && b.Overlaps(req.From, req.To) {
			return nil, job.Fieldf("from", "the window %s to %s overlaps backfill %s (%s to %s), which is still running: wait for it or cancel it (job backfill %s --cancel)",
				req.From.UTC().Format(time.RFC3339), req.To.UTC().Format(time.RFC3339), b.ID, b.From.UTC().Format(time.RFC3339), b.To.UTC().Format(time.RFC3339), req.Name)
		}
	}
	l, err := s.slotLedger(ctx, req.Name, req.From, req.To)
	if err != nil {
		return nil, err
	}
	sel := backfill.Select(req.Name, l.Rows, req.Only)
	if len(l.Rows) < l.Slots {
		return nil, job.Fieldf("from", "the window holds %d slots; a backfill looks at most %d (narrow the window)", l.Slots, len(l.Rows))
	}
	if len(sel.Run) > backfill.MaxSlots {
		return nil, job.Fieldf("from", "the window has %d slots to run; a backfill runs at most %d (narrow the window)", len(sel.Run), backfill.MaxSlots)
	}
	resp := api.BackfillResponse{Selection: sel, DryRun: req.DryRun, Parallel: req.MaxParallel}
	if spec.Overlap != job.OverlapAllow {
		resp.Parallel = 1 // the leader runs them one at a time (scheduler/backfill.go)
	}
	if req.DryRun || len(sel.Run) == 0 {
		return resp, nil
	}
	b := backfill.Backfill{
		V: backfill.Version, ID: backfill.ID(req.From, req.To), Job: req.Name, From: req.From.UTC(), To: req.To.UTC(),
		Only: req.Only, MaxParallel: req.MaxParallel, State: backfill.StateRunning, CreatedAt: now, By: callerName(ctx),
	}
	for _, p := range sel.Run {
		b.Slots = append(b.Slots, backfill.Slot{Slot: p.Slot, ExecutionID: p.ExecutionID, Gen: p.Gen, Status: backfill.SlotWaiting})
	}
	// The ID is the window's; a window backfilled before (an ended
	// backfill keeps its record) gets the next free suffix. Create-only:
	// two requests for the same window cannot both start.
	base := b.ID
	for n := 1; ; n++ {
		if n > 1 {
			b.ID = fmt.Sprintf("%s-%d", base, n)
		}
		value, _ := json.Marshal(b)
		_, err := kv.Create(ctx, backfill.Key(req.Name, b.ID), value)
		if err == nil {
			break
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return nil, fmt.Errorf("store backfill %s: %w: %w", b.ID, api.ErrUnavailable, err)
		}
		if n >= 100 {
			return nil, fmt.Errorf("job %q has backfilled this window %d times: %w", req.Name, n, job.ErrConflict)
		}
		old, gerr := kv.Get(ctx, backfill.Key(req.Name, b.ID))
		var ob backfill.Backfill
		if gerr == nil && json.Unmarshal(old.Value(), &ob) == nil && ob.State == backfill.StateRunning {
			return nil, job.Fieldf("from", "backfill %s of the same window is running", b.ID)
		}
	}
	resp.Backfill = &b
	return resp, nil
}

func callerName(ctx context.Context) string {
	c := api.CallerOf(ctx)
	if c.WebUser != "" {
		return c.WebUser + " (web)"
	}
	return c.User
}

// listBackfills returns a job's backfills, newest window first.
func (s *Service) listBackfills(ctx context.Context, kv jetstream.KeyValue, name string) ([]backfill.Backfill, error) {
	w, err := kv.Watch(ctx, name+".*", jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("backfills of %q: %w: %w", name, api.ErrUnavailable, err)
	}
	defer w.Stop()
	var out []backfill.Backfill
	for ent := range w.Updates() {
		if ent == nil {
			break
		}
		var b backfill.Backfill
		if json.Unmarshal(ent.Value(), &b) != nil || b.Job != name {
			continue
		}
		out = append(out, b)
	}
	slices.SortFunc(out, func(a, b backfill.Backfill) int { return b.From.Compare(a.From) })
	return out, nil
}

func (s *Service) jobBackfills(ctx context.Context, data []byte) (any, error) {
	var req api.BackfillsRequest
	if err := decode(data, &req); err != nil {
		return nil, err
	}
	if err := nameErr(req.Name); err != nil {
		return nil, err
	}
	kv, err := s.backfills(ctx)
	if err != nil {
		return nil, err
	}
	out, err := s.listBackfills(ctx, kv, req.Name)
	if out == nil {
		out = []backfill.Backfill{}
	}
	return out, err
}

// jobBackfillCancel marks a job's running backfills (or the one named)
// cancelled, then cancels their runs in flight.
func (s *Service) jobBackfillCancel(ctx context.Context, data []byte) (any, error) {
	var req api.BackfillCancelRequest
	if err := decode(data, &req); err != nil {
		return nil, err
	}
	if err := nameErr(req.Name); err != nil {
		return nil, err
	}
	if err := checkReason(req.Reason); err != nil {
		return nil, err
	}
	reason := req.Reason
	if reason == "" {
		reason = "backfill cancelled"
	}
	kv, err := s.backfills(ctx)
	if err != nil {
		return nil, err
	}
	all, err := s.listBackfills(ctx, kv, req.Name)
	if err != nil {
		return nil, err
	}
	var out []backfill.Backfill
	var ids []string
	for _, b := range all {
		ids = append(ids, b.ID)
		if (req.ID != "" && b.ID != req.ID) || (req.ID == "" && b.State != backfill.StateRunning) {
			continue
		}
		if b.State != backfill.StateRunning {
			return nil, fmt.Errorf("backfill %s of job %q is %s: %w", b.ID, req.Name, b.State, job.ErrConflict)
		}
		cb, err := s.markCancelled(ctx, kv, backfill.Key(req.Name, b.ID), reason)
		if err != nil {
			return nil, err
		}
		for _, sl := range cb.Slots {
			if sl.Status == backfill.SlotEnded && sl.Result == job.StateCancelled {
				s.cancelRun(ctx, sl.ExecutionID, reason)
			}
		}
		out = append(out, cb)
	}
	if len(out) == 0 {
		if req.ID != "" {
			return nil, job.Fieldf("id", "job %q has no backfill %q (backfills: %s)", req.Name, req.ID, strings.Join(ids, ", "))
		}
		return nil, fmt.Errorf("job %q has no running backfill: %w", req.Name, job.ErrNotFound)
	}
	return out, nil
}

// markCancelled sets a backfill's state to cancelled with a revision check.
func (s *Service) markCancelled(ctx context.Context, kv jetstream.KeyValue, key, reason string) (backfill.Backfill, error) {
	for attempt := 0; ; attempt++ {
		ent, err := kv.Get(ctx, key)
		if err != nil {
			return backfill.Backfill{}, fmt.Errorf("backfill %s: %w: %w", key, api.ErrUnavailable, err)
		}
		var b backfill.Backfill
		if err := json.Unmarshal(ent.Value(), &b); err != nil {
			return backfill.Backfill{}, fmt.Errorf("backfill %s is stored damaged: %w", key, err)
		}
		if b.State != backfill.StateRunning {
			return b, nil
		}
		b.State, b.Reason = backfill.StateCancelled, reason
		b.Slots = slices.Clone(b.Slots)
		for i := range b.Slots {
			if b.Slots[i].Status == backfill.SlotStarted {
				// Cancelled next (cancelRun): the record says so now, as no
				// leader updates a cancelled backfill.
				b.Slots[i].Status, b.Slots[i].Result = backfill.SlotEnded, job.StateCancelled
			}
		}
		value, _ := json.Marshal(b)
		_, err = kv.Update(ctx, key, value, ent.Revision())
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) && attempt < 10 {
			continue // the leader marked a slot meanwhile
		}
		if err != nil {
			return backfill.Backfill{}, fmt.Errorf("cancel backfill %s: %w: %w", key, api.ErrUnavailable, err)
		}
		return b, nil
	}
}

// cancelRun cancels one run of a cancelled backfill, as exec cancel does;
// one that has ended needs nothing. A leader writes a slot's pending run
// after the record says it started, so the run may not exist yet, and a
// leader that was writing it writes it anyway: its claim is written
// cancelled now (fence), and whenever it is published, the worker that
// receives it records the cancel instead of running it.
func (s *Service) cancelRun(ctx context.Context, id, reason string) {
	data, _ := json.Marshal(api.CancelRequest{ID: id, Reason: reason})
	_, err := s.cancel(ctx, data)
	if errors.Is(err, job.ErrNotFound) {
		jobName, _, _ := job.ParseExecutionID(id)
		_, err = s.fence(ctx, jobName, id, 0, reason, s.now(), s.cfg.Topology.AckWait, func(context.Context) error { return nil })
		if errors.As(err, new(*heldError)) {
			_, err = s.cancel(ctx, data) // published and claimed meanwhile: its worker stops it
		}
	}
	if err != nil && !errors.Is(err, job.ErrConflict) {
		s.log.WarnContext(ctx, "backfill run not cancelled", "execution_id", id, "error", err)
	}
}
