package leader_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/leader"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/topology"
)

func TestNewValidatesConfig(t *testing.T) {
	t.Parallel()
	onLead := func(context.Context, *leader.Lease) {}
	tests := []struct {
		name    string
		cfg     leader.Config
		wantErr string
	}{
		{name: "Valid", cfg: leader.Config{ID: "a", TTL: time.Second, OnLead: onLead}},
		{name: "MissingID", cfg: leader.Config{TTL: time.Second, OnLead: onLead}, wantErr: "id is required"},
		{name: "TTLShorterThanASecond", cfg: leader.Config{ID: "a", TTL: 999 * time.Millisecond, OnLead: onLead}, wantErr: "ttl 999ms is shorter than 1s"},
		{name: "MissingOnLead", cfg: leader.Config{ID: "a", TTL: time.Second}, wantErr: "OnLead is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			el, err := leader.New(nil, tt.cfg)
			if tt.wantErr == "" {
				require.NoError(t, err)
				require.NotNil(t, el)
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
			require.Nil(t, el)
		})
	}
}

// One candidate takes the lease; a second one keeps trying and failing while
// it is held, and everybody's Current names the holder.
func TestElectorOneLeaderAtATime(t *testing.T) {
	t.Parallel()
	const ttl = 30 * time.Second // never expires on the server during the test
	b := setup(t, ttl)
	clkA, clkB := newCountingClock(), newCountingClock()

	a, la := b.lead(t, "a", candidateOptions{clock: clkA})

	require.Same(t, la, a.el.Leading())
	e := b.entry(t)
	require.NotNil(t, e)
	require.Equal(t, e.Revision(), la.Term(), "the term is the revision that created the key")
	require.Equal(t, "a", recordID(t, e.Value()))
	require.True(t, la.Valid())
	require.Equal(t, ttl-ttl/10, la.Remaining(), "default margin is TTL/10, counted from the create")

	rec, ok, err := a.el.Current(t.Context())
	require.NoError(t, err)
	require.True(t, ok)
	host, _ := os.Hostname()
	require.Equal(t, leader.Record{ID: "a", Host: host, PID: os.Getpid(), Since: t0}, rec)

	bc := b.candidate(t, "b", candidateOptions{clock: clkB})
	bc.start(t, b)
	// B's first attempt failed: it waits for its next poll.
	waitArmed(t, clkB, 1)
	const poll = time.Second // min(1s, TTL/3)
	for range 3 {
		made := clkB.made.Load()
		clkB.Advance(poll)
		natstest.Eventually(t, 10*time.Second, func() bool { return clkB.made.Load() > made && clkB.Timers() >= 1 },
			"b tries again after its poll interval")
	}
	require.Nil(t, bc.el.Leading())
	require.Zero(t, bc.calls.Load(), "OnLead of b ran while a held the lease")

	rec, ok, err = bc.el.Current(t.Context())
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "a", rec.ID)
	require.Equal(t, la.Term(), b.entry(t).Revision(), "b wrote to the held key")
	require.Same(t, la, a.el.Leading())
}

// The leader renews every TTL/3 with a revision-checked update; each
// renewal moves the lease's end to TTL − margin after the renewal was sent,
// and the term stays that of the create.
func TestElectorRenewalExtendsLeaseFromSendTime(t *testing.T) {
	t.Parallel()
	const ttl = 30 * time.Second
	const valid = ttl - ttl/10
	b := setup(t, ttl)
	clk := newCountingClock()
	a, la := b.lead(t, "a", candidateOptions{clock: clk})
	waitArmed(t, clk, 1) // the renewal timer

	rev := la.Term()
	first := record(t, b.entry(t).Value())
	require.Equal(t, clk.Now().UTC(), first.Since)
	for i := range 3 {
		clk.Advance(ttl/3 - time.Second)
		require.True(t, la.Valid())
		require.Equal(t, valid-(ttl/3-time.Second), la.Remaining(), "renewal %d", i)
		require.Equal(t, rev, b.entry(t).Revision(), "renewed before TTL/3")

		made := clk.made.Load()
		clk.Advance(time.Second)
		// The next renewal timer is made after the renewal is recorded.
		natstest.Eventually(t, 10*time.Second, func() bool { return clk.made.Load() > made }, "renewal %d", i)
		e := b.entry(t)
		require.Equal(t, rev+1, e.Revision(), "one update per renewal")
		require.Equal(t, first, record(t, e.Value()), "a renewal keeps the record: since is when the term began")
		rev = e.Revision()
		require.Equal(t, valid, la.Remaining(), "the lease runs from the renewal's send time")
		require.Same(t, la, a.el.Leading())
	}
	require.Equal(t, int64(1), a.calls.Load(), "renewals start no new term")
	require.Empty(t, a.ended)
}

// Graceful stop deletes the key (revision-checked): a follower whose poll
// timer never fires and whose TTL is far away still takes over at once,
// woken by its watch.
func TestElectorResignHandsOverAtOnce(t *testing.T) {
	t.Parallel()
	const ttl = 30 * time.Second
	b := setup(t, ttl)
	clkA, clkB := newCountingClock(), newCountingClock()
	a, la := b.lead(t, "a", candidateOptions{clock: clkA})
	bc := b.candidate(t, "b", candidateOptions{clock: clkB})
	bc.start(t, b)
	waitArmed(t, clkB, 1)
	natstest.Eventually(t, 10*time.Second, func() bool { return b.watchers(t) == 2 }, "both candidates watch the key")

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	require.NoError(t, a.el.Stop(ctx))
	select {
	case term := <-a.ended:
		require.Equal(t, la.Term(), term)
	default:
		t.Fatal("Stop returned before OnLead did")
	}
	require.Nil(t, a.el.Leading())

	// Neither clock moved: only the watch can have woken b.
	lb := bc.waitLead(t, 5*time.Second)
	require.Greater(t, lb.Term(), la.Term())
	require.Equal(t, "b", b.holder(t))
	require.Equal(t, t0, clkB.Now())
}

// A renewal that finds the key rewritten by someone else ends the
// leadership: OnLead's context ends, and the elector neither overwrites nor
// deletes the other writer's key.
func TestElectorReportsLostLeaseOnRevisionMismatch(t *testing.T) {
	t.Parallel()
	const ttl = 30 * time.Second
	b := setup(t, ttl)
	clk := newCountingClock()
	a, la := b.lead(t, "a", candidateOptions{clock: clk})
	waitArmed(t, clk, 1)

	rev, err := b.kv.Put(t.Context(), topology.LeaderKey, []byte(`{"id":"intruder"}`))
	require.NoError(t, err)

	made := clk.made.Load()
	clk.Advance(ttl / 3)
	require.Equal(t, la.Term(), a.waitEnded(t, 10*time.Second))
	// The lease says so too, though its time is not up: code that checks
	// Valid instead of its context must not act for a lost term.
	require.False(t, la.Valid(), "a lease lost to another holder is not valid")
	require.Zero(t, la.Remaining())
	// Back in the campaign loop: its poll timer is made after lead returns.
	natstest.Eventually(t, 10*time.Second, func() bool { return clk.made.Load() > made }, "a returns to campaigning")
	require.Nil(t, a.el.Leading())
	e := b.entry(t)
	require.NotNil(t, e, "the old leader deleted the new holder's key")
	require.Equal(t, rev, e.Revision())
	require.Equal(t, "intruder", b.holder(t))
}

// OnLead returning by itself gives leadership up: the elector resigns at
// once, then waits a lease's time before campaigning again.
func TestElectorStepsDownWhenOnLeadReturns(t *testing.T) {
	t.Parallel()
	const ttl = 30 * time.Second
	b := setup(t, ttl)
	clk := newCountingClock()
	a, la := b.lead(t, "a", candidateOptions{clock: clk, stepDown: true})
	require.Equal(t, la.Term(), a.waitEnded(t, 10*time.Second))
	natstest.Eventually(t, 10*time.Second, func() bool { return b.entry(t) == nil }, "a resigns")

	// The renewal timer, then the back-off timer.
	natstest.Eventually(t, 10*time.Second, func() bool { return clk.made.Load() == 2 && clk.Timers() == 1 }, "a backs off")
	clk.Advance(ttl - time.Nanosecond)
	require.Equal(t, int64(1), a.calls.Load())
	require.Empty(t, b.holder(t), "a campaigned before its back-off ended")

	clk.Advance(time.Nanosecond)
	waitArmed(t, clk, 1) // its poll (or, if its watch saw its own delete, its renewal)
	clk.Advance(time.Second)
	l2 := a.waitLead(t, 10*time.Second)
	require.Greater(t, l2.Term(), la.Term())
	require.Equal(t, "a", b.holder(t))
}

// A paused leader resumes to find its lease expired, and its loop gives up
// before the renewal timer fires: the lease is lost, not given up. No
// resignation (another leader may hold the key by now) and no back-off.
func TestElectorLeaseThatRanOutIsLost(t *testing.T) {
	t.Parallel()
	const ttl = 30 * time.Second
	b := setup(t, ttl)
	clk := &jumpClock{countingClock: newCountingClock()}
	quit := make(chan struct{})
	a, la := b.lead(t, "a", candidateOptions{clock: clk, quit: quit})
	waitArmed(t, clk.countingClock, 1) // the renewal timer
	clk.jump.Store(int64(ttl))
	require.False(t, la.Valid())
	close(quit)
	require.Equal(t, la.Term(), a.waitEnded(t, 10*time.Second))
	// The renewal timer, then the next one: a resignation would have deleted
	// the key before it.
	natstest.Eventually(t, 10*time.Second, func() bool { return clk.made.Load() == 2 && clk.Timers() == 1 }, "a campaigns again")
	require.NotNil(t, b.entry(t), "a lost lease is not resigned")
	clk.jump.Store(0)
	clk.Advance(time.Second)
	require.Equal(t, int64(1), a.calls.Load())
	waitArmed(t, clk.countingClock, 1)
	require.Equal(t, int64(3), clk.made.Load(), "a polls again after a poll, not after a lease's back-off")
}

// Several followers race for an expired lease: each tries to create the key
// when its watch reports the expiry, and exactly one succeeds.
func TestElectorRaceForExpiredLeaseHasOneWinner(t *testing.T) {
	t.Parallel()
	const ttl = 2 * time.Second
	const n = 4
	b := setup(t, ttl)
	// A leader that crashed: it created the lease and will never renew it.
	rev0, err := b.kv.Create(t.Context(), topology.LeaderKey, []byte(`{"id":"crashed"}`))
	require.NoError(t, err)

	clocks := make([]*countingClock, n)
	cands := make([]*candidate, n)
	for i := range n {
		clocks[i] = newCountingClock() // frozen: only the watch can wake them
		cands[i] = b.candidate(t, string(rune('a'+i)), candidateOptions{clock: clocks[i]})
		cands[i].start(t, b)
	}
	for i := range n {
		waitArmed(t, clocks[i], 1)
	}
	natstest.Eventually(t, 10*time.Second, func() bool { return b.watchers(t) == n }, "every follower watches the key")
	require.Equal(t, "crashed", b.holder(t), "the setup outlasted the lease; the race was not observed")
	made := make([]int64, n)
	for i := range n {
		made[i] = clocks[i].made.Load()
	}

	calls := func() (total int64, winner int) {
		winner = -1
		for i, c := range cands {
			if k := c.calls.Load(); k > 0 {
				total += k
				winner = i
			}
		}
		return total, winner
	}
	natstest.Eventually(t, ttl+10*time.Second, func() bool { total, _ := calls(); return total > 0 }, "somebody takes the expired lease")
	_, w := calls()
	// Keep the winner renewing so that its lease does not expire in turn.
	followWall(t, clocks[w].Fake)
	// The bucket keeps one revision per key, so the winner's create can
	// replace the expiry marker before a slow follower's watch delivers it;
	// such a follower would only notice at its next poll. Count those that
	// raced, then make every loser poll once more: all of them must fail.
	raced := 0
	for i := range n {
		if i == w {
			continue
		}
		if clocks[i].made.Load() > made[i] {
			raced++
		}
		waitArmed(t, clocks[i], 1)
		before := clocks[i].made.Load()
		clocks[i].Advance(time.Second) // its poll: min(1s, TTL/3)
		natstest.Eventually(t, 10*time.Second, func() bool { return clocks[i].made.Load() > before },
			"loser %s tried to take the lease again", cands[i].id)
	}
	t.Logf("%d of %d losers raced the winner on the expiry", raced, n-1)

	total, _ := calls()
	require.Equal(t, int64(1), total, "more than one candidate led")
	lw := cands[w].el.Leading()
	require.NotNil(t, lw)
	require.Greater(t, lw.Term(), rev0)
	for i, c := range cands {
		if i != w {
			require.Nil(t, c.el.Leading(), "%s leads besides %s", c.id, cands[w].id)
		}
	}
	require.Equal(t, cands[w].id, b.holder(t))
}

// Electors on the wall clock: the holder renews through two TTLs while a
// follower polls in vain; when the holder freezes (its clock and timers
// stop, as under SIGSTOP), the key expires on the server and the follower
// takes over within about TTL + its poll, with a higher term. When the
// frozen holder wakes, its lease is already invalid, it learns that it
// lost, and it writes nothing.
func TestElectorFollowerTakesOverAfterExpiry(t *testing.T) {
	t.Parallel()
	// Long enough that a busy CI machine does not starve the renewals.
	const ttl = 2 * time.Second
	const poll = ttl / 3 // min(1s, TTL/3)
	b := setup(t, ttl)
	hist := watchKey(t, b)

	clkA := newCountingClock()
	wall := followWall(t, clkA.Fake)
	a, la := b.lead(t, "a", candidateOptions{clock: clkA})
	bc := b.candidate(t, "b", candidateOptions{}) // wall clock
	bc.start(t, b)

	// Negative check over two leases: polling, not waiting for an event.
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for end := time.Now().Add(2 * ttl); time.Now().Before(end); {
		<-tick.C
		require.Same(t, la, a.el.Leading())
		require.True(t, la.Valid())
		require.Nil(t, bc.el.Leading(), "b took a lease that a renews")
		require.Equal(t, "a", b.holder(t))
	}
	require.GreaterOrEqual(t, b.entry(t).Revision()-la.Term(), uint64(2), "two leases need two renewals")
	require.Zero(t, bc.calls.Load())

	wall.pause()
	lb := bc.waitLead(t, ttl+poll+5*time.Second)
	require.Greater(t, lb.Term(), la.Term())

	// b created the key after it expired: the one revision between a's last
	// renewal and b's create is the expiry marker (nobody else writes), and
	// by the server's timestamps b's create came TTL after that renewal at
	// the earliest and about TTL + poll at the latest.
	hist.waitFor(t, lb.Term())
	created := hist.at(t, lb.Term())
	require.Equal(t, "b", created.id)
	last := hist.lastPutBefore(lb.Term())
	require.Equal(t, "a", last.id, "%s", hist)
	require.Equal(t, last.rev+2, lb.Term(), "%s", hist)
	gap := created.created.Sub(last.created)
	require.GreaterOrEqual(t, gap, ttl, "b took the lease before it expired")
	require.LessOrEqual(t, gap, ttl+poll+2*time.Second, "b took over late")

	// The frozen holder has not seen time pass: by its own clock it leads.
	require.True(t, la.Valid())
	made := clkA.made.Load()
	wall.wake()
	require.False(t, la.Valid(), "a paused holder's lease is valid when it wakes")
	require.LessOrEqual(t, la.Remaining(), time.Duration(0))
	require.Equal(t, la.Term(), a.waitEnded(t, 10*time.Second))
	natstest.Eventually(t, 10*time.Second, func() bool { return clkA.made.Load() > made }, "a returns to campaigning")
	require.Nil(t, a.el.Leading())

	require.Same(t, lb, bc.el.Leading())
	e := b.entry(t)
	require.NotNil(t, e)
	require.Equal(t, "b", recordID(t, e.Value()))
	hist.waitFor(t, e.Revision())
	for _, h := range hist.after(lb.Term()) {
		require.Equal(t, jetstream.KeyValuePut, h.op, "revision %d", h.rev)
		require.Equal(t, "b", h.id, "revision %d", h.rev)
	}
}

// A leader cut off from NATS cannot renew; its lease stops being valid
// TTL − margin after its last renewal although no answer ever comes, OnLead's
// context ends, and once NATS is back it campaigns and leads again with a
// new term.
func TestElectorLeaseEndsWhenNATSIsUnreachable(t *testing.T) {
	t.Parallel()
	const ttl = time.Second
	b := setup(t, ttl)
	a, la := b.lead(t, "a", candidateOptions{}) // wall clock
	require.True(t, la.Valid())

	b.srv.Stop()
	// Valid turns false TTL − margin after the last renewal, which was sent
	// before the server stopped; the extra second is scheduling slack.
	natstest.Eventually(t, ttl+time.Second, func() bool { return !la.Valid() }, "the lease stays valid without renewals")
	require.LessOrEqual(t, la.Remaining(), time.Duration(0))
	require.Equal(t, la.Term(), a.waitEnded(t, 5*time.Second))
	natstest.Eventually(t, 5*time.Second, func() bool { return a.el.Leading() == nil }, "the elector still reports the lost lease")

	b.srv.Start()
	l2 := a.waitLead(t, 20*time.Second)
	require.Greater(t, l2.Term(), la.Term())
	require.True(t, l2.Valid())
}
