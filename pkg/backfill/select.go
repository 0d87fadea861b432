package backfill

import (
	"fmt"
	"time"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/ledger"
)

// Planned is a slot a backfill would run.
type Planned struct {
	Slot        time.Time `json:"slot"`
	ExecutionID string    `json:"execution_id"`
	Gen         int       `json:"gen"`
	// Why says what the slot's ledger row shows (missed, failed, ...).
	Why string `json:"why"`
}

// Skipped is a slot of the window a backfill leaves alone, and why.
type Skipped struct {
	Slot        time.Time `json:"slot"`
	ExecutionID string    `json:"execution_id"`
	Reason      string    `json:"reason"`
}

// Selection is which slots of a window a backfill runs and which it skips.
type Selection struct {
	Run  []Planned `json:"run"`
	Skip []Skipped `json:"skip"`
}

// category of a ledger row for a backfill.
type category int

const (
	catSkip category = iota
	catMissed
	catFailed
)

// Select sorts the ledger rows of a job's window into the slots to run and
// those to skip. Rows of slots no kept definition expects are left out.
func Select(jobName string, rows []ledger.Row, only Only) Selection {
	sel := Selection{Run: []Planned{}, Skip: []Skipped{}}
	for _, r := range rows {
		if r.Unexpected {
			continue
		}
		cat, why := classify(r)
		gen := 1
		if r.Backfill != nil {
			gen = r.Backfill.Gen + 1
		}
		switch {
		case cat == catSkip:
			sel.Skip = append(sel.Skip, Skipped{Slot: r.Slot, ExecutionID: r.ExecutionID, Reason: why})
		case cat == catMissed && only == OnlyFailed, cat == catFailed && only == OnlyMissed:
			sel.Skip = append(sel.Skip, Skipped{Slot: r.Slot, ExecutionID: r.ExecutionID, Reason: fmt.Sprintf("%s (not selected by --only %s)", why, only)})
		default:
			sel.Run = append(sel.Run, Planned{Slot: r.Slot, ExecutionID: job.BackfillExecutionID(jobName, r.Slot, gen), Gen: gen, Why: why})
		}
	}
	return sel
}

// classify says whether a row's slot needs a run, and why.
func classify(r ledger.Row) (category, string) {
	if b := r.Backfill; b != nil {
		switch {
		case b.Result == ledger.ResultSucceeded:
			return catSkip, "already succeeded (backfill " + b.ExecutionID + ")"
		case b.Skipped:
			return catMissed, "backfill " + b.ExecutionID + " was skipped: " + b.Reason
		case b.Result == ledger.ResultPending, b.Result == ledger.ResultRunning, b.Result == ledger.ResultRetrying:
			return catSkip, "backfill " + b.ExecutionID + " is in progress (" + string(b.Result) + ")"
		default:
			return catFailed, "backfill " + b.ExecutionID + " " + string(b.Result)
		}
	}
	switch {
	case r.Fired.Ran() && r.Result == ledger.ResultSucceeded:
		return catSkip, "already succeeded"
	case r.Fired.Ran() && (r.Result == ledger.ResultPending || r.Result == ledger.ResultRunning || r.Result == ledger.ResultRetrying):
		return catSkip, "in progress (" + string(r.Result) + ")"
	case r.Fired.Ran():
		return catFailed, string(r.Result)
	case r.Fired == ledger.FiredDue:
		return catSkip, "due: not fired yet"
	case r.Fired == ledger.FiredPruned:
		// Pruned executions had finished; which way is no longer known.
		return catSkip, "pruned by the job's retention: it ran or was recorded, and its outcome is deleted"
	}
	return catMissed, string(r.Fired)
}
