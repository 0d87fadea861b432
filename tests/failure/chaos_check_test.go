package failure_test

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
)

// chaosSlack is what the liveness bound allows beyond lease + one period
// after the system is back: process starts, stream elections and a loaded
// 2-core machine. A wedged leader misses it by as long as it stays wedged.
const chaosSlack = 15 * time.Second

// accounting kinds: the events that say what became of a slot.
var accounting = map[event.Kind]bool{
	event.Scheduled: true, event.Delayed: true, event.Skipped: true,
	event.Missed: true, event.Cancelled: true, event.Rejected: true,
}

// check reads the sink and the events stream and counts, for the chaos run:
//
//   - Missed: an expected slot of an active job with no accounting event
//     (scheduled, delayed, skipped, missed, cancelled), or one accounted
//     later than its bound: the slot's due time, or the end of the outage
//     it fell in, plus the lease, one period and chaosSlack;
//   - Lost: an execution left scheduled or running without a final event,
//     a delayed run never resolved, a manual, enqueued or follow-up run
//     with no event, an attempt recorded failed or retrying though its
//     task never started (every job runs the probe, which always starts;
//     only a hand back, "did not start", waits for the next delivery);
//   - Duplicates: a slot scheduled twice, two final events, an attempt
//     started twice, a run started after its execution's result was
//     recorded, more fires than the job's completions;
//   - Phantoms: a fire of a slot that is not on any version of the job's
//     schedule while it was in force, or while it was disabled (without
//     catch-up on enable), or after it was deleted;
//   - Overlaps: two executions of a delay or skip job running at once, or
//     a delay job's slots starting out of order.
func (c *chaosRun) check(pw *pidWatch, end time.Time) *report {
	t := c.t
	recs, err := readSink(c.s.sink)
	if err != nil {
		t.Fatalf("read the sink: %v", err)
	}
	runs := runsOf(recs, pw)
	// The events as they were stored: a job's retention has deleted some
	// since (checkRetention compares).
	final := c.s.events()
	var last uint64
	for _, e := range final {
		last = max(last, e.Seq)
	}
	evs := c.rec.through(t, last)
	r := &report{Scenario: fmt.Sprintf("chaos seed %d (%s, %s, %d jobs)", c.w.seed, c.w.topology, c.w.length, len(c.w.jobs))}

	byExec := map[string][]event.Event{}
	missedRanges := map[string][]event.Event{}
	completedAt := map[string]time.Time{}
	for _, e := range evs {
		if e.Execution != "" {
			byExec[e.Execution] = append(byExec[e.Execution], e)
		}
		if e.Kind == event.Missed && e.Count > 0 {
			missedRanges[e.Job] = append(missedRanges[e.Job], e)
		}
		if e.Kind == event.JobCompleted {
			completedAt[e.Job] = e.Time
		}
	}
	runsByExec := map[string][]*run{}
	runsByJob := map[string][]*run{}
	for _, x := range runs {
		runsByExec[x.exec] = append(runsByExec[x.exec], x)
		runsByJob[x.job] = append(runsByJob[x.job], x)
		if x.completed() {
			r.Runs++
		}
		if x.attempt > 1 {
			r.Retries++
		}
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	var lateness time.Duration
	for name, lj := range c.ledger {
		r.Jobs++
		c.checkSlots(r, name, lj, byExec, missedRanges, completedAt, end, &lateness)
		c.checkPhantoms(r, name, lj, byExec)
		if ov := lj.cj.spec.Overlap; ov == job.OverlapDelay || ov == job.OverlapSkip {
			checkExclusive(r, name, runsByJob[name], ov == job.OverlapDelay)
		}
	}
	for id, es := range byExec {
		checkExecution(r, id, es, runsByExec[id])
	}
	for id, from := range c.cancelled {
		checkCancelled(r, id, from, byExec[id], runsByExec[id])
	}
	r.figure("cancels answered cancelled", "%d (%d after an attempt that ran meanwhile)", len(c.cancelled), c.ranFirst)
	for _, s := range c.silent(byExec) {
		r.Lost++
		r.problem("%s", s)
	}
	pruned := c.checkRetention(r, evs, final)
	r.figure("outages", "%d, %s", len(c.outages), c.outageText())
	r.figure("executions deleted by their job's retention", "%d", pruned)
	r.figure("slowest slot accounted after the system was back", "%s", lateness.Round(time.Millisecond))
	r.figure("events", "%s", kindCounts(evs))
	return r
}

// silent describes the runs the system accepted for later, a follow-up
// or a manual or enqueued run, that have no event in byExec. c.mu is held.
func (c *chaosRun) silent(byExec map[string][]event.Event) []string {
	var out []string
	for _, lj := range c.ledger {
		for _, id := range lj.adhoc {
			if len(byExec[id]) == 0 {
				out = append(out, fmt.Sprintf("%s: the run the API accepted has no event", id))
			}
		}
	}
	for id, es := range byExec {
		for _, e := range es {
			if e.Kind != event.FollowUp {
				continue
			}
			for _, f := range e.FollowUps {
				if len(byExec[f]) == 0 {
					out = append(out, fmt.Sprintf("%s: follow-up %s was accepted and has no event", id, f))
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// awaited lists the runs accepted for later that have no event yet, from
// the events recorded so far.
func (c *chaosRun) awaited() []string {
	byExec := map[string][]event.Event{}
	for _, e := range c.rec.all() {
		if e.Execution != "" {
			byExec[e.Execution] = append(byExec[e.Execution], e)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.silent(byExec)
}

// checkSlots checks that every expected slot of a job is accounted for,
// within its bound.
func (c *chaosRun) checkSlots(r *report, name string, lj *ledgerJob, byExec, missedRanges map[string][]event.Event, completedAt map[string]time.Time, end time.Time, lateness *time.Duration) {
	for _, v := range lj.versions {
		sched, err := v.spec.Schedule.Compile()
		if err != nil {
			r.problem("%s: schedule %v", name, err)
			continue
		}
		to := v.to
		if to.IsZero() {
			to = end
		}
		if at, ok := completedAt[name]; ok && at.Before(to) {
			to = at // no slot is owed after the last completion
		}
		if last, ok := lastCompletion(name, v.spec.Completions, byExec); ok && last.Before(to) {
			to = last.Add(2 * time.Second) // nor after the slot that completed it
		}
		from := v.from
		if v.sure.After(from) {
			from = v.sure // an update retried through an outage: owed once answered
		}
		for slot := sched.Next(from.Add(time.Second)); !slot.IsZero() && slot.Before(to.Add(-2*time.Second)); slot = sched.Next(slot) {
			if lj.disabledNear(slot) {
				continue // the edges and the inside of a disabled time: optional
			}
			r.Expected++
			id := job.ExecutionID(name, slot)
			at, ok := accountedAt(id, slot, byExec[id], missedRanges[name])
			if !ok {
				r.Missed++
				r.problem("%s: slot never accounted for (no scheduled, delayed, skipped or missed event)", id)
				continue
			}
			due := slot.Add(v.spec.Jitter.D())
			back := due
			for _, o := range c.outages {
				if o.contains(due) && o.to.After(back) {
					back = o.to
				}
			}
			bound := back.Add(c.lease + lj.cj.period + chaosSlack)
			if at.After(bound) {
				r.Missed++
				r.problem("%s: accounted for at %s, after its bound %s (back at %s)", id, at.Format("15:04:05.000"), bound.Format("15:04:05.000"), back.Format("15:04:05.000"))
			}
			*lateness = max(*lateness, at.Sub(back))
		}
	}
}

// disabledNear reports whether slot falls in a disabled time of the job,
// or within a second or two of its edges.
func (lj *ledgerJob) disabledNear(slot time.Time) bool {
	for _, d := range lj.disabled {
		to := d.to
		if to.IsZero() {
			to = slot.Add(time.Hour)
		}
		if !slot.Before(d.from.Add(-time.Second)) && !slot.After(to.Add(2*time.Second)) {
			return true
		}
	}
	return false
}

// accountedAt returns when a slot was first accounted for.
func accountedAt(id string, slot time.Time, es, ranges []event.Event) (time.Time, bool) {
	var at time.Time
	for _, e := range es {
		if accounting[e.Kind] && (at.IsZero() || e.Time.Before(at)) {
			at = e.Time
		}
	}
	for _, e := range ranges {
		if e.ScheduledAt != nil && e.Last != nil && !slot.Before(*e.ScheduledAt) && !slot.After(*e.Last) && (at.IsZero() || e.Time.Before(at)) {
			at = e.Time
		}
	}
	return at, !at.IsZero()
}

// checkPhantoms checks that every fire of a job's slots was owed.
func (c *chaosRun) checkPhantoms(r *report, name string, lj *ledgerJob, byExec map[string][]event.Event) {
	maxPeriod := lj.cj.period
	for _, v := range lj.versions {
		if v.spec.Schedule.Every > 0 {
			maxPeriod = max(maxPeriod, v.spec.Schedule.Every.D())
		}
	}
	fires := 0
	for id, es := range byExec {
		jobName, slot, err := job.ParseExecutionID(id)
		if err != nil || jobName != name || isAdHoc(id) {
			continue
		}
		var fired *event.Event
		for i := range es {
			if es[i].Kind == event.Scheduled || es[i].Kind == event.Delayed {
				fired = &es[i]
				break
			}
		}
		if fired == nil {
			continue
		}
		fires++
		owed := false
		for i, v := range lj.versions {
			sched, _ := v.spec.Schedule.Compile()
			to := v.to
			if v.until.After(to) {
				to = v.until // replaced by an update answered then
			}
			if to.IsZero() {
				to = slot.Add(time.Hour)
			}
			if i == len(lj.versions)-1 && !lj.deletedBy.IsZero() {
				to = lj.deletedBy // the delete took effect by then
			}
			if sched.Next(slot.Add(-time.Nanosecond)).Equal(slot) && !slot.Before(v.from.Add(-2*maxPeriod-2*time.Second)) && !slot.After(to.Add(2*time.Second)) {
				owed = true
			}
		}
		for _, d := range lj.disabled {
			if !d.catchUp && !d.sure.to.IsZero() && slot.After(d.sure.from.Add(2*time.Second)) && slot.Before(d.sure.to.Add(-time.Second)) {
				owed = false
				r.problem("%s: fired while its job was disabled (%s to %s, enabled without catch-up)", id, d.sure.from.Format("15:04:05"), d.sure.to.Format("15:04:05"))
			}
		}
		if !lj.deletedBy.IsZero() && slot.After(lj.deletedBy.Add(2*time.Second)) {
			owed = false
			r.problem("%s: fired after its job was deleted (by %s)", id, lj.deletedBy.Format("15:04:05.000"))
		}
		if !owed {
			r.Phantoms++
			r.problem("%s: fired (%s) but not owed by any version of the schedule while in force", id, fired.Kind)
		}
	}
	if n := lj.cj.spec.Completions; n > 0 {
		scheduled := 0
		for id, es := range byExec {
			if jobName, _, err := job.ParseExecutionID(id); err == nil && jobName == name && !isAdHoc(id) && hasKind(es, event.Scheduled) {
				scheduled++
			}
		}
		if scheduled > n {
			r.Duplicates += scheduled - n
			r.problem("%s: %d slots ran, more than its %d completions", name, scheduled, n)
		}
	}
}

// checkExclusive checks that no two executions of a delay or skip job ran
// at once, and (delay) that its slots started in order.
func checkExclusive(r *report, name string, runs []*run, ordered bool) {
	sort.Slice(runs, func(i, j int) bool { return runs[i].start.Before(runs[j].start) })
	for i := range runs {
		a := runs[i]
		aEnd := a.until()
		for j := i + 1; j < len(runs); j++ {
			b := runs[j]
			if a.exec == b.exec || b.start.IsZero() {
				continue
			}
			if aEnd.IsZero() || aEnd.After(b.start) {
				r.Overlaps++
				r.problem("%s: %s (%s to %s) and %s (from %s) ran at once (overlap policy forbids it)", name, a.exec, a.start.Format("15:04:05.000"), fmtTime(aEnd), b.exec, b.start.Format("15:04:05.000"))
			}
		}
	}
	if !ordered {
		return
	}
	first := map[string]time.Time{}
	for _, x := range runs {
		if isAdHoc(x.exec) {
			continue
		}
		if t, ok := first[x.exec]; !ok || x.start.Before(t) {
			first[x.exec] = x.start
		}
	}
	ids := make([]string, 0, len(first))
	for id := range first {
		ids = append(ids, id)
	}
	sort.Strings(ids) // slot order: the stamps sort as times
	for i := 1; i < len(ids); i++ {
		if first[ids[i]].Before(first[ids[i-1]]) {
			r.Overlaps++
			r.problem("%s: %s started before the earlier slot %s (overlap delay runs slots in order)", name, ids[i], ids[i-1])
		}
	}
}

// checkExecution checks one execution's events and runs: it ended once,
// was scheduled once, and no attempt ran twice or after the result.
func checkExecution(r *report, id string, es []event.Event, runs []*run) {
	if n := count(es, event.Scheduled); n > 1 {
		r.Duplicates += n - 1
		r.problem("%s scheduled %d times", id, n)
	}
	fin := finals(es)
	if len(fin) > 1 {
		// A delayed run is recorded skipped or cancelled once, and a
		// scheduled one ends once.
		r.Duplicates += len(fin) - 1
		r.problem("%s has %d final events: %v", id, len(fin), eventKinds(es))
	}
	if hasKind(es, event.Scheduled) && len(fin) == 0 {
		r.Lost++
		r.problem("%s was scheduled and never ended: %v", id, eventKinds(es))
	}
	if hasKind(es, event.Delayed) && !hasKind(es, event.Scheduled) && len(fin) == 0 {
		r.Lost++
		r.problem("%s was delayed and never resolved: %v", id, eventKinds(es))
	}
	starts := map[int]int{}
	for _, x := range runs {
		starts[x.attempt]++
	}
	for _, e := range es {
		if (e.Kind == event.Failed || e.Kind == event.Retrying) && starts[e.Attempt] == 0 && !strings.HasPrefix(e.Error, event.DidNotStart) {
			r.Lost++
			r.problem("%s attempt %d recorded %s though its task never started: %s", id, e.Attempt, e.Kind, e.Error)
		}
	}
	for a, n := range starts {
		if n > 1 {
			r.Duplicates += n - 1
			r.problem("%s attempt %d started %d times", id, a, n)
		}
	}
	if len(fin) == 1 {
		for _, x := range runs {
			if x.start.After(fin[0].Time.Add(time.Second)) {
				r.Duplicates++
				r.problem("%s attempt %d started at %s, after its result (%s) was recorded at %s", id, x.attempt, x.start.Format("15:04:05.000"), fin[0].Kind, fin[0].Time.Format("15:04:05.000"))
			}
		}
	}
}

// checkCancelled: an execution a cancel was answered "cancelled" for
// starts no attempt after from (when the cancel was sent, or answered if
// the answer says an attempt ran meanwhile), and ends cancelled.
func checkCancelled(r *report, id string, from time.Time, es []event.Event, runs []*run) {
	for _, x := range runs {
		if x.start.After(from) {
			r.problem("%s was answered cancelled to a cancel sent (or answered) at %s, and attempt %d started at %s", id, from.Format("15:04:05.000"), x.attempt, x.start.Format("15:04:05.000"))
		}
	}
	if fin := finals(es); len(fin) == 1 && fin[0].Kind != event.Cancelled {
		r.problem("%s was answered cancelled, and ended %s: %v", id, fin[0].Kind, eventKinds(es))
	}
}

func isAdHoc(id string) bool {
	i := strings.LastIndexByte(id, '-')
	return i >= 0 && strings.Contains(id[i:], "_")
}

func hasKind(es []event.Event, k event.Kind) bool { return count(es, k) > 0 }

func kindCounts(evs []event.Event) string {
	n := map[event.Kind]int{}
	for _, e := range evs {
		n[e.Kind]++
	}
	var parts []string
	for k, v := range n {
		parts = append(parts, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

func (c *chaosRun) outageText() string {
	var parts []string
	for _, o := range c.outages {
		parts = append(parts, fmt.Sprintf("%s+%s", o.from.Format("15:04:05"), o.to.Sub(o.from).Round(100*time.Millisecond)))
	}
	return strings.Join(parts, " ")
}

// lastCompletion returns the newest fired slot of a job with completions
// once it has fired them all.
func lastCompletion(name string, completions int, byExec map[string][]event.Event) (time.Time, bool) {
	if completions <= 0 {
		return time.Time{}, false
	}
	var slots []time.Time
	for id, es := range byExec {
		jobName, slot, err := job.ParseExecutionID(id)
		if err != nil || jobName != name || isAdHoc(id) {
			continue
		}
		for _, e := range es {
			if e.Kind == event.Scheduled && (e.Trigger == job.TriggerSchedule || e.Trigger == job.TriggerCatchUp) {
				slots = append(slots, slot)
				break
			}
		}
	}
	if len(slots) < completions {
		return time.Time{}, false
	}
	sort.Slice(slots, func(i, j int) bool { return slots[i].Before(slots[j]) })
	return slots[len(slots)-1], true
}
