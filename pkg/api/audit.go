package api

import (
	"time"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/ledger"
)

// VerbJobAudit returns a job's slot ledger (AuditRequest, AuditResponse).
const VerbJobAudit = "job_audit"

// AuditRequest asks for the slot ledger of a job over a window.
type AuditRequest struct {
	Name string `json:"name"`
	// Since and Until bound the slots, both included. Until defaults to
	// now (a later one is cut to now); Since to Until − 7 days.
	Since time.Time `json:"since,omitzero"`
	Until time.Time `json:"until,omitzero"`
	// Grace is how long after its slot a run may start and still be on
	// time, and how long a slot may go without any event before it is
	// unaccounted. Defaults to 1m.
	Grace job.Duration `json:"grace,omitempty"`
}

// AuditResponse is the ledger: one row per slot the job's schedule
// expected in the window, with its outcome (see package ledger).
type AuditResponse = ledger.Ledger
