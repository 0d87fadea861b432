package ledger_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/ledger"
)

// TestBackfillRuns: a slot's backfill runs (<slot>_bf<N>) do not change how
// the slot fired; the newest generation is attached to its row.
func TestBackfillRuns(t *testing.T) {
	t.Parallel()
	revs := []ledger.Revision{{Revision: 1, At: c0, Def: ledger.Spec(every(time.Minute, c0))}}
	x, err := ledger.Expect(revs, ledger.Query{Job: "j", Since: t0, Until: at(3, 0), Now: at(10, 0)})
	require.NoError(t, err)
	bf := func(m, gen int, k event.Kind) []event.Event {
		eid := job.BackfillExecutionID("j", at(m, 0), gen)
		return []event.Event{
			{Kind: event.Scheduled, Job: "j", Execution: eid, Time: at(9, 0), ScheduledAt: event.Slot(at(m, 0)), Trigger: job.TriggerBackfill},
			{Kind: event.Started, Job: "j", Execution: eid, Time: at(9, 1), Attempt: 1},
			{Kind: k, Job: "j", Execution: eid, Time: at(9, 2), Attempt: 1},
		}
	}
	var evs []event.Event
	evs = append(evs, ran(1, 1, event.Failed)...)
	evs = append(evs, bf(1, 1, event.Failed)...)
	evs = append(evs, bf(1, 2, event.Succeeded)...)
	evs = append(evs, bf(2, 1, event.Succeeded)...) // slot 2 itself has no event: missed, then backfilled
	evs = append(evs, ran(3, 1, event.Succeeded)...)
	l := ledger.Account(x, evs)
	require.Len(t, l.Rows, 3)
	r1, r2, r3 := l.Rows[0], l.Rows[1], l.Rows[2]
	require.Equal(t, ledger.ResultFailed, r1.Result, "the slot's own run failed")
	require.Equal(t, &ledger.BackfillRun{ExecutionID: job.BackfillExecutionID("j", at(1, 0), 2), Gen: 2, Result: ledger.ResultSucceeded}, r1.Backfill)
	require.Equal(t, ledger.FiredUnaccounted, r2.Fired)
	require.Equal(t, ledger.ResultSucceeded, r2.Backfill.Result)
	require.Nil(t, r3.Backfill)
	require.Equal(t, 3, l.Slots, "backfill runs are no slots of their own")
}
