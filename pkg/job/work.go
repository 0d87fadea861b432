package job

import (
	"time"
)

// WorkVersion is the schema version of Work.
const WorkVersion = 1

// Work is the message the scheduler publishes to the work stream for one
// execution, and what a worker runs. It carries a snapshot of the job's
// definition at fire time, so a run always runs the definition that was
// current when its slot fired.
type Work struct {
	V           int               `json:"v"`
	ID          string            `json:"id"`
	Job         string            `json:"job"`
	ScheduledAt time.Time         `json:"scheduled_at"`
	Trigger     Trigger           `json:"trigger"`
	ParentID    string            `json:"parent_id,omitempty"`
	Params      map[string]string `json:"params,omitempty"`
	Spec        Spec              `json:"spec"`
	Revision    uint64            `json:"spec_revision"`
	Term        uint64            `json:"term,omitempty"`
}

// MergedParams returns the job's params overridden by the run's own.
func (w *Work) MergedParams() map[string]string {
	out := make(map[string]string, len(w.Spec.Params)+len(w.Params))
	for k, v := range w.Spec.Params {
		out[k] = v
	}
	for k, v := range w.Params {
		out[k] = v
	}
	return out
}

// FollowUp is a run requested by another run, through the file named by
// JETCRON_OUTPUT (one JSON object per line) or a Go handler's result.
type FollowUp struct {
	// Job is the job to run; empty means the same job.
	Job string `json:"job,omitempty"`
	// At is when to run; zero means now (or after Delay).
	At time.Time `json:"at,omitzero"`
	// Delay is how long after the run ends to run.
	Delay Duration `json:"delay,omitempty"`
	// Params are the run's params.
	Params map[string]string `json:"params,omitempty"`
}
