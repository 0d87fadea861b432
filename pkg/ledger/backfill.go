package ledger

import (
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
)

// BackfillRun is the newest backfill run of a slot (job backfill): its
// execution ID is the slot's with the tag bf<Gen>.
type BackfillRun struct {
	ExecutionID string `json:"execution_id"`
	Gen         int    `json:"gen"`
	Result      Result `json:"result"`
	// Skipped means the run was skipped by the job's overlap policy.
	Skipped bool   `json:"skipped,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// backfillEvents groups the events of backfill runs by slot ID, newest
// generation only.
type backfillEvents map[string]struct {
	gen int
	id  string
	evs []event.Event
}

func (b backfillEvents) add(e event.Event) bool {
	slotID, gen, ok := job.ParseBackfillID(e.Execution)
	if !ok {
		return false
	}
	cur := b[slotID]
	switch {
	case gen > cur.gen:
		cur.gen, cur.id, cur.evs = gen, e.Execution, []event.Event{e}
	case gen == cur.gen:
		cur.evs = append(cur.evs, e)
	}
	b[slotID] = cur
	return true
}

// attach sets the Backfill of the rows whose slot has backfill runs.
func (b backfillEvents) attach(rows []Row) {
	if len(b) == 0 {
		return
	}
	for i := range rows {
		bf, ok := b[rows[i].ExecutionID]
		if !ok {
			continue
		}
		x := event.Fold(bf.evs)
		run := &BackfillRun{ExecutionID: bf.id, Gen: bf.gen}
		if x.State == job.StateSkipped {
			run.Skipped, run.Result, run.Reason = true, ResultCancelled, x.Error
		} else {
			run.Result, run.Reason = result(x)
		}
		rows[i].Backfill = run
	}
}
