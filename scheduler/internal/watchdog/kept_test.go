package watchdog

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/ledger"
)

// TestAFinishedSlotKeepsOnlyItsEnd: once a slot has its final event the
// tracker drops the slot's earlier events, a range of missed slots stays,
// and a job with nothing running holds no map.
func TestAFinishedSlotKeepsOnlyItsEnd(t *testing.T) {
	t.Parallel()
	tr := every1s(job.Expect{})
	s1, s2 := t0, t0.Add(time.Second)
	tr.apply(ev(event.Scheduled, s1, s1, 1))
	tr.apply(ev(event.Started, s1, s1, 2))
	tr.apply(ev(event.Scheduled, s2, s2, 3))
	tr.apply(ev(event.Started, s2, s2, 4))
	require.Len(t, tr.act.kept, 4)
	require.Len(t, tr.act.running, 2)
	tr.apply(ev(event.Succeeded, s1, s1.Add(time.Second), 5))
	require.Len(t, tr.act.kept, 3, "slot 1 keeps its end only")
	require.Equal(t, event.Succeeded, tr.act.kept[2].kind)
	tr.apply(ev(event.Failed, s2, s2.Add(time.Second), 6))
	require.Len(t, tr.act.kept, 2)
	require.Nil(t, tr.act.running, "nothing runs: no map")

	last := t0.Add(9 * time.Second)
	rng := ev(event.Missed, t0.Add(2*time.Second), t0.Add(10*time.Second), 7)
	rng.Count, rng.Last, rng.ScheduledAt = 8, &last, event.Slot(t0.Add(2*time.Second))
	tr.apply(rng)
	tr.apply(ev(event.Skipped, t0.Add(2*time.Second), t0.Add(10*time.Second), 8))
	require.Len(t, tr.act.kept, 4, "a range of missed slots is not the end of its first slot's events")
	require.Equal(t, event.Missed, tr.act.kept[2].kind)
	require.Equal(t, last.UnixNano(), tr.act.kept[2].about)
}

// TestKeptEventsGiveTheLedgerOfTheWholeEvents: for random histories of a
// job's slots, the ledger from what a tracker keeps says of every slot
// what the watchdog reads from it (unaccounted, due, late and not
// started) as the ledger from the whole events does.
func TestKeptEventsGiveTheLedgerOfTheWholeEvents(t *testing.T) {
	t.Parallel()
	kinds := []event.Kind{event.Scheduled, event.Delayed, event.Started, event.Retrying, event.Succeeded, event.Failed,
		event.TimedOut, event.Cancelled, event.Skipped, event.Missed, event.Abandoned, event.Superseded}
	for seed := range uint64(500) {
		rng := rand.New(rand.NewPCG(seed, 7))
		tr := every1s(job.Expect{StartWithin: job.Duration(time.Duration(1+rng.IntN(3)) * time.Second)})
		var whole []event.Event
		for i := range 1 + rng.IntN(40) {
			slot := t0.Add(time.Duration(rng.IntN(20)) * time.Second)
			e := ev(kinds[rng.IntN(len(kinds))], slot, slot.Add(time.Duration(rng.IntN(5000))*time.Millisecond), uint64(i+1))
			e.Attempt = 1 + rng.IntN(3)
			e.Worker, e.Reason, e.Error, e.Queue = "w1", "why", "exit code 1", "default"
			if rng.IntN(4) == 0 {
				e.Trigger = job.TriggerCatchUp
			}
			if rng.IntN(3) == 0 {
				e.Revision = 1
			}
			whole = append(whole, e)
			tr.apply(e)
		}
		now := t0.Add(time.Duration(5+rng.IntN(30)) * time.Second)
		var one [1]ledger.Revision
		q := ledger.Query{Job: "tick", Since: t0, Until: now, Now: now, Grace: tr.def.Expect().Grace(), MaxRows: maxRows}
		x, err := ledger.Expect(tr.revisions(&one), q)
		require.NoError(t, err)
		want, got := ledger.Account(x, whole), ledger.Account(x, tr.view().events("tick", nil))
		require.Len(t, got.Rows, len(want.Rows), "seed %d", seed)
		for i, w := range want.Rows {
			g := got.Rows[i]
			require.Equal(t, w.Slot, g.Slot, "seed %d", seed)
			for _, c := range []struct {
				what string
				is   func(ledger.Row) bool
			}{
				{"unaccounted", func(r ledger.Row) bool { return r.Fired == ledger.FiredUnaccounted }},
				{"due", func(r ledger.Row) bool { return r.Fired == ledger.FiredDue }},
				{"late and not started", func(r ledger.Row) bool { return r.Fired == ledger.FiredLate && r.Result == ledger.ResultPending }},
				{"ended", ended},
			} {
				require.Equal(t, c.is(w), c.is(g), "seed %d, slot %s: %s (whole %s/%s, kept %s/%s)", seed, w.Slot, c.what, w.Fired, w.Result, g.Fired, g.Result)
			}
		}
	}
}

// ended reports whether a row's slot has its final outcome.
func ended(r ledger.Row) bool {
	switch r.Fired {
	case ledger.FiredSkipped, ledger.FiredMissed, ledger.FiredPruned:
		return true
	}
	switch r.Result {
	case ledger.ResultPending, ledger.ResultRunning, ledger.ResultRetrying, "":
		return false
	}
	return true
}
