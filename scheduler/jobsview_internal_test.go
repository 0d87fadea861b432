package scheduler

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/clock"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/leader"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/topology"
	"github.com/jetcron/jetcron/scheduler/internal/catalog"
	"github.com/jetcron/jetcron/scheduler/internal/jobdef"
)

// viewFixture is a leader's term driven by hand: its jobs watch is the
// test, which delivers the bucket's changes when it chooses — a watch
// that lags, as one did for seconds after the leader's connection moved
// to another server in an outage.
type viewFixture struct {
	t      *testing.T
	env    natstest.Env
	clk    *clock.Fake
	r      *leaderRun
	jobsKV jetstream.KeyValue
}

func newViewFixture(t *testing.T) *viewFixture {
	t.Helper()
	env := natstest.Ensured(t)
	ctx := t.Context()
	names := env.Topo.Names()
	bucket := func(name string) jetstream.KeyValue {
		kv, err := env.JS.KeyValue(ctx, name)
		require.NoError(t, err)
		return kv
	}
	el, err := leader.New(bucket(names.LeaderBucket()), leader.Config{ID: "view", Key: topology.LeaderKey, TTL: env.Topo.LeaseTTL,
		OnLead: func(ctx context.Context, _ *leader.Lease) { <-ctx.Done() }})
	require.NoError(t, err)
	require.NoError(t, el.Start(ctx))
	t.Cleanup(func() { _ = el.Stop(context.Background()) })
	natstest.Eventually(t, 20*time.Second, func() bool { l := el.Leading(); return l != nil && l.Valid() }, "the candidate leads")

	clk := clock.NewFake(time.Now().UTC().Truncate(time.Second))
	s, err := New(env.NC, Config{Topology: env.Topo, Clock: clk})
	require.NoError(t, err)
	r := newLeaderRun(s, el.Leading())
	r.jobs.kv, r.pending.kv = bucket(names.JobsBucket()), bucket(names.PendingBucket())
	r.state = newStateStore(bucket(names.StateBucket()), r.lease.Term())
	require.NoError(t, r.state.load(ctx))
	r.recovered = true
	return &viewFixture{t: t, env: env, clk: clk, r: r, jobsKV: r.jobs.kv}
}

// put stores a job that fires every second from now, its runs allowed to
// overlap (no worker ends them here), and returns its revision; the leader
// does not know it until deliver.
func (f *viewFixture) put(name string) uint64 {
	f.t.Helper()
	spec := job.Spec{Name: name, Schedule: job.Schedule{Every: job.Duration(time.Second)}, Overlap: job.OverlapAllow,
		Task: job.Task{Kind: job.TaskCommand, Command: []string{"true"}}, CreatedAt: f.clk.Now()}
	require.NoError(f.t, spec.NormalizeInPlace())
	data, err := json.Marshal(spec)
	require.NoError(f.t, err)
	rev, err := f.jobsKV.Put(f.t.Context(), name, data)
	require.NoError(f.t, err)
	return rev
}

// deliver hands the leader the change of name at rev, as its watch would.
func (f *viewFixture) deliver(name string, rev uint64) {
	f.t.Helper()
	c := catalog.Change[jobdef.Def]{Key: name, Revision: rev}
	ent, err := f.jobsKV.GetRevision(f.t.Context(), name, rev)
	if err == nil && ent.Operation() == jetstream.KeyValuePut {
		c.Value, c.Err = f.r.jobs.defs.Decode(ent)
		require.NoError(f.t, c.Err)
	}
	f.r.jobChanged(f.t.Context(), c)
	f.r.view.delivered(rev, f.clk.Now())
}

// round runs a round at the fake clock's time, and then another once a
// check it sent has its answer.
func (f *viewFixture) round() {
	f.t.Helper()
	require.NoError(f.t, f.r.tick(f.t.Context()))
	if f.r.view.checking {
		f.r.viewChecked(f.t.Context(), <-f.r.view.results)
		require.NoError(f.t, f.r.tick(f.t.Context()))
	}
}

// fired returns the executions of name on the work stream.
func (f *viewFixture) fired(name string) []string {
	f.t.Helper()
	names := f.env.Topo.Names()
	st, err := f.env.JS.Stream(f.t.Context(), names.WorkStream())
	require.NoError(f.t, err)
	var ids []string
	for seq := st.CachedInfo().State.FirstSeq; seq <= st.CachedInfo().State.LastSeq && st.CachedInfo().State.Msgs > 0; seq++ {
		m, err := st.GetMsg(f.t.Context(), seq)
		if err != nil {
			continue
		}
		var w job.Work
		require.NoError(f.t, json.Unmarshal(m.Data, &w))
		if w.Job == name {
			ids = append(ids, w.ID)
		}
	}
	return ids
}

// TestNoFireFromADefinitionTheBucketReplaced: a job is deleted while the
// leader's watch has not delivered the deletion. The leader must not fire
// its next slot from the definition it still holds; it fires again once
// the watch has caught up with what the bucket held when it checked.
func TestNoFireFromADefinitionTheBucketReplaced(t *testing.T) {
	t.Parallel()
	f := newViewFixture(t)
	ctx := t.Context()
	f.deliver("gone", f.put("gone"))
	f.deliver("kept", f.put("kept"))

	f.clk.Advance(time.Second)
	f.round()
	gone, kept := len(f.fired("gone")), len(f.fired("kept"))
	require.NotZero(t, gone, "a current copy fires")
	require.NotZero(t, kept)

	require.NoError(t, f.jobsKV.Delete(ctx, "gone"))
	f.clk.Advance(2 * viewFresh)
	f.round()
	require.Len(t, f.fired("gone"), gone, "no slot fired from the definition the deletion replaced")
	require.Len(t, f.fired("kept"), kept, "nothing fires while the copy is behind the bucket")
	require.NotEmpty(t, f.r.view.targets, "the check found a revision the watch has not delivered")

	status, err := f.jobsKV.Status(ctx)
	require.NoError(t, err)
	f.deliver("gone", status.(*jetstream.KeyValueBucketStatus).StreamInfo().State.LastSeq)
	f.round()
	require.Len(t, f.fired("gone"), gone, "deleted")
	require.Greater(t, len(f.fired("kept")), kept, "the other job fires once the watch caught up")
}

// TestViewOfABucketWhoseLastMessageIsGone: a watch never delivers a message
// removed from the stream, so the bucket's last revision alone would hold
// every fire for good; the check looks for what the watch can still
// deliver.
func TestViewOfABucketWhoseLastMessageIsGone(t *testing.T) {
	t.Parallel()
	f := newViewFixture(t)
	ctx := t.Context()
	f.deliver("kept", f.put("kept"))
	rev := f.put("removed")
	st, err := f.env.JS.Stream(ctx, "KV_"+f.env.Topo.Names().JobsBucket())
	require.NoError(t, err)
	require.NoError(t, st.Purge(ctx, jetstream.WithPurgeSubject("$KV."+f.env.Topo.Names().JobsBucket()+".removed")))
	info, err := st.Info(ctx)
	require.NoError(t, err)
	require.Equal(t, rev, info.State.LastSeq, "the stream's last revision is one no watch delivers")

	f.clk.Advance(time.Second)
	f.round()
	require.NotEmpty(t, f.fired("kept"))
	require.True(t, f.r.view.current(f.clk.Now()))
}

// TestViewBehindForTooLongEndsTheTerm: a watch that stops delivering
// without failing would hold every fire; the term ends instead, and the
// next one starts with a new watch.
func TestViewBehindForTooLongEndsTheTerm(t *testing.T) {
	t.Parallel()
	f := newViewFixture(t)
	f.deliver("kept", f.put("kept"))
	f.put("later") // never delivered

	f.clk.Advance(time.Second)
	f.round()
	require.Empty(t, f.fired("kept"))
	f.clk.Advance(viewBehindLimit)
	require.ErrorContains(t, f.r.tick(t.Context()), "has delivered nothing in 30s")
}

// TestViewOfAWatchThatLagsButMoves: while definitions are written faster
// than a busy leader's watch delivers them, each check finds a newer
// revision. The watch passing an older check's revision makes the copy
// fresh as of that check — were each check to replace the last, a watch
// that stays a little behind would never catch up with any, and nothing
// would fire — and a watch that moves never ends the term.
func TestViewOfAWatchThatLagsButMoves(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 5, 21, 0, 0, 0, time.UTC)
	v := jobsView{}
	v.delivered(5, t0)
	for i, last := range []uint64{10, 20, 30} {
		v.answered(viewCheck{at: t0.Add(time.Duration(i) * viewRetry), last: last})
	}
	now := t0.Add(3 * viewRetry)
	require.False(t, v.current(now), "no check vouches yet")

	v.delivered(12, now)
	require.True(t, v.current(now), "past the first check's revision")
	require.Equal(t, t0, v.freshAt)
	v.delivered(25, now)
	require.Equal(t, t0.Add(viewRetry), v.freshAt, "past the second")
	require.Len(t, v.targets, 1)

	// Slow, but moving: the term goes on.
	for i := range 4 {
		now = now.Add(viewBehindLimit / 2)
		v.delivered(uint64(26+i), now)
		require.NoError(t, v.behind(now))
	}
	require.ErrorContains(t, v.behind(now.Add(viewBehindLimit)), "has delivered nothing in 30s")
	v.delivered(30, now)
	require.Empty(t, v.targets)
	require.NoError(t, v.behind(now.Add(viewBehindLimit)))
}

// TestViewOfASlowCheck: a check vouches from when it was sent. On a
// loaded server whose answers take longer than the check's life, every
// answer would come too late to vouch for anything and nothing would
// fire; a slow check stretches the life to twice its round trip.
func TestViewOfASlowCheck(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 5, 22, 0, 0, 0, time.UTC)
	v := jobsView{}
	v.delivered(7, t0)
	v.answered(viewCheck{at: t0, done: t0.Add(viewFresh / 4), last: 7})
	require.True(t, v.current(t0.Add(viewFresh/4)))
	require.False(t, v.current(t0.Add(viewFresh)), "a quick check vouches for viewFresh")

	slow := 3 * viewFresh / 2
	v.answered(viewCheck{at: t0.Add(2 * viewFresh), done: t0.Add(2*viewFresh + slow), last: 7})
	require.True(t, v.current(t0.Add(2*viewFresh+slow)), "the answer of a slow check still vouches")
	require.False(t, v.aging(t0.Add(2*viewFresh+slow-time.Millisecond)))
	require.False(t, v.current(t0.Add(2*viewFresh+2*slow)), "for twice its round trip")
}
