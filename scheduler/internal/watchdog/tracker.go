package watchdog

import (
	"time"

	"github.com/jetcron/jetcron/pkg/alert"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/health"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/ledger"
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

// tracker is what a replica knows of one job: its definitions, the recent
// events of its slots, its running executions and its counters. It is
// owned by the watchdog's loop goroutine.
type tracker struct {
	name string
	// spec is the current definition, rev its revision in the jobs bucket.
	spec *job.Spec
	rev  uint64
	// revs are the definitions kept for the ledger, oldest first.
	revs []ledger.Revision

	// events are the events of the job's slots within the window, and
	// eventSlot the slot (the last one of a range) each is about.
	events    []event.Event
	eventSlot []time.Time
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
	stored    health.State
	storedRev uint64
	hasStored bool

	// gauges are the values the job's metrics were last set to.
	gauges    gauges
	gaugesSet bool
}

// gauges are a job's metric values.
type gauges struct {
	health      alert.Health
	failures    int
	lastSuccess time.Time
}

func (g gauges) equal(o gauges) bool {
	return g.health == o.health && g.failures == o.failures && g.lastSuccess.Equal(o.lastSuccess)
}

func newTracker(name string) *tracker {
	return &tracker{name: name, running: map[string]run{}}
}

// adopt takes a stored state as the base of the counters: events up to
// its Seq are already counted in it.
func (t *tracker) adopt(s health.State, rev uint64) {
	t.stored, t.storedRev, t.hasStored = s, rev, true
	t.seq = s.Seq
	t.failures, t.lastSuccess = s.ConsecutiveFailures, s.LastSuccess
	if s.Health == alert.Failing {
		t.lastFailure = s.Execution
	}
	if s.Health == alert.TooShort {
		t.tooShort = s.Execution
	}
	if s.Health == alert.Unaccounted {
		t.unaccounted = s.Slot
	}
}

// define records a definition (nil: deleted) stored at `at`.
func (t *tracker) define(spec *job.Spec, rev uint64, at time.Time) {
	t.spec, t.rev = spec, rev
	t.completedAfter = time.Time{} // read again: a new definition may fire again
	if n := len(t.revs); n > 0 && t.revs[n-1].Revision == rev {
		t.revs[n-1] = ledger.Revision{Revision: rev, At: at, Spec: spec} // a watch started again
		return
	}
	t.revs = append(t.revs, ledger.Revision{Revision: rev, At: at, Spec: spec})
}

// sample is what applying an event measured.
type sample struct {
	lateness time.Duration
	ok       bool
}

// apply folds one event of the job into the tracker. Events at or before
// the stored Seq are kept for the ledger and the running runs, but not
// counted again.
func (t *tracker) apply(e event.Event) sample {
	counted := e.Seq > t.seq
	if counted {
		t.seq = e.Seq
	}
	var out sample
	if e.Kind == event.JobCompleted {
		t.completedAfter = e.Time
		return out
	}
	if e.Execution == "" {
		return out
	}
	if job.IsSlotID(e.Execution) {
		out = t.keepSlotEvent(e, counted)
	}
	switch e.Kind {
	case event.Started:
		t.running[e.Execution] = run{started: e.Time, attempt: e.Attempt}
	case event.Retrying, event.Abandoned:
		delete(t.running, e.Execution)
	}
	if !e.Kind.Final() {
		return out
	}
	delete(t.running, e.Execution)
	if !counted {
		return out
	}
	switch e.Kind {
	case event.Succeeded:
		t.failures, t.lastFailure = 0, ""
		t.lastSuccess, t.lastSuccessExec = e.Time, e.Execution
		t.tooShort = ""
		if t.spec != nil && t.spec.Expect.MinRuntime > 0 && e.DurationMS != nil &&
			time.Duration(*e.DurationMS)*time.Millisecond < t.spec.Expect.MinRuntime.D() {
			t.tooShort = e.Execution
		}
	case event.Failed, event.TimedOut:
		t.failures++
		t.lastFailure = e.Execution
	}
	return out
}

// idle reports whether the tracker holds nothing worth keeping for a job
// without a definition.
func (t *tracker) idle() bool {
	return t.spec == nil && len(t.events) == 0 && len(t.running) == 0
}

// keepSlotEvent keeps an event of a slot for the ledger, unless its slot
// is older than keepFrom, and measures a first start's lateness.
func (t *tracker) keepSlotEvent(e event.Event, counted bool) sample {
	_, at, err := job.ParseExecutionID(e.Execution)
	if err != nil {
		return sample{}
	}
	last := at
	if e.Last != nil && e.Last.After(last) {
		last = *e.Last
	}
	if !last.Before(t.keepFrom) {
		ev := e
		ev.Params, ev.FollowUps, ev.LogURL, ev.Error = nil, nil, "", "" // memory: the ledger needs none
		t.events = append(t.events, ev)
		t.eventSlot = append(t.eventSlot, last)
	}
	if e.Kind == event.Started && e.Attempt <= 1 && counted {
		return sample{lateness: e.Time.Sub(at), ok: true}
	}
	return sample{}
}

// trim forgets the events of slots before cutoff, the old revisions and
// runs older than maxRunAge.
func (t *tracker) trim(cutoff, now time.Time) {
	t.keepFrom = cutoff
	keep := 0
	for i, at := range t.eventSlot {
		if at.Before(cutoff) {
			continue
		}
		t.events[keep], t.eventSlot[keep] = t.events[i], at
		keep++
	}
	clear(t.events[keep:])
	t.events, t.eventSlot = t.events[:keep], t.eventSlot[:keep]
	// Keep the revision in force at cutoff and every later one.
	first := 0
	for i := 1; i < len(t.revs); i++ {
		if !t.revs[i].At.After(cutoff) {
			first = i
		}
	}
	t.revs = t.revs[first:]
	for id, r := range t.running {
		if now.Sub(r.started) > maxRunAge {
			delete(t.running, id)
		}
	}
}
