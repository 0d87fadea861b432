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
//
// The cost: a request to the jobs stream's leader per viewFresh while
// slots fire (one before each fire of a job that fires less often), and no
// fire while the jobs stream cannot answer — the slots wait, as for any
// other outage, and are fired or accounted for when it answers again.
const (
	// viewFresh is how long a check vouches for the leader's copy.
	viewFresh = time.Second
	// viewRetry is how soon a check is sent again after one failed, or
	// while the watch has not reached the revision the last one found.
	viewRetry = 250 * time.Millisecond
	// viewBehindLimit ends the term when the watch has not reached a
	// checked revision for this long: a watch that stopped delivering
	// without failing would otherwise hold every fire.
	viewBehindLimit = 30 * time.Second
)

// jobsView says whether the leader's copy of the job definitions is known
// to be current. The loop owns it; checks run in the background and their
// answers come back on results.
type jobsView struct {
	// rev is the highest revision the jobs watch has delivered.
	rev uint64
	// freshAt is when the newest check that the watch has caught up with
	// was sent.
	freshAt time.Time
	// target is a check's answer the watch has not caught up with yet.
	target *viewCheck
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
	// at is when the check was sent.
	at time.Time
	// last is the jobs stream's last revision then (that the watch can
	// still deliver).
	last uint64
	err  error
}

// delivered records that the watch delivered revision rev.
func (v *jobsView) delivered(rev uint64) {
	if rev <= v.rev {
		return
	}
	v.rev = rev
	if v.target != nil && v.rev >= v.target.last {
		v.caughtUp(v.target.at)
	}
}

func (v *jobsView) caughtUp(at time.Time) {
	if at.After(v.freshAt) {
		v.freshAt = at
	}
	v.target = nil
}

// current reports whether a round at now may publish.
func (v *jobsView) current(now time.Time) bool {
	return !v.freshAt.IsZero() && now.Sub(v.freshAt) < viewFresh
}

// aging reports whether the newest check is half its life old, or none
// vouches for the copy.
func (v *jobsView) aging(now time.Time) bool {
	return v.freshAt.IsZero() || now.Sub(v.freshAt) >= viewFresh/2
}

// nextCheck is when a check is to be sent for a round that waits; the
// zero time is now, and a far time means an answer or the watch wakes
// the loop first.
func (v *jobsView) nextCheck(now time.Time) time.Time {
	switch {
	case v.checking:
		return now.Add(idleWake)
	case v.target != nil:
		return v.target.at.Add(viewRetry)
	}
	return v.retryAt
}

// behind fails when the watch has not reached a checked revision for
// viewBehindLimit.
func (v *jobsView) behind(now time.Time) error {
	if v.target == nil || now.Sub(v.target.at) < viewBehindLimit {
		return nil
	}
	return fmt.Errorf("jobs watch at revision %d has not reached the bucket's revision %d in %s", v.rev, v.target.last, now.Sub(v.target.at).Round(time.Second))
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
	return viewCheck{at: at, last: last}
}

// viewChecked takes a check's answer.
func (r *leaderRun) viewChecked(ctx context.Context, c viewCheck) {
	v := &r.view
	v.checking = false
	if c.err != nil {
		v.retryAt = c.at.Add(viewRetry)
		v.failing++
		if v.failing == 1 || v.failing%20 == 0 {
			r.log.WarnContext(ctx, "not firing: cannot check that the job definitions are current", "failed", v.failing, "error", c.err)
		}
		return
	}
	if v.failing > 0 {
		r.log.InfoContext(ctx, "job definitions checked current again", "after", v.failing)
		v.failing = 0
	}
	if v.rev >= c.last {
		v.caughtUp(c.at)
		return
	}
	v.target = &c
}
