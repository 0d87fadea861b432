package event

import (
	"fmt"
	"strings"
	"time"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/wirejson"
)

// Version is the schema version of Event.
const Version = 1

// JobToken is the execution token of job-level events.
const JobToken = "_"

// DidNotStart begins the error of a retrying event whose attempt could not
// start its task for a reason of the system's (a store that did not
// answer, the worker's disk) and handed the run back: no retry was used.
const DidNotStart = "did not start: "

// Kind is what happened.
type Kind string

// Execution event kinds.
const (
	Scheduled  Kind = "scheduled"  // published to the work stream
	Delayed    Kind = "delayed"    // waits for the running execution (overlap delay)
	Started    Kind = "started"    // an attempt began on a worker
	Retrying   Kind = "retrying"   // an attempt failed, or could not start (its error begins with DidNotStart); another follows at next_attempt_at
	Succeeded  Kind = "succeeded"  // final
	Failed     Kind = "failed"     // final
	TimedOut   Kind = "timed_out"  // final
	Cancelled  Kind = "cancelled"  // final
	Skipped    Kind = "skipped"    // final: the job was running (overlap skip) or the wait slot was taken
	Missed     Kind = "missed"     // final: older than the catch-up window
	Abandoned  Kind = "abandoned"  // an attempt was lost with its worker; a new attempt took over
	Superseded Kind = "superseded" // a stale attempt finished after another took over; not final
	Rejected   Kind = "rejected"   // a work item or follow-up request was refused
	FollowUp   Kind = "followup"   // a run requested follow-up runs
)

// Job-level event kinds.
const (
	JobCreated   Kind = "job_created"
	JobUpdated   Kind = "job_updated"
	JobDeleted   Kind = "job_deleted"
	JobDisabled  Kind = "job_disabled"
	JobEnabled   Kind = "job_enabled"
	JobCompleted Kind = "job_completed"
	JobInvalid   Kind = "job_invalid"
	// JobPruned records finished executions whose events the job's
	// retention deleted: Count of them, with slots from ScheduledAt to
	// Last (package retention).
	JobPruned Kind = "job_pruned"
)

// Final reports whether the kind ends an execution: whether its state is
// final (job.State.Final is the one list of final states). Rejected folds to
// failed when nothing else ended the run, yet it is not final: it reports a
// refused request or work item, not an outcome of the execution.
func (k Kind) Final() bool {
	return k != Rejected && k.State().Final()
}

// State maps a final kind to the execution state.
func (k Kind) State() job.State {
	switch k {
	case Scheduled, Delayed:
		return job.StateScheduled
	case Started:
		return job.StateRunning
	case Retrying, Abandoned:
		return job.StateRetrying
	case Succeeded:
		return job.StateSucceeded
	case Failed, Rejected:
		return job.StateFailed
	case TimedOut:
		return job.StateTimedOut
	case Cancelled:
		return job.StateCancelled
	case Skipped:
		return job.StateSkipped
	case Missed:
		return job.StateMissed
	}
	return ""
}

// Event is one fact about an execution or a job. Fields that do not apply
// to a kind are empty.
type Event struct {
	V           int               `json:"v"`
	Kind        Kind              `json:"kind"`
	Job         string            `json:"job"`
	Execution   string            `json:"execution_id,omitempty"`
	Time        time.Time         `json:"time"`
	ScheduledAt *time.Time        `json:"scheduled_at,omitempty"`
	WallTime    string            `json:"scheduled_local,omitempty"`
	TZ          string            `json:"tz,omitempty"`
	Trigger     job.Trigger       `json:"trigger,omitempty"`
	Queue       string            `json:"queue,omitempty"`
	Revision    uint64            `json:"spec_revision,omitempty"`
	Term        uint64            `json:"term,omitempty"`
	Attempt     int               `json:"attempt,omitempty"`
	Worker      string            `json:"worker,omitempty"`
	ExitCode    *int              `json:"exit_code,omitempty"`
	DurationMS  *int64            `json:"duration_ms,omitempty"`
	LogURL      string            `json:"log_url,omitempty"`
	LogBytes    int64             `json:"log_bytes,omitempty"`
	Error       string            `json:"error,omitempty"`
	Reason      string            `json:"reason,omitempty"`
	NextAttempt *time.Time        `json:"next_attempt_at,omitempty"`
	ParentID    string            `json:"parent_id,omitempty"`
	FollowUps   []string          `json:"follow_ups,omitempty"`
	Params      map[string]string `json:"params,omitempty"`
	// Count and Last describe a range of missed slots in one event: Count
	// slots from ScheduledAt to Last.
	Count int        `json:"count,omitempty"`
	Last  *time.Time `json:"last,omitempty"`
	// Seq is the stream sequence, set when read (not part of the payload).
	Seq uint64 `json:"-"`
	// Bytes is the size of the stored payload, set when read.
	Bytes int `json:"-"`
}

// Token returns the execution token of the event's subject.
func (e *Event) Token() string {
	if e.Execution == "" {
		return JobToken
	}
	return e.Execution
}

// MsgID is the event's deduplication ID: the same fact published twice (a
// retried publish) is stored once.
func (e *Event) MsgID() string {
	if e.Kind == JobPruned {
		// A job is pruned many times: each record is its own fact.
		return fmt.Sprintf("%s/%s/%s/%d", e.Job, e.Token(), e.Kind, e.Time.UnixNano())
	}
	return fmt.Sprintf("%s/%s/%s/%d", e.Job, e.Token(), e.Kind, e.Attempt)
}

// Decode parses an event payload. It returns ok=false for a payload of an
// unknown schema version or kind-less JSON, which readers skip.
func Decode(data []byte) (e Event, ok bool, err error) {
	if err := wirejson.Unmarshal(data, &e); err != nil {
		return Event{}, false, fmt.Errorf("decode event: %w", err)
	}
	if e.V != Version || e.Kind == "" {
		return Event{}, false, nil
	}
	if e.check() != nil {
		// Any role allowed to publish events could write it: a reader
		// skips what no jetcron role writes.
		return Event{}, false, nil
	}
	return e, true, nil
}

// DecodeMsg is Decode for a stored message: the event must also be the
// one its subject names (job, execution and kind), so that a filter by
// subject never yields another job's or execution's event.
func DecodeMsg(subject string, data []byte) (Event, bool, error) {
	e, ok, err := Decode(data)
	if err != nil || !ok {
		return e, ok, err
	}
	if !strings.HasSuffix(subject, ".events."+e.Job+"."+e.Token()+"."+string(e.Kind)) {
		return Event{}, false, nil
	}
	e.Bytes = len(data)
	return e, true, nil
}

// check validates the ids an event names: a job name, and an execution ID
// of that job (or none, for a job-level event).
func (e *Event) check() error {
	if e.Job == WorkerToken && e.Execution == "" { // a worker event (worker.go)
		return nil
	}
	if err := job.ValidateName(e.Job); err != nil {
		return fmt.Errorf("event job name %w", err)
	}
	if e.Execution == "" {
		return nil
	}
	j, _, err := job.ParseExecutionID(e.Execution)
	if err != nil {
		return err
	}
	if j != e.Job {
		return fmt.Errorf("event of job %q names execution %q of another job", e.Job, e.Execution)
	}
	for _, id := range append([]string{e.ParentID}, e.FollowUps...) {
		if id == "" {
			continue
		}
		if _, _, err := job.ParseExecutionID(id); err != nil {
			return err
		}
	}
	return nil
}

// Slot returns a pointer to a UTC copy of t, for ScheduledAt-like fields.
func Slot(t time.Time) *time.Time {
	u := t.UTC()
	return &u
}

// WallTime formats a slot as a wall-clock time in loc, with its offset.
func WallTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format(time.RFC3339)
}
