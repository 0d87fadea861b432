package watchdog

import (
	"math"
	"slices"
	"time"

	"github.com/jetcron/jetcron/pkg/alert"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/health"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/ledger"
	"github.com/jetcron/jetcron/scheduler/internal/jobdef"
)

// maxRunAge bounds how long a started execution without a final event is
// remembered: a run whose end was never recorded must not stay overrunning
// forever in memory.
const maxRunAge = 24 * time.Hour

// run is a started attempt of an execution.
type run struct {
	started time.Time
	attempt int
}

// tracker is what a replica knows of one job: its definitions, and what
// the job did (activity). It is owned by the watchdog's loop goroutine.
//
// A replica tracks every job, a million in one scheduler
// (docs/scaling.md): a job that has done nothing the watchdog keeps holds
// its name, its definitions (shared with the leader, package jobdef) and
// its gauges, and no activity.
type tracker struct {
	name string
	// def is the current definition; nil when the job was deleted or its
	// definition has not come yet.
	def *jobdef.Def
	// older are the definitions before def that the ledger still needs
	// (in force in the window), oldest first; usually none.
	older []ledger.Revision
	// gauges are the values the job's metrics were last set to.
	gauges gauges
	// quietUntil is when a job without activity, or whose slots all
	// ended, may first have an unaccounted slot (Unix nanoseconds; see
	// checkSlots); 0: unknown.
	quietUntil int64
	// quietRev is the revision in the health bucket of the job's stored
	// state while it says only "ok, nothing counted" (quiet), and
	// quietSince its Since (Unix nanoseconds): a job that did nothing
	// keeps its stored state in these 16 bytes, not in an activity.
	quietRev, quietSince int64
	// act is what the job did; nil until it did something the watchdog
	// keeps (view reads it either way).
	act *activity
}

// activity is what a job did: the recent events of its slots, its running
// executions, its counters and its stored health state.
type activity struct {
	// kept are the events of the job's slots within the window (kept.go).
	kept []kept
	// keepFrom is the oldest slot whose events are kept: older ones are
	// out of every window (memory stays bounded during the replay too).
	keepFrom time.Time
	// running are the executions started and not ended.
	running map[string]run

	// Counters, from the events after the stored Seq.
	seq             uint64
	failures        int
	lastFailure     string // execution of the last failure
	lastSuccess     time.Time
	lastSuccessExec string
	tooShort        string // the last success, when it ended too fast
	// unaccounted is the oldest slot of the current unaccounted episode.
	unaccounted time.Time

	// completedAfter is the last slot of a job that reached its
	// completions (zero: not completed).
	completedAfter time.Time

	// The stored state and its revision in the health bucket.
	stored    heldState
	storedRev uint64
	hasStored bool
}

// noActivity is what view returns for a job without activity. Only read.
var noActivity activity

// view returns the job's activity to read.
func (t *tracker) view() *activity {
	if t.act != nil {
		return t.act
	}
	return &noActivity
}

// activity returns the job's activity to change, made if it had none;
// keepFrom is its first keepFrom. A quiet stored state moves into it.
func (t *tracker) activity(keepFrom time.Time) *activity {
	if t.act == nil {
		t.act = &activity{keepFrom: keepFrom}
		if t.quietRev != 0 {
			t.act.stored, t.act.storedRev, t.act.hasStored = holdState(t.quietState()), uint64(t.quietRev), true
			t.quietRev, t.quietSince = 0, 0
		}
	}
	return t.act
}

// quietState is the stored state quietRev stands for.
func (t *tracker) quietState() health.State {
	return health.State{Job: t.name, Health: alert.OK, Since: time.Unix(0, t.quietSince).UTC()}
}

// quiet reports whether a stored state says only "ok, nothing counted".
func quiet(s health.State) bool {
	return s.Health == alert.OK && s.Reason == "" && s.Slot.IsZero() && s.Execution == "" &&
		s.ConsecutiveFailures == 0 && s.LastSuccess.IsZero() && s.Seq == 0
}

// keepStored records the job's stored state s at revision rev: in the
// tracker alone while the job has no activity and s is quiet.
func (t *tracker) keepStored(s health.State, rev uint64, keepFrom time.Time) {
	if t.act == nil && quiet(s) && rev <= math.MaxInt64 {
		t.quietRev, t.quietSince = int64(rev), s.Since.UnixNano()
		return
	}
	a := t.activity(keepFrom)
	a.stored, a.storedRev, a.hasStored = holdState(s), rev, true
}

// storedRev is the revision of the job's stored state (0: none).
func (t *tracker) storedRev() uint64 {
	if t.act == nil {
		return uint64(t.quietRev)
	}
	return t.act.storedRev
}

// gauges are a job's metric values, as last set (16 bytes: a replica
// keeps them for every job).
type gauges struct {
	// health is the health's place in priority, plus one; 0: not set.
	health      uint8
	failures    int32
	lastSuccess int64 // Unix nanoseconds; 0 for none
}

// quietGauges are those of a job ok with nothing counted.
var quietGauges = gaugesOf(alert.OK, 0, time.Time{})

func gaugesOf(h alert.Health, failures int, lastSuccess time.Time) gauges {
	g := gauges{health: uint8(slices.Index(priority, h) + 1), failures: int32(min(failures, math.MaxInt32))}
	if !lastSuccess.IsZero() {
		g.lastSuccess = lastSuccess.UnixNano()
	}
	return g
}

func newTracker(name string) *tracker {
	return &tracker{name: name}
}

// adopt takes a stored state as the base of the counters: events up to
// its Seq are already counted in it.
func (t *tracker) adopt(s health.State, rev uint64, keepFrom time.Time) {
	t.keepStored(s, rev, keepFrom)
	if t.act == nil {
		return // quiet: nothing counted
	}
	a := t.act
	a.seq = s.Seq
	a.failures, a.lastSuccess = s.ConsecutiveFailures, s.LastSuccess
	if s.Health == alert.Failing {
		a.lastFailure = s.Execution
	}
	if s.Health == alert.TooShort {
		a.tooShort = s.Execution
	}
	if s.Health == alert.Unaccounted {
		a.unaccounted = s.Slot
	}
}

// define records a new definition of the job.
func (t *tracker) define(d *jobdef.Def) {
	t.quietUntil = 0
	if t.act != nil {
		t.act.completedAfter = time.Time{} // read again: a new definition may fire again
	}
	if t.def != nil && t.def.Revision() != d.Revision() { // (the same: a watch started again)
		t.older = append(t.older, revisionOf(t.def))
	}
	t.def = d
}

func revisionOf(d *jobdef.Def) ledger.Revision {
	return ledger.Revision{Revision: d.Revision(), At: d.At(), Def: d}
}

// revisions returns the definitions for the ledger, oldest first; one
// holds the current one when there is no older (no allocation).
func (t *tracker) revisions(one *[1]ledger.Revision) []ledger.Revision {
	if t.def == nil {
		return nil
	}
	if len(t.older) == 0 {
		one[0] = revisionOf(t.def)
		return one[:]
	}
	return append(t.older[:len(t.older):len(t.older)], revisionOf(t.def))
}

// rev is the current definition's revision (0 without one).
func (t *tracker) rev() uint64 {
	if t.def == nil {
		return 0
	}
	return t.def.Revision()
}

// sample is what applying an event measured.
type sample struct {
	lateness time.Duration
	ok       bool
}

// apply folds one event of the job into the tracker. Events at or before
// the stored Seq are kept for the ledger and the running runs, but not
// counted again. (A job's first activity keeps every event: the watchdog
// makes it first, with the keepFrom of its window.)
func (t *tracker) apply(e event.Event) sample {
	t.quietUntil = 0 // the ledger may change: checkSlots computes it again
	a := t.activity(time.Time{})
	counted := e.Seq > a.seq
	if counted {
		a.seq = e.Seq
	}
	var out sample
	if e.Kind == event.JobCompleted {
		a.completedAfter = e.Time
		return out
	}
	if e.Kind == event.JobPruned && e.ScheduledAt != nil && e.Last != nil {
		// The job's retention deleted these slots' events: the ledger
		// shows them pruned, not unaccounted (a replica that reads the
		// look-back again after a restart finds them gone).
		if !e.Last.Before(a.keepFrom) {
			a.keepSlot(keepEvent(e, *e.Last), false)
		}
		return out
	}
	if e.Execution == "" {
		return out
	}
	if job.IsSlotID(e.Execution) {
		out = a.keepSlotEvent(e, counted)
	}
	switch e.Kind {
	case event.Started:
		if a.running == nil {
			a.running = map[string]run{}
		}
		a.running[e.Execution] = run{started: e.Time, attempt: e.Attempt}
	case event.Retrying, event.Abandoned:
		a.ended(e.Execution)
	}
	if !e.Kind.Final() {
		return out
	}
	a.ended(e.Execution)
	if !counted {
		return out
	}
	switch e.Kind {
	case event.Succeeded:
		a.failures, a.lastFailure = 0, ""
		a.lastSuccess, a.lastSuccessExec = e.Time, e.Execution
		a.tooShort = ""
		if t.def != nil {
			if least := t.def.Expect().MinRuntime; least > 0 && e.DurationMS != nil && time.Duration(*e.DurationMS)*time.Millisecond < least.D() {
				a.tooShort = e.Execution
			}
		}
	case event.Failed, event.TimedOut:
		a.failures++
		a.lastFailure = e.Execution
	}
	return out
}

// ended forgets a running execution; a job with none left holds no map.
func (a *activity) ended(id string) {
	delete(a.running, id)
	if len(a.running) == 0 {
		a.running = nil
	}
}

// idle reports whether the tracker holds nothing worth keeping for a job
// without a definition.
func (t *tracker) idle() bool {
	a := t.view()
	return t.def == nil && len(a.kept) == 0 && len(a.running) == 0
}

// keepSlotEvent keeps an event of a slot for the ledger, unless its slot
// is older than keepFrom, and measures a first start's lateness.
func (a *activity) keepSlotEvent(e event.Event, counted bool) sample {
	_, at, err := job.ParseExecutionID(e.Execution)
	if err != nil {
		return sample{}
	}
	last := at
	if e.Last != nil && e.Last.After(last) {
		last = *e.Last
	}
	if !last.Before(a.keepFrom) {
		a.keepSlot(keepEvent(e, last), settles(&e))
	}
	if e.Kind == event.Started && e.Attempt <= 1 && counted {
		return sample{lateness: e.Time.Sub(at), ok: true}
	}
	return sample{}
}

// trim forgets the events of slots before cutoff, the old revisions and
// runs older than maxRunAge.
func (t *tracker) trim(cutoff, now time.Time) {
	// Keep the revision in force at cutoff and every later one.
	if n := len(t.older); n > 0 && t.def != nil {
		first := 0
		for i := 1; i <= n; i++ {
			at := t.def.At()
			if i < n {
				at = t.older[i].At
			}
			if !at.After(cutoff) {
				first = i
			}
		}
		t.older = slices.Clip(t.older[first:])
		if len(t.older) == 0 {
			t.older = nil
		}
	}
	a := t.act
	if a == nil {
		return
	}
	a.keepFrom = cutoff
	from := cutoff.UnixNano()
	a.kept = slices.DeleteFunc(a.kept, func(k kept) bool { return k.about < from })
	if len(a.kept) == 0 {
		a.kept = nil // a job whose slots left the window holds no array
	}
	for id, r := range a.running {
		if now.Sub(r.started) > maxRunAge {
			a.ended(id)
		}
	}
}
