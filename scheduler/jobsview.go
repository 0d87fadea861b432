package scheduler

import (
	"context"
	"fmt"
	"time"

	"github.com/jetcron/jetcron/pkg/streamio"
)

// The leader fires from its own copy of the job definitions, which its
// watch of the jobs bucket keeps. A watch delivers a change some time after
// the bucket stored it: milliseconds, or seconds when the leader's
// connection moved to another server during an outage — a slot once fired
// 2.6 s after its job's deletion had been acknowledged (docs/reliability.md,
// item 33). jobsView bounds that lag. A check asks the jobs stream's leader
// for its last revision; once the watch has delivered that revision, the
// leader's copy held every change acknowledged before the check was sent.
// A round publishes only while the newest such check is younger than
// viewFresh: no slot due more than viewFresh after a job's deletion,
// disabling or schedule change is fired from the definition it replaced.
// A check that takes longer than half of that to answer (a loaded
// server) stretches the bound to twice its round trip: a check vouches
// from when it was sent, and with a fixed bound every answer would come
// too late to vouch for anything, and nothing would ever fire.
//
// The cost: a request to the jobs stream's leader per viewFresh while
// slots fire (one before each fire of a job that fires less often), and no
// fire while the jobs stream cannot answer — the slots wait, as for any
// other outage, and are fired or accounted for when it answers again.
const (
	// viewFresh is how long a check vouches for the leader's copy (longer
	// after a slow check: jobsView.life).
	viewFresh = time.Second
	// viewRetry is how soon a check is sent again after one failed, or
	// while the watch has not reached the revision the last one found.
	viewRetry = 250 * time.Millisecond
	// viewBehindLimit ends the term when the watch, behind a checked
	// revision, has delivered nothing for this long: a watch that stopped
	// without failing would otherwise hold every fire. A watch that is
	// slow but moves holds fires only while it is more than viewFresh
	// behind, and never ends the term.
	viewBehindLimit = 30 * time.Second
	// viewTargets bounds the checks the watch has not caught up with.
	viewTargets = 8
)

// jobsView says whether the leader's copy of the job definitions is known
// to be current. The loop owns it; checks run in the background and their
// answers come back on results.
type jobsView struct {
	// rev is the highest revision the jobs watch has delivered.
	rev uint64
	// movedAt is when rev last grew.
	movedAt time.Time
	// freshAt is when the newest check that the watch has caught up with
	// was sent.
	freshAt time.Time
	// rtt is how long the last check took to answer.
	rtt time.Duration
	// targets are the checks' answers the watch has not caught up with
	// yet, oldest first (their revisions grow): a watch that lags but
	// moves passes them one by one, each making the copy fresh as of its
	// check.
	targets []viewCheck
	// checking is set while a check is out.
	checking bool
	// retryAt is when a check is sent again after a failed one.
	retryAt time.Time
	// failing counts the checks failed in a row (for the log).
	failing int
	results chan viewCheck
}

// viewCheck is a check's answer.
type viewCheck struct {
	// at is when the check was sent, done when its answer came.
	at, done time.Time
	// last is the jobs stream's last revision then (that the watch can
	// still deliver).
	last uint64
	err  error
}

// delivered records that the watch delivered revision rev at now.
func (v *jobsView) delivered(rev uint64, now time.Time) {
	if rev <= v.rev {
		return
	}
	v.rev, v.movedAt = rev, now
	n := 0
	for n < len(v.targets) && v.targets[n].last <= rev {
		v.caughtUp(v.targets[n].at)
		n++
	}
	v.targets = v.targets[n:]
}

func (v *jobsView) caughtUp(at time.Time) {
	if at.After(v.freshAt) {
		v.freshAt = at
	}
}

// waitFor adds a check's answer the watch has not caught up with.
func (v *jobsView) waitFor(c viewCheck) {
	if len(v.targets) == viewTargets {
		v.targets = v.targets[1:]
	}
	v.targets = append(v.targets, c)
}

// life is how long a check vouches for the copy: viewFresh, or twice the
// last check's round trip when that is longer.
func (v *jobsView) life() time.Duration {
	return max(viewFresh, 2*v.rtt)
}

// current reports whether a round at now may publish.
func (v *jobsView) current(now time.Time) bool {
	return !v.freshAt.IsZero() && now.Sub(v.freshAt) < v.life()
}

// aging reports whether the newest check is half its life old, or none
// vouches for the copy.
func (v *jobsView) aging(now time.Time) bool {
	return v.freshAt.IsZero() || now.Sub(v.freshAt) >= v.life()/2
}

// nextCheck is when a check is to be sent for a round that waits; the
// zero time is now, and a far time means an answer or the watch wakes
// the loop first.
func (v *jobsView) nextCheck(now time.Time) time.Time {
	switch {
	case v.checking:
		return now.Add(idleWake)
	case len(v.targets) > 0:
		// Asked again: the last message may be gone (askJobsRevision).
		return v.targets[len(v.targets)-1].at.Add(viewRetry)
	}
	return v.retryAt
}

// behind fails when the watch, behind a checked revision, has delivered
// nothing for viewBehindLimit.
func (v *jobsView) behind(now time.Time) error {
	if len(v.targets) == 0 {
		return nil
	}
	since := v.targets[0].at
	if v.movedAt.After(since) {
		since = v.movedAt
	}
	if now.Sub(since) < viewBehindLimit {
		return nil
	}
	return fmt.Errorf("jobs watch at revision %d has delivered nothing in %s, behind the bucket's revision %d", v.rev, now.Sub(since).Round(time.Second), v.targets[len(v.targets)-1].last)
}

// checkView sends a check, unless one is out or it is not time yet.
func (r *leaderRun) checkView(ctx context.Context, now time.Time) {
	v := &r.view
	if v.checking || now.Before(v.nextCheck(now)) {
		return
	}
	v.checking = true
	rev := v.rev
	r.bg.Add(1)
	go func() {
		defer r.bg.Done()
		c := r.askJobsRevision(ctx, now, rev)
		select {
		case v.results <- c:
		case <-ctx.Done():
		}
	}()
}

// askJobsRevision asks the jobs stream's leader for its last revision (a
// stream's info comes from its leader, which has every acknowledged
// write). A watch never delivers a message removed from the stream, so when
// the watch is behind, it also asks for the first message after rev: if
// none is there up to the last revision, nothing is left to wait for.
func (r *leaderRun) askJobsRevision(ctx context.Context, at time.Time, rev uint64) viewCheck {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	bucket := r.s.names.JobsBucket()
	stream := "KV_" + bucket
	st, err := r.s.js.Stream(ctx, stream)
	if err != nil {
		return viewCheck{at: at, err: fmt.Errorf("ask the last revision of %s: %w", stream, err)}
	}
	last := st.CachedInfo().State.LastSeq
	if last > rev {
		m, ok, err := streamio.NextFromLeader(ctx, r.s.nc, stream, "$KV."+bucket+".>", rev+1)
		if err != nil {
			return viewCheck{at: at, err: err}
		}
		if !ok || m.Seq > last {
			last = rev
		}
	}
	return viewCheck{at: at, done: r.now(), last: last}
}

// viewChecked takes a check's answer.
func (r *leaderRun) viewChecked(ctx context.Context, c viewCheck) {
	v := &r.view
	failing := v.failing
	v.answered(c)
	switch {
	case c.err != nil && (v.failing == 1 || v.failing%20 == 0):
		r.log.WarnContext(ctx, "not firing: cannot check that the job definitions are current", "failed", v.failing, "error", c.err)
	case c.err == nil && failing > 0:
		r.log.InfoContext(ctx, "job definitions checked current again", "after", failing)
	}
}

// answered takes a check's answer.
func (v *jobsView) answered(c viewCheck) {
	v.checking = false
	if c.err != nil {
		v.retryAt = c.at.Add(viewRetry)
		v.failing++
		return
	}
	v.failing = 0
	v.rtt = max(c.done.Sub(c.at), 0)
	if v.rev >= c.last {
		v.caughtUp(c.at)
		v.targets = v.targets[:0] // older, and lower
		return
	}
	v.waitFor(c)
}
