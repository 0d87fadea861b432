package scheduler

import (
	"context"
	"errors"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/scheduler/internal/dispatch"
)

// overlapRule is what the leader does about a job's overlap policy
// (job.Spec.Overlap): what a new execution of the job does while another
// one has not ended. This file is the one place that decides it.
//
// # The broker rule
//
// The work stream keeps at most one message per subject and refuses the
// new one (MaxMsgsPerSubject: 1, Discard: DiscardNew, DiscardNewPerSubject;
// topology.Config.WorkStreamConfig, pkg/topology/ensure.go), and a work
// message stays on it until its execution ends: retention is work-queue,
// and the worker acks the message only after it has recorded the result
// (the leader removes one that ran out of deliveries, maxdeliver.go). The
// work item of an exclusive job is published on a subject per job
// (topology.Names.WorkSubject with exclusive true), so while one of its
// executions waits or runs, the broker refuses a second: dispatch reports
// the item Busy (a refusal to store while the subject holds a message),
// and busy below decides what it becomes. The item of a job that is not
// exclusive is published on a subject per execution, which the rule never
// limits. The leader keeps no count of running executions: the broker's
// refusal is the only "the job is running" it acts on. (Within one round,
// dispatch.Publish publishes an exclusive job's later items only after
// its first is stored, so the rule holds inside an atomic batch too and
// the job's slots run in order.)
//
// # The policies
//
//   - delay (the default): exclusive. A refused item becomes the job's
//     delayed run (job.Runtime.Buffered, kept in the state bucket; one per
//     job) and a delayed event is recorded. A second item refused while one
//     waits is recorded skipped. The delayed run is offered to the broker
//     again when an execution of the job ends, every bufferedRetry, and
//     before the job's newer slots in the same round, so it runs before
//     them (delayed.go). A takeover applies the same "one delayed run per
//     job" to the delayed events the previous leader recorded but did not
//     yet keep (recover.go, applyTail).
//   - skip: exclusive. A refused item is recorded skipped.
//   - allow: not exclusive; executions run side by side.
//   - replace: not exclusive. Before its new item is published, the job's
//     executions on the work stream are cancelled (replaceRunning; the
//     cancel itself is in replace.go).
//
// A forced run (`job run --force`) is never exclusive, whatever the policy:
// it runs beside whatever runs.
//
// Concurrency keys and queue caps limit executions across jobs
// (concurrency.go): they are checked before the broker sees an item, and
// for them the leader does count the executions holding each key. An item
// that waits for one comes back Busy with a *gateWait, and busy delays it
// whatever the policy (it is not the job that is running).
//
// # Adding a policy
//
// A policy is a constant of job.Overlap (pkg/job/spec.go) that its
// validation accepts (pkg/job/validate.go); the CLI names the policies in
// the help of `job create --overlap` (cmd/jetcron/cli/jobcreate.go). What
// the scheduler does about it is a case of ruleOf and, for what the
// fields below cannot say, a branch in busy or replaceRunning: this file.
type overlapRule struct {
	// exclusive: the job's items share one work subject, so that the
	// broker refuses a second one while one is on the stream.
	exclusive bool
	// delay: a refused item becomes the job's delayed run (if it has none
	// yet); otherwise it is recorded skipped.
	delay bool
	// replace: the job's executions on the work stream are cancelled
	// before a new item of the job is published.
	replace bool
}

// ruleOf returns the rule of an overlap policy. A definition reaches the
// leader validated and with its defaults (catalog.DecodeSpec), so the
// policy is one pkg/job knows; "" is the default, delay.
func ruleOf(o job.Overlap) overlapRule {
	switch o {
	case job.OverlapDelay, "":
		return overlapRule{exclusive: true, delay: true}
	case job.OverlapSkip:
		return overlapRule{exclusive: true}
	case job.OverlapReplace:
		return overlapRule{replace: true}
	case job.OverlapAllow:
		return overlapRule{}
	default:
		// Not reached: validation refuses a policy pkg/job does not know.
		// One added there and not here would run as allow.
		return overlapRule{}
	}
}

// exclusive reports whether an execution of spec is published on its
// job's one subject, where the broker refuses it while another execution
// of the job is on the stream; a forced run never is.
func exclusive(spec job.Spec, force bool) bool {
	return ruleOf(spec.Overlap).exclusive && !force
}

// busy handles an execution the broker refused because its job is
// running, by the job's overlap policy, or one that waits for a
// concurrency key or a queue's cap (why is a *gateWait; concurrency.go),
// which is delayed whatever the policy. from is the pending run it came
// from, if any. It reports whether the run became the job's delayed run.
func (r *leaderRun) busy(w *job.Work, from *job.Pending, why error) bool {
	now := r.now()
	st := r.state.get(w.Job)
	delay := ruleOf(w.Spec.Overlap).delay
	var wait *gateWait
	if errors.As(why, &wait) {
		delay = true
	}
	if delay && (st.rt.Buffered == nil || st.rt.Buffered.ID == w.ID) {
		p := &job.Pending{ID: w.ID, Job: w.Job, At: w.ScheduledAt, Slot: w.ScheduledAt, Trigger: w.Trigger, Params: w.Params, ParentID: w.ParentID}
		if from != nil {
			p.CreatedAt, p.Stored = from.CreatedAt, true
		}
		if st.rt.Buffered == nil {
			reason := "the previous execution has not ended (overlap delay)"
			if wait != nil {
				reason = wait.Error()
			}
			r.emit(event.Event{Kind: event.Delayed, Job: w.Job, Execution: w.ID, Time: now, ScheduledAt: event.Slot(w.ScheduledAt), WallTime: event.WallTime(w.ScheduledAt, w.Spec.Schedule.Location()), TZ: w.Spec.Schedule.TZ, Trigger: w.Trigger, Queue: w.Spec.Queue, Params: w.Params, ParentID: w.ParentID, Reason: reason})
			r.s.cfg.Metrics.slot("delayed", 1)
		}
		r.setBuffered(w.Job, p)
		return true
	}
	reason := "the previous execution has not ended (overlap skip)"
	if delay {
		reason = "the previous execution has not ended and " + st.rt.Buffered.ID + " is already waiting (overlap delay keeps one)"
	}
	if wait != nil {
		reason = wait.Error() + " and " + st.rt.Buffered.ID + " is already waiting (a job keeps one run waiting)"
	}
	if w.Trigger == job.TriggerManual {
		reason += "; use --force to run anyway"
	}
	e := event.Event{Kind: event.Skipped, Job: w.Job, Execution: w.ID, Time: now, ScheduledAt: event.Slot(w.ScheduledAt), WallTime: event.WallTime(w.ScheduledAt, w.Spec.Schedule.Location()), TZ: w.Spec.Schedule.TZ, Trigger: w.Trigger, Params: w.Params, ParentID: w.ParentID, Reason: reason}
	if from != nil {
		r.skipContended(e) // a pending run, which a cancel may be ending too
	} else {
		r.emit(e)
	}
	r.s.cfg.Metrics.slot("skipped", 1)
	return false
}

// replaceRunning cancels the executions on the work stream of every
// replace-policy job among items, once per job, before they are published.
func (r *leaderRun) replaceRunning(ctx context.Context, items []dispatch.Item) {
	done := map[string]bool{}
	for _, it := range items {
		w := &it.Work
		if !ruleOf(w.Spec.Overlap).replace || done[w.Job] {
			continue
		}
		done[w.Job] = true
		r.cancelOthers(ctx, w)
	}
}
