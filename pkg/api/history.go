package api

import "github.com/jetcron/jetcron/pkg/history"

// Verbs of the definition history.
const (
	VerbJobHistory  = "job_history"
	VerbJobRollback = "job_rollback"
)

// DeleteRequest deletes a job's definition.
type DeleteRequest struct {
	Name   string `json:"name"`
	Reason string `json:"reason,omitempty"`
}

// HistoryRequest asks for the revisions of a job's definition.
type HistoryRequest struct {
	Name string `json:"name"`
}

// HistoryResponse lists a job's revisions, oldest first, secrets masked.
type HistoryResponse struct {
	Job string `json:"job"`
	// Current is the revision in force; 0 when the job is deleted.
	Current   uint64           `json:"current"`
	Revisions []history.Record `json:"revisions"`
}

// RollbackRequest writes a new revision equal to revision To's definition.
type RollbackRequest struct {
	Name   string `json:"name"`
	To     uint64 `json:"to"`
	Reason string `json:"reason,omitempty"`
	// DryRun reports what would change without writing.
	DryRun bool `json:"dry_run,omitempty"`
}

// Preview is what a change would do, reported by a dry run: the fields that
// change, and the fire times that change.
type Preview struct {
	Diff  []history.Change `json:"diff"`
	Fires history.Fires    `json:"fires"`
}
