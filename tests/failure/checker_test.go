package failure_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/streamio"
)

// report is what the checker found in one scenario. The five counts the
// issue asks for must be zero:
//
//   - Missed: expected slots (every slot of every job from the window's
//     start until the job was disabled) without a completed run;
//   - Duplicates: slots that ran to completion more than once without a
//     crash to explain it, plus attempts that started twice, plus slots
//     scheduled twice;
//   - Phantoms: runs or fires of slots that are not in the job's schedule,
//     before the job existed or after it was disabled;
//   - Overlaps: executions with two attempts running at the same instant;
//   - Lost: executions accepted by the work stream (a "scheduled" event)
//     that never ended and are not waiting in it, executions whose final
//     event is "succeeded" without a completed run, and runs of slots the
//     stream never acknowledged.
//
// Reruns counts slots run again because the worker running the first
// attempt died after the script finished but before recording it: that is
// at-least-once execution (DESIGN invariant 2), not a duplicate fire.
type report struct {
	Scenario   string
	Jobs       int
	Expected   int
	Runs       int
	Missed     int
	Duplicates int
	Phantoms   int
	Overlaps   int
	Lost       int
	Reruns     int
	Retries    int
	Figures    []figure
	Problems   []string
}

type figure struct {
	Name  string
	Value string
}

func (r *report) problem(format string, args ...any) {
	if len(r.Problems) < 50 {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

func (r *report) figure(name, format string, args ...any) {
	r.Figures = append(r.Figures, figure{name, fmt.Sprintf(format, args...)})
}

// events reads every event of the namespace.
func (s *system) events() []event.Event {
	s.t.Helper()
	var out []event.Event
	seq := uint64(1)
	for {
		var msgs []streamio.Msg
		natstest.Eventually(s.t, 60*time.Second, func() bool {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var err error
			msgs, err = streamio.DirectBatch(ctx, s.nc, streamio.DirectRequest{Stream: s.names.EventsStream(), Filter: s.names.EventSubjects(), Seq: seq, Batch: 1000})
			return err == nil
		}, "read events")
		for _, m := range msgs {
			if e, ok, err := event.Decode(m.Data); err == nil && ok {
				e.Seq = m.Seq
				out = append(out, e)
			}
		}
		if len(msgs) < 1000 {
			return out
		}
		seq = msgs[len(msgs)-1].Seq + 1
	}
}

// workPending returns how many work items wait in the work stream.
func (s *system) workPending() (uint64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := s.js.Stream(ctx, s.names.WorkStream())
	if err != nil {
		return 0, err
	}
	return st.CachedInfo().State.Msgs, nil
}

// quiesce waits until nothing is in flight: the work stream is empty,
// every scheduled execution has ended, and no probe runs.
func (s *system) quiesce(w *pidWatch, d time.Duration) {
	s.quiesceAwaiting(w, d, nil)
}

// quiesceAwaiting is quiesce that also waits until awaited, if not nil,
// returns nothing: runs the system accepted for later (a follow-up, an
// enqueued run) fire after the rest is quiet.
func (s *system) quiesceAwaiting(w *pidWatch, d time.Duration, awaited func() []string) {
	s.t.Helper()
	deadline := time.Now().Add(d)
	waiting := func() []string {
		if awaited == nil {
			return nil
		}
		return awaited()
	}
	for time.Now().Before(deadline) {
		// Awaited first: a run accepted for later that fires meanwhile is
		// then scheduled, or in flight, for the checks after it.
		quiet := len(waiting()) == 0
		n, err := s.workPending()
		if quiet && err == nil && n == 0 && len(w.living()) == 0 && len(s.unfinished(s.events())) == 0 {
			return
		}
		time.Sleep(500 * time.Millisecond) // polling the whole system's state
	}
	n, err := s.workPending()
	s.t.Logf("still in flight after %s: %d work items (%v), %d probes, unfinished %v, awaited %v", d, n, err, len(w.living()), s.unfinished(s.events()), waiting())
}

// unfinished returns executions that were scheduled (or are delayed,
// waiting for their job's running execution) and have no final event.
func (s *system) unfinished(evs []event.Event) []string {
	scheduled, final := map[string]bool{}, map[string]bool{}
	for _, e := range evs {
		switch {
		case e.Kind == event.Scheduled, e.Kind == event.Delayed:
			scheduled[e.Execution] = true
		case e.Kind.Final():
			final[e.Execution] = true
		}
	}
	var out []string
	for id := range scheduled {
		if !final[id] {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// check quiesces the system and counts what went wrong since from: slots
// from that instant until each job was disabled are expected.
func (s *system) check(name string, from time.Time, w *pidWatch) *report {
	s.t.Helper()
	s.quiesce(w, 90*time.Second)
	recs, err := readSink(s.sink)
	require.NoError(s.t, err)
	runs := runsOf(recs, w)
	evs := s.events()
	r := &report{Scenario: name}

	s.mu.Lock()
	jobs := map[string]jobInfo{}
	for n, j := range s.jobs {
		jobs[n] = j
	}
	s.mu.Unlock()

	byExec := map[string][]*run{}
	for _, x := range runs {
		byExec[x.exec] = append(byExec[x.exec], x)
		if x.completed() {
			r.Runs++
		}
		if x.attempt > 1 {
			r.Retries++
		}
	}
	evByExec := map[string][]event.Event{}
	for _, e := range evs {
		if e.Execution != "" {
			evByExec[e.Execution] = append(evByExec[e.Execution], e)
		}
	}
	kinds := func(id string, k event.Kind) []event.Event {
		var out []event.Event
		for _, e := range evByExec[id] {
			if e.Kind == k {
				out = append(out, e)
			}
		}
		return out
	}

	// Missed.
	for n, j := range jobs {
		if !j.scheduled {
			continue
		}
		r.Jobs++
		sched, err := j.spec.Schedule.Compile()
		require.NoError(s.t, err)
		start := maxTime(from, j.created)
		end := j.disabled.Add(-2 * time.Second)
		require.False(s.t, j.disabled.IsZero(), "job %s was not disabled before the check", n)
		for slot := sched.Next(start.Add(-time.Nanosecond)); !slot.IsZero() && !slot.After(end); slot = sched.Next(slot) {
			r.Expected++
			id := job.ExecutionID(n, slot)
			done := 0
			for _, x := range byExec[id] {
				if x.completed() {
					done++
				}
			}
			if done == 0 {
				r.Missed++
				r.problem("missed %s: %d attempts started, events %v", id, len(byExec[id]), eventKinds(evByExec[id]))
			}
		}
	}

	// Phantoms: fires and runs of slots that are not the job's.
	ids := map[string]bool{}
	for id := range byExec {
		ids[id] = true
	}
	for _, e := range evs {
		if e.Kind == event.Scheduled {
			ids[e.Execution] = true
		}
	}
	for id := range ids {
		jobName, slot, err := job.ParseExecutionID(id)
		if err != nil {
			r.Phantoms++
			r.problem("run of a malformed execution %q", id)
			continue
		}
		if strings.Contains(id, "_") {
			continue // an ad hoc run, not a slot
		}
		j, ok := jobs[jobName]
		if !ok {
			r.Phantoms++
			r.problem("run of %s, a job the scenario never created", id)
			continue
		}
		sched, _ := j.spec.Schedule.Compile()
		if !sched.Next(slot.Add(-time.Nanosecond)).Equal(slot) || slot.Before(j.created.Add(-time.Second)) ||
			!j.disabled.IsZero() && slot.After(j.disabled.Add(2*time.Second)) {
			r.Phantoms++
			r.problem("phantom %s (job created %s, disabled %s)", id, j.created.Format(time.RFC3339), j.disabled.Format(time.RFC3339))
		}
	}

	for id, xs := range byExec {
		// Duplicates: an attempt that started twice, or a slot completed
		// twice without a crash in between.
		starts := map[int]int{}
		for _, x := range xs {
			starts[x.attempt]++
		}
		for a, n := range starts {
			if n > 1 {
				r.Duplicates += n - 1
				r.problem("%s attempt %d started %d times", id, a, n)
			}
		}
		sort.Slice(xs, func(i, j int) bool { return xs[i].start.Before(xs[j].start) })
		var done []*run
		for _, x := range xs {
			if x.completed() {
				done = append(done, x)
			}
		}
		for i := 1; i < len(done); i++ {
			prev := done[i-1]
			if recordedBefore(evByExec[id], prev.attempt, done[i].start) {
				r.Duplicates++
				r.problem("%s ran to completion again (attempt %d after attempt %d, whose result was recorded)", id, done[i].attempt, prev.attempt)
			} else {
				r.Reruns++
			}
		}
		// Overlaps: two attempts of one execution running at once.
		for i := 0; i < len(xs); i++ {
			for j := i + 1; j < len(xs); j++ {
				a, b := xs[i], xs[j]
				aEnd := a.until()
				if aEnd.IsZero() || aEnd.After(b.start) {
					r.Overlaps++
					r.problem("%s attempts %d (%s, until %s) and %d (%s from %s) overlap", id, a.attempt, a.worker, fmtTime(aEnd), b.attempt, b.worker, fmtTime(b.start))
				}
			}
		}
		// A run of a slot the stream never acknowledged.
		if !strings.Contains(id, "_") && len(kinds(id, event.Scheduled)) == 0 {
			r.Lost++
			r.problem("%s ran without a scheduled event (accepted without an ack)", id)
		}
	}

	// Lost: accepted but never ended, or "succeeded" without a run.
	for _, id := range s.unfinished(evs) {
		r.Lost++
		r.problem("%s was scheduled and never ended: %v", id, eventKinds(evByExec[id]))
	}
	for id, es := range evByExec {
		if n := len(kinds(id, event.Scheduled)); n > 1 {
			r.Duplicates += n - 1
			r.problem("%s scheduled %d times", id, n)
		}
		if len(kinds(id, event.Succeeded)) > 0 && !anyCompleted(byExec[id]) && jobs[es[0].Job].duration > 0 {
			r.Lost++
			r.problem("%s recorded as succeeded without a completed run", id)
		}
		if n := len(finals(es)); n > 1 {
			r.Duplicates += n - 1
			r.problem("%s has %d final events: %v", id, n, eventKinds(es))
		}
	}
	return r
}

// recordedBefore reports whether attempt recorded its result (final or
// retrying) before t: a completion of the same slot after it is then a
// duplicate. An attempt that recorded nothing in time (its worker died or
// froze) makes the next one a re-run, which at-least-once execution allows.
func recordedBefore(evs []event.Event, attempt int, t time.Time) bool {
	for _, e := range evs {
		if e.Attempt == attempt && (e.Kind.Final() || e.Kind == event.Retrying) && e.Time.Before(t) {
			return true
		}
	}
	return false
}

func anyCompleted(xs []*run) bool {
	for _, x := range xs {
		if x.completed() {
			return true
		}
	}
	return false
}

func finals(evs []event.Event) []event.Event {
	var out []event.Event
	for _, e := range evs {
		if e.Kind.Final() {
			out = append(out, e)
		}
	}
	return out
}

func eventKinds(evs []event.Event) []string {
	out := make([]string, 0, len(evs))
	for _, e := range evs {
		s := string(e.Kind)
		if e.Attempt > 0 {
			s += fmt.Sprintf("#%d", e.Attempt)
		}
		out = append(out, s)
	}
	return out
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "still running"
	}
	return t.Format("15:04:05.000")
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// require checks the report: every count zero, at least one run expected.
func (r *report) require(t *testing.T) {
	t.Helper()
	t.Log(r.String())
	writeReport(r)
	require.Positive(t, r.Expected+r.Runs, "the scenario ran something")
	require.Empty(t, r.Problems, "%s", strings.Join(r.Problems, "\n"))
	require.Zero(t, r.Missed+r.Duplicates+r.Phantoms+r.Overlaps+r.Lost)
}

func (r *report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: jobs %d, expected slots %d, completed runs %d | missed %d, duplicates %d, phantoms %d, overlaps %d, acked-but-lost %d | re-runs after a crash %d, retried attempts %d",
		r.Scenario, r.Jobs, r.Expected, r.Runs, r.Missed, r.Duplicates, r.Phantoms, r.Overlaps, r.Lost, r.Reruns, r.Retries)
	for _, f := range r.Figures {
		fmt.Fprintf(&b, "\n  %s: %s", f.Name, f.Value)
	}
	return b.String()
}

// writeReport appends the scenario's line to the file named by
// JETCRON_FAULTS_REPORT (task test:faults sets it), in Markdown.
func writeReport(r *report) {
	path := os.Getenv("JETCRON_FAULTS_REPORT")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	var figs []string
	for _, fg := range r.Figures {
		figs = append(figs, fg.Name+": "+fg.Value)
	}
	fmt.Fprintf(f, "| %s | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d | %s |\n", r.Scenario, r.Jobs, r.Expected, r.Runs,
		r.Missed, r.Duplicates, r.Phantoms, r.Overlaps, r.Lost, r.Reruns, r.Retries, strings.Join(figs, "; "))
}
