package scheduler

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/scheduler/internal/catalog"
	"github.com/jetcron/jetcron/scheduler/internal/jobdef"
	"github.com/jetcron/jetcron/scheduler/internal/plan"
)

// knownJobs are the job definitions the leader knows, from the watch of
// the jobs bucket; replan turns each into its entry in the plan.
type knownJobs struct {
	// byName is the leader's one table of its jobs: the plan keeps no
	// index of its own (a million jobs, one map).
	byName map[string]*known
	// defs is the process's store of definitions, shared with its
	// watchdog (scheduler/internal/jobdef).
	defs *jobdef.Store
	// invalid are the jobs whose definition is invalid: job -> the
	// revision reported invalid.
	invalid map[string]uint64
	// kv is the jobs bucket (for a definition's earlier revisions).
	kv jetstream.KeyValue
}

// known is a job the leader knows: its definition and its place in the
// plan (the zero Item while it is out of it).
type known struct {
	def  *jobdef.Def
	item plan.Item
}

// def returns a job's definition, or nil if the leader does not know it.
func (k *knownJobs) def(name string) *jobdef.Def {
	if j := k.byName[name]; j != nil {
		return j.def
	}
	return nil
}

// unplan takes a job out of the plan, if it is in it.
func (k *knownJobs) unplan(p *plan.Plan, name string) {
	if j := k.byName[name]; j != nil {
		p.Remove(&j.item)
	}
}

// retry makes a planned job due again at t (plan.Retry).
func (k *knownJobs) retry(p *plan.Plan, name string, cursor, t time.Time) {
	if j := k.byName[name]; j != nil {
		p.Retry(&j.item, cursor, t)
	}
}

// planned returns a planned job's entry.
func (k *knownJobs) planned(p *plan.Plan, name string) (plan.Entry, bool) {
	if j := k.byName[name]; j != nil {
		return p.Get(&j.item)
	}
	return plan.Entry{}, false
}

// jobChanged applies a change of a job definition to the plan.
func (r *leaderRun) jobChanged(ctx context.Context, c catalog.Change[jobdef.Def]) {
	name := c.Key
	if c.Value == nil && c.Err == nil { // deleted
		if !r.recovered && r.jobs.def(name) == nil {
			// Deleted before this takeover: its state stays until the tail
			// is read (accountDeleted).
			return
		}
		if prev := r.jobs.def(name); prev != nil {
			r.accountUnfired(name, prev.Spec(), r.now(), "no leader fired it before the job was deleted")
		}
		r.skipDelayed(name, "its job was deleted while it waited")
		r.jobs.unplan(r.plan, name)
		delete(r.jobs.byName, name)
		delete(r.jobs.invalid, name)
		delete(r.delayed.jobs, name)
		r.retained.remove(name)
		r.state.remove(name)
		return
	}
	if c.Err != nil {
		r.jobs.unplan(r.plan, name)
		r.retained.remove(name)
		delete(r.jobs.byName, name)
		if r.jobs.invalid[name] != c.Revision {
			r.jobs.invalid[name] = c.Revision
			r.log.WarnContext(ctx, "skipping invalid job definition", "job", name, "revision", c.Revision, "error", c.Err)
			jobName := name
			if job.ValidateName(jobName) != nil {
				jobName = "_invalid"
			}
			r.emit(event.Event{Kind: event.JobInvalid, Job: jobName, Time: r.now(), Revision: c.Revision, Reason: fmt.Sprintf("definition under key %q: %v", name, c.Err), Attempt: int(c.Revision % 1_000_000_000)})
		}
		return
	}
	delete(r.jobs.invalid, name)
	def := c.Value
	spec := def.Spec()
	// The name's one copy: the keys of the maps and the plan share it
	// (with the watchdog's, package jobdef).
	name = def.Name()
	prev := r.jobs.def(name)
	if r.recovered {
		// (At a takeover, once the tail is read, accountTakeover.)
		r.accountChange(prev, spec)
	}
	if k := r.jobs.byName[name]; k != nil {
		k.def = def
	} else {
		r.jobs.byName[name] = &known{def: def}
	}
	r.retained.set(name, spec.Retention, spec.Completions)
	if prev != nil && scheduleChanged(prev.Spec(), spec) && r.state.peek(name).Completed {
		st := r.state.get(name)
		st.rt.Completed = false
		r.state.markDirty(name)
	}
	r.replan(name)
}

func scheduleChanged(a, b job.Spec) bool {
	return a.Schedule.String() != b.Schedule.String() || a.Completions != b.Completions ||
		!a.EnabledAt.Equal(b.EnabledAt)
}

// replan (re)inserts a job into the plan from its definition and state.
func (r *leaderRun) replan(name string) {
	k := r.jobs.byName[name]
	if k == nil {
		return
	}
	spec := k.def.Spec()
	rt := r.state.peek(name)
	if spec.Disabled || rt.Completed {
		r.plan.Remove(&k.item)
		return
	}
	sched, err := spec.Schedule.Compile()
	if err != nil {
		r.plan.Remove(&k.item)
		return
	}
	remaining := int64(-1)
	if spec.Completions > 0 {
		remaining = max(int64(spec.Completions)-rt.Fired, 0)
	}
	cursor, notBefore := r.cursorOf(name), owedFrom(spec)
	ok := r.plan.Upsert(&k.item, plan.Entry{
		Job:       name,
		Schedule:  sched,
		Jitter:    jitterOf(name, spec.Jitter.D()),
		Window:    spec.CatchUp.Window.D(),
		Latest:    spec.CatchUp.Policy == job.CatchUpLatest,
		Cursor:    cursor,
		NotBefore: notBefore,
		Remaining: remaining,
		Skip:      r.calendarSkip(spec),
	})
	if !ok {
		r.complete(name)
	}
	r.s.cfg.Metrics.planned(r.plan.Len())
}

// cursorOf is a job's cursor: the newest slot accounted for, in its state
// or in the plan, whichever is newer.
func (r *leaderRun) cursorOf(name string) time.Time {
	cursor := r.state.peek(name).LastSlot
	if cur, ok := r.jobs.planned(r.plan, name); ok && cur.Cursor.After(cursor) {
		cursor = cur.Cursor
	}
	return cursor
}

// owedFrom is when a definition's slots start to be owed: its last enable
// (or schedule change), else its creation.
func owedFrom(spec job.Spec) time.Time {
	if spec.EnabledAt.IsZero() {
		return spec.CreatedAt
	}
	return spec.EnabledAt
}

// jitterOf is a job's fixed jitter offset in [0, max): the same on every
// replica and every run, different between jobs.
func jitterOf(name string, max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	return time.Duration(h.Sum64()%uint64(max/time.Millisecond)) * time.Millisecond
}

func (r *leaderRun) complete(name string) {
	st := r.state.get(name)
	if st.rt.Completed {
		return
	}
	st.rt.Completed = true
	st.rt.CompletedAt = r.now().UTC()
	r.state.markDirty(name)
	r.emit(event.Event{Kind: event.JobCompleted, Job: name, Time: r.now(), Reason: fmt.Sprintf("fired %d times; no further slot", st.rt.Fired)})
}
