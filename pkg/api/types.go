package api

import (
	"time"

	"github.com/jetcron/jetcron/pkg/calendar"
	"github.com/jetcron/jetcron/pkg/health"
	"github.com/jetcron/jetcron/pkg/job"
)

// Verbs of the API.
const (
	VerbJobCreate  = "job_create"
	VerbJobGet     = "job_get"
	VerbJobList    = "job_list"
	VerbJobDisable = "job_disable"
	VerbJobEnable  = "job_enable"
	VerbJobDelete  = "job_delete"
	VerbJobRun     = "job_run"
	VerbJobEnqueue = "job_enqueue"
	VerbExecCancel = "exec_cancel"
	VerbInfo       = "info"
)

// CreateRequest creates a job, or replaces it when Update is set.
type CreateRequest struct {
	Spec   job.Spec `json:"spec"`
	Update bool     `json:"update,omitempty"`
	// DryRun validates and reports what would change without writing.
	DryRun bool `json:"dry_run,omitempty"`
	// Reason says why, for the definition history.
	Reason string `json:"reason,omitempty"`
}

// CreateResponse reports the stored job and what happened.
type CreateResponse struct {
	Job JobView `json:"job"`
	// Result is "created", "updated" or "unchanged".
	Result string `json:"result"`
	// Changes lists the fields that changed on update.
	Changes []string `json:"changes,omitempty"`
	// Preview is set by a dry run: the field diff and the fire times.
	Preview *Preview `json:"preview,omitempty"`
}

// NameRequest names a job.
type NameRequest struct {
	Name string `json:"name"`
}

// DisableRequest pauses a job.
type DisableRequest struct {
	Name   string `json:"name"`
	Reason string `json:"reason,omitempty"`
}

// EnableRequest resumes a job from now, or from where it stopped when
// CatchUp is set (slots missed while disabled then fire within the job's
// catch-up window).
type EnableRequest struct {
	Name    string `json:"name"`
	CatchUp bool   `json:"catchup,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// ListRequest selects jobs.
type ListRequest struct {
	// Labels keeps jobs that have every one of these labels.
	Labels map[string]string `json:"labels,omitempty"`
	// Prefix keeps jobs whose name starts with it.
	Prefix string `json:"prefix,omitempty"`
	// Page is where the list starts and how long it is (list_page.go).
	Page
}

// RunRequest runs a job now.
type RunRequest struct {
	Name   string            `json:"name"`
	Params map[string]string `json:"params,omitempty"`
	// Force runs even if the job is running and its overlap policy forbids it.
	Force bool `json:"force,omitempty"`
}

// EnqueueRequest adds an ad hoc run of a job at a time.
type EnqueueRequest struct {
	Name   string            `json:"name"`
	At     time.Time         `json:"at"`
	Params map[string]string `json:"params,omitempty"`
	// ParentID links a follow-up to the execution that asked for it.
	ParentID string `json:"parent_id,omitempty"`
	// ID makes the request idempotent (a follow-up retried maps to the same
	// run); empty gets a fresh ID. A chosen ID is <job>-<stamp>_<tag>: the
	// tag is required, so that it is never a scheduled slot's ID.
	ID string `json:"id,omitempty"`
	// Trigger is enqueue (default) or followup.
	Trigger job.Trigger `json:"trigger,omitempty"`
}

// RunResponse names the execution a run or enqueue created.
type RunResponse struct {
	ExecutionID string    `json:"execution_id"`
	At          time.Time `json:"at"`
}

// CancelRequest cancels an execution.
type CancelRequest struct {
	ID     string `json:"id"`
	Reason string `json:"reason,omitempty"`
}

// CancelResponse says what the cancel did: "cancelling" (a worker is
// stopping it), or "cancelled" (it was waiting, and will not start: for
// its time, a worker, or its retry; see AfterAttempt).
type CancelResponse struct {
	ID     string `json:"id"`
	Result string `json:"result"`
	Worker string `json:"worker,omitempty"`
	// AfterAttempt, with result cancelled, is an attempt that ran while
	// the cancel was on its way (on Worker): it ended, with a failure,
	// before the cancel reached it, and the cancel stopped what would
	// have followed (its retries). Zero when no attempt ran meanwhile.
	AfterAttempt int `json:"after_attempt,omitempty"`
}

// JobView is a job as the API shows it: its definition and what the
// scheduler knows of it.
type JobView struct {
	job.Spec
	// Revision is the definition's revision in the jobs bucket.
	Revision uint64 `json:"revision"`
	// Status is active, disabled or completed.
	Status string `json:"status"`
	// Next lists the next fire times, RFC 3339 with the zone's offset.
	Next []string `json:"next,omitempty"`
	// NextSkipped are the slots among the next ones that a calendar skips.
	NextSkipped []calendar.Slot `json:"next_skipped,omitempty"`
	// Describe is the schedule in words.
	Describe string `json:"schedule_text,omitempty"`
	// State is the leader's runtime state of the job.
	State *job.Runtime `json:"state,omitempty"`
	// Checkpoint is the job's last success and checkpoint value (job get).
	Checkpoint *job.Checkpoint `json:"checkpoint,omitempty"`
	// Health is the job's health as the scheduler replicas' watchdogs
	// stored it (package health); nil before any has seen the job.
	Health *health.State `json:"health,omitempty"`
}

// Job statuses.
const (
	StatusActive    = "active"
	StatusDisabled  = "disabled"
	StatusCompleted = "completed"
)

// InfoResponse describes the replica that answered and the leader.
type InfoResponse struct {
	Instance  string `json:"instance"`
	Namespace string `json:"namespace"`
	Leader    string `json:"leader,omitempty"`
	Version   string `json:"version"`
}

// Error is the data of an API error.
type Error struct {
	Code    int    `json:"code"`
	Message string `json:"error"`
	// Field names the definition field at fault, for 422.
	Field string `json:"field,omitempty"`
	// Fields lists every field at fault when there are several.
	Fields []FieldProblem `json:"fields,omitempty"`
}

// FieldProblem is one invalid field.
type FieldProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}
