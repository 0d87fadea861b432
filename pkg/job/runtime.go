package job

import (
	"time"
)

// Runtime is a job's runtime state in the state bucket, written only by the
// leader with revision checks. Its cursor is how far the job has fired:
// every slot up to LastSlot has been fired, skipped, delayed or recorded as
// missed, and none of them will fire again.
type Runtime struct {
	// LastSlot is the newest slot accounted for.
	LastSlot time.Time `json:"last_slot,omitzero"`
	// Fired counts fires (for completions).
	Fired int64 `json:"fired,omitempty"`
	// Completed is set when the schedule has no further slot or the job
	// reached its completions.
	Completed   bool      `json:"completed,omitempty"`
	CompletedAt time.Time `json:"completed_at,omitzero"`
	// Buffered is the run waiting for the running one to end (overlap delay).
	Buffered *Pending `json:"buffered,omitempty"`
	// Error says why the leader cannot schedule the job (for example its
	// definition became invalid); empty when it can.
	Error string `json:"error,omitempty"`
	// SpecRevision is the definition revision the cursor was computed with.
	SpecRevision uint64 `json:"spec_revision,omitempty"`
	// Term is the leader term that wrote this state.
	Term uint64 `json:"term,omitempty"`
}

// Pending is a run waiting for its time: a manual or enqueued run, a
// follow-up, or the delayed slot of a running job. Pending runs live in the
// pending bucket under their execution ID until the leader publishes them.
type Pending struct {
	ID        string            `json:"id"`
	Job       string            `json:"job"`
	At        time.Time         `json:"at"`
	Slot      time.Time         `json:"slot,omitzero"`
	Trigger   Trigger           `json:"trigger"`
	Params    map[string]string `json:"params,omitempty"`
	ParentID  string            `json:"parent_id,omitempty"`
	Force     bool              `json:"force,omitempty"`
	CreatedAt time.Time         `json:"created_at,omitzero"`
	// Stored marks a delayed run that still has its key in the pending
	// bucket (a manual or enqueued run): the key goes once it is published.
	Stored bool `json:"stored,omitempty"`
	// Cancel, when set, makes the entry a request to cancel the delayed
	// run with this ID (the job's run waiting for its running execution to
	// end), with the reason; it is never run. The leader, which holds the
	// delayed run, drops it, records it cancelled and removes the request.
	Cancel string `json:"cancel,omitempty"`
}
