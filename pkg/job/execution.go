package job

import (
	"crypto/rand"
	"strings"
	"time"
)

// StampLayout formats a slot in an execution ID.
const StampLayout = "20060102T150405Z"

// ExecutionID returns the deterministic ID of job's scheduled slot.
func ExecutionID(job string, slot time.Time) string {
	return job + "-" + slot.UTC().Format(StampLayout)
}

// AdHocExecutionID returns an ID for a run that is not a scheduled slot (a
// manual run, an enqueued run): the requested time and a random tag, so that
// two runs requested within the same second are two runs.
func AdHocExecutionID(job string, at time.Time) string {
	return ExecutionID(job, at) + "_" + randomTag()
}

// DerivedExecutionID returns a deterministic ad hoc ID derived from a tag
// (for example a follow-up of a parent execution), so that a retried request
// maps to the same execution.
func DerivedExecutionID(job string, at time.Time, tag string) string {
	return ExecutionID(job, at) + "_" + tag
}

const tagAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz"

func randomTag() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = tagAlphabet[int(b[i])%len(tagAlphabet)]
	}
	return string(b[:])
}

// ParseExecutionID splits an execution ID into its job and slot stamp, and
// checks that it is a single subject token safe as a key and a file name.
func ParseExecutionID(id string) (jobName string, slot time.Time, err error) {
	i := strings.LastIndexByte(id, '-')
	if i <= 0 {
		return "", time.Time{}, errorf("execution id %q: want <job>-<%s>[_tag]", id, StampLayout)
	}
	jobName, rest := id[:i], id[i+1:]
	if err := ValidateName(jobName); err != nil {
		return "", time.Time{}, errorf("execution id %q: job name %v", id, err)
	}
	stamp, tag, hasTag := strings.Cut(rest, "_")
	slot, err = time.Parse(StampLayout, stamp)
	if err != nil {
		return "", time.Time{}, errorf("execution id %q: bad time stamp %q", id, stamp)
	}
	if hasTag {
		if tag == "" || len(tag) > 64 {
			return "", time.Time{}, errorf("execution id %q: bad tag", id)
		}
		for _, r := range tag {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
				return "", time.Time{}, errorf("execution id %q: bad tag", id)
			}
		}
	}
	return jobName, slot, nil
}

// IsSlotID reports whether id has the form of a scheduled slot's ID,
// <job>-<stamp> with no tag. Every ID that is not a slot's (job run,
// enqueue, follow-ups, any client-chosen ID) carries a tag, so the two ID
// spaces are disjoint by construction: no request can take a slot's ID.
func IsSlotID(id string) bool {
	i := strings.LastIndexByte(id, '-')
	return i > 0 && !strings.Contains(id[i+1:], "_")
}

// ValidateAdHocID checks an execution ID that is not a scheduled slot's (a
// client-chosen ID, a pending run, a manual or follow-up run): a valid
// execution ID of jobName that carries a tag.
func ValidateAdHocID(id, jobName string) error {
	j, _, err := ParseExecutionID(id)
	if err != nil {
		return err
	}
	if j != jobName {
		return errorf("execution id %q is not an id of job %q", id, jobName)
	}
	if IsSlotID(id) {
		return errorf("execution id %q has the form of a scheduled slot's id; an id chosen by a request must end in _<tag> (a-z, 0-9)", id)
	}
	return nil
}

// Scheduled reports whether the trigger is a slot of the schedule (on time
// or caught up): the only runs whose IDs are slot IDs.
func (t Trigger) Scheduled() bool { return t == TriggerSchedule || t == TriggerCatchUp }

// State is an execution's state.
type State string

// Execution states. Running means delivered to a worker and not yet acked;
// it ends by itself when the worker stops heartbeating.
const (
	StateScheduled State = "scheduled"
	StateRunning   State = "running"
	StateRetrying  State = "retrying"
	StateSucceeded State = "succeeded"
	StateFailed    State = "failed"
	StateTimedOut  State = "timed_out"
	StateCancelled State = "cancelled"
	StateSkipped   State = "skipped"
	StateMissed    State = "missed"
)

// Final reports whether no further attempt follows the state.
func (s State) Final() bool {
	switch s {
	case StateSucceeded, StateFailed, StateTimedOut, StateCancelled, StateSkipped, StateMissed:
		return true
	}
	return false
}

// Trigger says what created an execution.
type Trigger string

// Triggers.
const (
	TriggerSchedule Trigger = "schedule" // a slot of the schedule, on time
	TriggerCatchUp  Trigger = "catchup"  // a slot fired late, within the catch-up window
	TriggerManual   Trigger = "manual"   // job run
	TriggerEnqueue  Trigger = "enqueue"  // job enqueue
	TriggerFollowUp Trigger = "followup" // requested by a run
)

// Execution is the read model of one execution, folded from its events.
type Execution struct {
	ID          string            `json:"id"`
	Job         string            `json:"job"`
	State       State             `json:"state"`
	ScheduledAt time.Time         `json:"scheduled_at"`
	WallTime    string            `json:"scheduled_local,omitempty"`
	TZ          string            `json:"tz,omitempty"`
	Trigger     Trigger           `json:"trigger,omitempty"`
	Attempt     int               `json:"attempt"`
	StartedAt   *time.Time        `json:"started_at"`
	FinishedAt  *time.Time        `json:"finished_at"`
	DurationMS  *int64            `json:"duration_ms,omitempty"`
	ExitCode    *int              `json:"exit_code"`
	Worker      string            `json:"worker"`
	LogURL      string            `json:"log_url"`
	Error       string            `json:"error"`
	NextAttempt *time.Time        `json:"next_attempt_at,omitempty"`
	ParentID    string            `json:"parent_id,omitempty"`
	FollowUps   []string          `json:"follow_ups,omitempty"`
	Params      map[string]string `json:"params,omitempty"`
	Queue       string            `json:"queue,omitempty"`
	Revision    uint64            `json:"spec_revision,omitempty"`
	Attempts    []Attempt         `json:"attempts,omitempty"`
	Notes       []string          `json:"notes,omitempty"`
	// Delayed marks a run that waited for its job's running execution to
	// end (overlap delay).
	Delayed bool `json:"delayed,omitempty"`
	// Seq is the events-stream sequence of the execution's first event; list
	// pages continue before it.
	Seq uint64 `json:"seq"`
}

// Attempt is one delivery of an execution to a worker.
type Attempt struct {
	N          int        `json:"n"`
	Worker     string     `json:"worker"`
	State      string     `json:"state"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	ExitCode   *int       `json:"exit_code,omitempty"`
	Error      string     `json:"error,omitempty"`
	LogURL     string     `json:"log_url,omitempty"`
	// LogBytes is the size of the stored log; an attempt with a LogURL and
	// no LogBytes printed nothing, and no object is stored for it.
	LogBytes int64 `json:"log_bytes,omitempty"`
}

// Duration returns how long the last attempt ran, if it ended.
func (e *Execution) Duration() (time.Duration, bool) {
	if e.StartedAt == nil || e.FinishedAt == nil {
		return 0, false
	}
	return e.FinishedAt.Sub(*e.StartedAt), true
}
