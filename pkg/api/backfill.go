package api

import (
	"time"

	"github.com/jetcron/jetcron/pkg/backfill"
)

// Verbs of backfills.
const (
	VerbJobBackfill       = "job_backfill"
	VerbJobBackfillCancel = "job_backfill_cancel"
	VerbJobBackfills      = "job_backfills"
)

// BackfillRequest runs the past slots of a job's window again (or, with
// DryRun, says which it would run and which it skips).
type BackfillRequest struct {
	Name string    `json:"name"`
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Only is missed (default), failed or all.
	Only backfill.Only `json:"only,omitempty"`
	// MaxParallel bounds the backfill's runs in flight; 1 when the job's
	// overlap policy is not allow.
	MaxParallel int  `json:"max_parallel"`
	DryRun      bool `json:"dry_run,omitempty"`
}

// BackfillResponse says which slots run and which are skipped; Backfill is
// the stored backfill (none for a dry run, or when nothing is to run).
type BackfillResponse struct {
	Selection backfill.Selection `json:"selection"`
	Backfill  *backfill.Backfill `json:"backfill,omitempty"`
	DryRun    bool               `json:"dry_run,omitempty"`
	// Parallel is how many runs the backfill keeps in flight: MaxParallel,
	// or 1 when the job's overlap policy is not allow.
	Parallel int `json:"parallel"`
}

// BackfillCancelRequest cancels a job's running backfill: the one with ID,
// or every running one when ID is empty.
type BackfillCancelRequest struct {
	Name   string `json:"name"`
	ID     string `json:"id,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// BackfillsRequest lists a job's backfills.
type BackfillsRequest struct {
	Name string `json:"name"`
}
