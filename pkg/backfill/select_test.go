package backfill_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/backfill"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/ledger"
)

func TestSelect(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Hour) }
	row := func(i int, fired ledger.Fired, result ledger.Result) ledger.Row {
		return ledger.Row{Slot: at(i), ExecutionID: job.ExecutionID("nightly", at(i)), Fired: fired, Result: result}
	}
	withBackfill := func(r ledger.Row, gen int, result ledger.Result, skipped bool) ledger.Row {
		r.Backfill = &ledger.BackfillRun{ExecutionID: job.BackfillExecutionID("nightly", r.Slot, gen), Gen: gen, Result: result, Skipped: skipped}
		return r
	}
	rows := []ledger.Row{
		row(0, ledger.FiredOnTime, ledger.ResultSucceeded),                                                           // skip
		row(1, ledger.FiredMissed, ""),                                                                               // missed
		row(2, ledger.FiredOnTime, ledger.ResultFailed),                                                              // failed
		row(3, ledger.FiredUnaccounted, ""),                                                                          // missed
		row(4, ledger.FiredLate, ledger.ResultRunning),                                                               // skip: in progress
		row(5, ledger.FiredPaused, ""),                                                                               // missed
		row(6, ledger.FiredSkipped, ""),                                                                              // missed
		row(7, ledger.FiredOnTime, ledger.ResultTimedOut),                                                            // failed
		withBackfill(row(8, ledger.FiredMissed, ""), 1, ledger.ResultSucceeded, false),                               // skip: backfilled
		withBackfill(row(9, ledger.FiredOnTime, ledger.ResultFailed), 1, ledger.ResultFailed, false),                 // failed, gen 2
		withBackfill(row(10, ledger.FiredMissed, ""), 2, ledger.ResultRunning, false),                                // skip: backfill in progress
		withBackfill(row(11, ledger.FiredMissed, ""), 1, ledger.ResultCancelled, true),                               // missed again, gen 2
		row(12, ledger.FiredDue, ""),                                                                                 // skip: due
		{Slot: at(13), ExecutionID: job.ExecutionID("nightly", at(13)), Fired: ledger.FiredOnTime, Unexpected: true}, // left out
	}
	slots := func(sel backfill.Selection) (run []int, gens map[int]int) {
		gens = map[int]int{}
		for _, p := range sel.Run {
			i := int(p.Slot.Sub(t0) / time.Hour)
			run = append(run, i)
			gens[i] = p.Gen
			require.Equal(t, job.BackfillExecutionID("nightly", p.Slot, p.Gen), p.ExecutionID)
		}
		return run, gens
	}
	t.Run("All", func(t *testing.T) {
		t.Parallel()
		sel := backfill.Select("nightly", rows, backfill.OnlyAll)
		run, gens := slots(sel)
		require.Equal(t, []int{1, 2, 3, 5, 6, 7, 9, 11}, run)
		require.Equal(t, 2, gens[9], "a failed backfill run is run again under the next generation")
		require.Equal(t, 2, gens[11])
		require.Equal(t, 1, gens[1])
		require.Len(t, sel.Skip, 5, "%+v", sel.Skip)
		reasons := map[string]bool{}
		for _, s := range sel.Skip {
			reasons[s.Reason] = true
		}
		require.True(t, reasons["already succeeded"])
		require.True(t, reasons["in progress (running)"])
		require.True(t, reasons["due: not fired yet"])
		require.True(t, reasons["already succeeded (backfill nightly-20261201T100000Z_bf1)"], "%v", reasons)
		require.True(t, reasons["backfill nightly-20261201T120000Z_bf2 is in progress (running)"], "%v", reasons)
	})
	t.Run("Missed", func(t *testing.T) {
		t.Parallel()
		sel := backfill.Select("nightly", rows, backfill.OnlyMissed)
		run, _ := slots(sel)
		require.Equal(t, []int{1, 3, 5, 6, 11}, run)
		require.Len(t, sel.Skip, 8)
		require.Contains(t, sel.Skip[1].Reason, "not selected by --only missed")
	})
	t.Run("Failed", func(t *testing.T) {
		t.Parallel()
		sel := backfill.Select("nightly", rows, backfill.OnlyFailed)
		run, _ := slots(sel)
		require.Equal(t, []int{2, 7, 9}, run)
	})
	t.Run("Empty", func(t *testing.T) {
		t.Parallel()
		sel := backfill.Select("nightly", nil, backfill.OnlyAll)
		require.NotNil(t, sel.Run)
		require.NotNil(t, sel.Skip)
	})
}

func TestWindow(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	b := backfill.Backfill{From: t0, To: t0.Add(24 * time.Hour)}
	require.True(t, b.Overlaps(t0.Add(23*time.Hour), t0.Add(48*time.Hour)))
	require.True(t, b.Overlaps(t0.Add(24*time.Hour), t0.Add(48*time.Hour)), "bounds are included")
	require.False(t, b.Overlaps(t0.Add(25*time.Hour), t0.Add(48*time.Hour)))
	require.False(t, b.Overlaps(t0.Add(-2*time.Hour), t0.Add(-time.Second)))
	require.Equal(t, "20261201T000000Z-20261202T000000Z", backfill.ID(b.From, b.To))
}

func TestBackfillExecutionID(t *testing.T) {
	t.Parallel()
	slot := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	id := job.BackfillExecutionID("my_job-x", slot, 3)
	require.Equal(t, "my_job-x-20261201T020000Z_bf3", id)
	require.False(t, job.IsSlotID(id), "never a slot's ID")
	require.NoError(t, job.ValidateAdHocID(id, "my_job-x"))
	slotID, gen, ok := job.ParseBackfillID(id)
	require.True(t, ok)
	require.Equal(t, job.ExecutionID("my_job-x", slot), slotID)
	require.Equal(t, 3, gen)
	for _, bad := range []string{
		job.ExecutionID("a", slot), job.ExecutionID("a", slot) + "_xyz", job.ExecutionID("a", slot) + "_bf0",
		job.ExecutionID("a", slot) + "_bf01", job.ExecutionID("a", slot) + "_bf", "nonsense_bf1",
	} {
		_, _, ok := job.ParseBackfillID(bad)
		require.False(t, ok, bad)
	}
}
