package scheduler

import "time"

// idleWake bounds how long the loop sleeps with nothing due: a round that
// finds nothing to do costs nothing, and a state that some future change
// forgets to give a wake-up time is acted on within it instead of never.
const idleWake = 30 * time.Second

// eventRetry is how often events the stream did not take are offered again
// while nothing else wakes the loop.
const eventRetry = time.Second

// nextWake is the earliest time something is due. Every piece of state the
// loop holds that asks for action must give a time here — due slots,
// pending runs, delayed runs, dirty cursors, events not stored yet — or
// the loop sleeps through it: at a takeover, a delayed run loaded from the
// state bucket once had no retry time yet, its zero time was taken for "no
// wake-up", and the leader fired nothing for any job until something else
// woke it (the restart wedge). A zero time therefore means "now".
//
// A round that has something to fire while the leader's copy of the job
// definitions is not known to be current waits for the check instead
// (jobsview.go).
func (r *leaderRun) nextWake() time.Time {
	now := r.now()
	w := wake{t: now.Add(idleWake)}
	if t := r.fireWake(now); !r.view.current(now) && !t.After(now) {
		w.at(r.view.nextCheck(now))
	} else {
		w.at(t)
	}
	if r.state.pending() && r.flush.inFlight == nil {
		w.at(r.flush.next)
	}
	if len(r.events.queued) > 0 {
		w.at(r.events.nextRetry)
	}
	if len(r.pending.purges) > 0 {
		w.at(time.Time{})
	}
	return w.t
}

// fireWake is the earliest time something is due to be published: a slot,
// a pending run, a delayed run.
func (r *leaderRun) fireWake(now time.Time) time.Time {
	w := wake{t: now.Add(idleWake)}
	if t, ok := r.plan.NextDue(); ok {
		w.at(t)
	}
	if t, ok := r.pending.next(); ok {
		w.at(t)
	}
	if len(r.delayed.jobs) > 0 {
		w.at(r.delayed.nextRetry)
	}
	if len(r.delayed.offer) > 0 {
		w.at(time.Time{})
	}
	return w.t
}

// wake is the earliest of the times it is given; the zero time is the
// earliest of all.
type wake struct{ t time.Time }

func (w *wake) at(t time.Time) {
	if t.Before(w.t) {
		w.t = t
	}
}
