package retention

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
)

// DefaultFloor is how long after it ended an execution is kept whatever
// its job's retention says: the scheduler's recovery and the watchdog read
// the recent events back (its look-back is 15 minutes), and a slot whose
// events they cannot find would look unaccounted.
const DefaultFloor = time.Hour

// MaxEvents bounds the events one prune of a job reads; a job with more is
// left alone (its events stay until the stream's maximum age) and the
// prune says so.
const MaxEvents = 2_000_000

// Finished is a finished execution as retention sees it.
type Finished struct {
	ID     string    `json:"execution_id"`
	Slot   time.Time `json:"slot"`
	Last   time.Time `json:"-"` // the last slot it covers (a range of missed slots), or Slot
	Ended  time.Time `json:"ended"`
	State  job.State `json:"state"`
	Failed bool      `json:"-"`
	// Fire: a slot of the schedule fired (a scheduled event with trigger
	// schedule or catch-up), one of what a job's completions count.
	Fire bool `json:"-"`
}

// failedStates are the outcomes kept by the failures' limits.
var failedStates = []job.State{job.StateFailed, job.StateTimedOut, job.StateCancelled, job.StateMissed}

// Select returns the executions r lets go at now, oldest first: of each
// kind (failed or not), those beyond the newest N or that ended longer ago
// than the kind's history, except any that ended within floor of now.
func Select(r *job.Retention, execs []Finished, now time.Time, floor time.Duration) []Finished {
	if !r.LimitsExecutions() {
		return nil
	}
	var out []Finished
	for _, failed := range []bool{false, true} {
		n, d := r.ExecutionLimits(failed)
		var kind []Finished
		for _, x := range execs {
			if x.Failed == failed {
				kind = append(kind, x)
			}
		}
		// Newest first: by slot, then ID (IDs of one job sort by slot).
		slices.SortFunc(kind, func(a, b Finished) int { return cmp.Or(b.Slot.Compare(a.Slot), strings.Compare(b.ID, a.ID)) })
		for i, x := range kind {
			if now.Sub(x.Ended) < floor {
				continue
			}
			if n > 0 && i >= n || d > 0 && now.Sub(x.Ended) > d {
				out = append(out, x)
			}
		}
	}
	slices.SortFunc(out, func(a, b Finished) int { return cmp.Or(a.Slot.Compare(b.Slot), strings.Compare(a.ID, b.ID)) })
	return out
}

// Next returns the first instant after now at which Select lets one of
// kept go without another execution ending: its floor or its kind's
// history passed. It is the zero time when none ever goes that way (the
// counts keep them all until newer ones end). Select lets more go as time
// passes, so the first such instant is found by bisecting the instants
// at which one of kept crosses a limit.
func Next(r *job.Retention, kept []Finished, now time.Time, floor time.Duration) time.Time {
	if !r.LimitsExecutions() || len(kept) == 0 {
		return time.Time{}
	}
	var at []time.Time
	for _, x := range kept {
		at = append(at, x.Ended.Add(floor))
		if _, d := r.ExecutionLimits(x.Failed); d > 0 {
			at = append(at, x.Ended.Add(d+time.Nanosecond)) // Select: ended longer ago than d
		}
	}
	at = slices.DeleteFunc(at, func(t time.Time) bool { return !t.After(now) })
	slices.SortFunc(at, time.Time.Compare)
	at = slices.CompactFunc(at, time.Time.Equal)
	i, _ := slices.BinarySearchFunc(at, true, func(t time.Time, _ bool) int {
		if len(Select(r, kept, t, floor)) > 0 {
			return 1 // at or after the first
		}
		return -1
	})
	if i == len(at) {
		return time.Time{}
	}
	return at[i]
}

// FinishedOf folds a job's events (in stream order) into its finished
// executions. Job-level events and unfinished executions are left out,
// and so is an event whose execution is not an execution ID of its job:
// events come from other processes, and the ID becomes a purge's subject
// filter, where a wildcard would delete more than one execution.
func FinishedOf(events []event.Event) []Finished {
	byID := map[string][]event.Event{}
	var order []string
	for _, e := range events {
		if name, _, err := job.ParseExecutionID(e.Execution); err != nil || name != e.Job {
			continue
		}
		if _, ok := byID[e.Execution]; !ok {
			order = append(order, e.Execution)
		}
		byID[e.Execution] = append(byID[e.Execution], e)
	}
	var out []Finished
	for _, id := range order {
		evs := byID[id]
		x := event.Fold(evs)
		if !x.State.Final() {
			continue
		}
		f := Finished{ID: id, Slot: x.ScheduledAt, Last: x.ScheduledAt, Ended: evs[len(evs)-1].Time, State: x.State,
			Failed: slices.Contains(failedStates, x.State)}
		for _, e := range evs {
			if e.Last != nil && e.Last.After(f.Last) {
				f.Last = *e.Last
			}
			if e.Kind == event.Scheduled && (e.Trigger == job.TriggerSchedule || e.Trigger == job.TriggerCatchUp) {
				f.Fire = true
			}
		}
		if f.Slot.IsZero() {
			if _, at, err := job.ParseExecutionID(id); err == nil {
				f.Slot, f.Last = at, at
			}
		}
		out = append(out, f)
	}
	return out
}

// Events is what PruneExecutions needs of the events stream.
type Events interface {
	// JobEventsSince is event.Reader's.
	JobEventsSince(ctx context.Context, jobName string, since time.Time, limit int) ([]event.Event, error)
	// PurgeExecution deletes every event of one execution.
	PurgeExecution(ctx context.Context, jobName, executionID string) error
	// Record appends a job-level event.
	Record(ctx context.Context, e event.Event) error
}

// Pruned is what one prune of a job did (or, dry, would do).
type Pruned struct {
	Job     string     `json:"job"`
	Deleted []Finished `json:"deleted"`
	Kept    int        `json:"kept"`
	// Next is when an execution kept now may go without a new one ending
	// (Next); zero when none will.
	Next time.Time `json:"-"`
}

// PruneExecutions deletes the events of spec's finished executions its
// retention lets go at now, each execution whole, after appending one
// job_pruned event naming how many and the range of their slots (the slot
// ledger shows a slot of that range without events as pruned). An
// execution that has not ended, or ended within floor, is never deleted.
// Dry only reports.
func PruneExecutions(ctx context.Context, evs Events, spec job.Spec, now time.Time, floor time.Duration, dry bool) (Pruned, error) {
	p := Pruned{Job: spec.Name, Deleted: []Finished{}}
	if !spec.Retention.LimitsExecutions() {
		return p, nil
	}
	all, err := evs.JobEventsSince(ctx, spec.Name, time.Time{}, MaxEvents)
	if err != nil {
		return p, err
	}
	all = slices.DeleteFunc(all, func(e event.Event) bool { return e.Job != spec.Name })
	fin := FinishedOf(all)
	finished := len(fin)
	if spec.Completions > 0 {
		// A new leader recounts a job's fires from their events (its
		// completions); they are at most Completions, and all are kept.
		fin = slices.DeleteFunc(fin, func(x Finished) bool { return x.Fire })
	}
	del := Select(spec.Retention, fin, now, floor)
	p.Kept = finished - len(del)
	p.Next = Next(spec.Retention, slices.DeleteFunc(slices.Clone(fin), func(x Finished) bool {
		return slices.ContainsFunc(del, func(d Finished) bool { return d.ID == x.ID })
	}), now, floor)
	if dry || len(del) == 0 {
		p.Deleted = append(p.Deleted, del...)
		return p, nil
	}
	// The record goes first: a prune that stops half way (the leader dies,
	// NATS fails) leaves slots whose events are gone covered by it, never
	// unaccounted; a slot it covers whose events remain is read from them.
	if err := record(ctx, evs, spec, del, now); err != nil {
		return p, err
	}
	for _, x := range del {
		if err := evs.PurgeExecution(ctx, spec.Name, x.ID); err != nil {
			return p, fmt.Errorf("prune %s: %w", x.ID, err)
		}
		p.Deleted = append(p.Deleted, x)
	}
	return p, nil
}

// record appends the job_pruned event of the executions about to be
// deleted.
func record(ctx context.Context, evs Events, spec job.Spec, deleted []Finished, now time.Time) error {
	first, last := deleted[0].Slot, deleted[0].Last
	for _, x := range deleted[1:] {
		if x.Slot.Before(first) {
			first = x.Slot
		}
		if x.Last.After(last) {
			last = x.Last
		}
	}
	e := event.Event{Kind: event.JobPruned, Job: spec.Name, Time: now, ScheduledAt: event.Slot(first), Last: event.Slot(last),
		Count: len(deleted), Reason: describe(spec.Retention)}
	if err := evs.Record(ctx, e); err != nil {
		return fmt.Errorf("record the pruning of %d executions of %s: %w", len(deleted), spec.Name, err)
	}
	return nil
}

// describe says which limits of r deleted executions.
func describe(r *job.Retention) string {
	return "the job's retention keeps " + r.DescribeExecutions()
}
