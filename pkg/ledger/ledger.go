package ledger

import (
	"errors"
	"time"

	"github.com/jetcron/jetcron/pkg/job"
)

// Fired says whether a slot happened, and how.
type Fired string

// Values of Fired.
const (
	FiredOnTime      Fired = "on_time"
	FiredLate        Fired = "late"
	FiredCaughtUp    Fired = "caught_up"
	FiredDelayed     Fired = "delayed"
	FiredSkipped     Fired = "skipped"
	FiredMissed      Fired = "missed"
	FiredPaused      Fired = "paused"
	FiredDue         Fired = "due"
	FiredUnaccounted Fired = "unaccounted"
	// FiredPruned: the job's retention deleted the events of the slot's
	// execution (a job_pruned event covers the slot).
	FiredPruned Fired = "pruned"
)

// Ran reports whether the slot became a run (its Result says how it ended).
func (f Fired) Ran() bool {
	switch f {
	case FiredOnTime, FiredLate, FiredCaughtUp, FiredDelayed:
		return true
	}
	return false
}

// Result says how a slot's run ended, or that it has not yet.
type Result string

// Values of Result.
const (
	ResultPending   Result = "pending"
	ResultRunning   Result = "running"
	ResultRetrying  Result = "retrying"
	ResultSucceeded Result = "succeeded"
	ResultFailed    Result = "failed"
	ResultTimedOut  Result = "timed_out"
	ResultCancelled Result = "cancelled"
	ResultReplaced  Result = "replaced"
)

// Defaults of a Query.
const (
	DefaultGrace   = time.Minute
	DefaultWindow  = 7 * 24 * time.Hour
	DefaultMaxRows = 10_000
	DefaultMaxScan = 5_000_000
)

// ErrTooManySlots means the window holds more slots than a ledger
// enumerates (Query.MaxScan); a shorter window answers.
var ErrTooManySlots = errors.New("too many slots in the window")

// Revision is one stored version of a job's definition.
type Revision struct {
	// Revision is the definition's revision in the jobs bucket.
	Revision uint64
	// At is when the bucket stored it: when it took effect.
	At time.Time
	// Def is the definition; nil when the revision deleted the job.
	Def Definition
}

// A Definition is a job's definition as a ledger reads it. Spec adapts a
// job.Spec; a process that holds a million definitions in a compact form
// of its own (the scheduler's) hands them as they are, without making a
// job.Spec of each for every ledger.
type Definition interface {
	// LedgerFields returns the fields a ledger reads.
	LedgerFields() Fields
}

// Fields are what a ledger reads of a definition.
type Fields struct {
	// Schedule is the job's schedule (read, never changed).
	Schedule *job.Schedule
	// Disabled and DisabledReason say whether the job is paused, and why.
	Disabled       bool
	DisabledReason string
	// Jitter is the job's jitter.
	Jitter time.Duration
	// CreatedAt, UpdatedAt and EnabledAt are the definition's stamps.
	CreatedAt, UpdatedAt, EnabledAt time.Time
}

// Spec returns s as a Definition; nil for nil (a deleted job).
func Spec(s *job.Spec) Definition {
	if s == nil {
		return nil
	}
	return specDefinition{s}
}

type specDefinition struct{ s *job.Spec }

func (d specDefinition) LedgerFields() Fields {
	s := d.s
	return Fields{Schedule: &s.Schedule, Disabled: s.Disabled, DisabledReason: s.DisabledReason, Jitter: s.Jitter.D(),
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt, EnabledAt: s.EnabledAt}
}

// Query is the window and the rules of a ledger.
type Query struct {
	// Job names the job.
	Job string
	// Since and Until bound the slots, both included. Until defaults to
	// Now (and is never after it); Since to Until − 7 days.
	Since, Until time.Time
	// Now is the time the ledger is computed at.
	Now time.Time
	// Grace is how long after its slot a run may start and still be on
	// time, and how long a slot may go without an event before it is
	// unaccounted. Defaults to 1m.
	Grace time.Duration
	// MaxRows bounds the rows; the newest are kept. Defaults to 10,000.
	MaxRows int
	// MaxScan bounds the slots enumerated. Defaults to 5,000,000.
	MaxScan int
	// CompletedAfter, when set, is the last slot of a job that reached its
	// completions: no later slot is expected.
	CompletedAfter time.Time
}

// WithDefaults fills the zero fields of q.
func (q Query) WithDefaults() Query {
	if q.Now.IsZero() {
		q.Now = time.Now()
	}
	if q.Until.IsZero() || q.Until.After(q.Now) {
		q.Until = q.Now
	}
	if q.Since.IsZero() {
		q.Since = q.Until.Add(-DefaultWindow)
	}
	if q.Grace <= 0 {
		q.Grace = DefaultGrace
	}
	if q.MaxRows <= 0 {
		q.MaxRows = DefaultMaxRows
	}
	if q.MaxScan <= 0 {
		q.MaxScan = DefaultMaxScan
	}
	return q
}

// Ledger is the account of a job's slots in a window.
type Ledger struct {
	Job   string       `json:"job"`
	Since time.Time    `json:"since"`
	Until time.Time    `json:"until"`
	Now   time.Time    `json:"now"`
	Grace job.Duration `json:"grace"`
	// Slots is how many slots the window expected; Rows may list fewer
	// (MaxRows), then Notes says so.
	Slots int `json:"slots"`
	// Rows are the slots, oldest first.
	Rows []Row `json:"rows"`
	// Fired and Results count the rows by column.
	Fired   map[Fired]int  `json:"fired"`
	Results map[Result]int `json:"results"`
	// Notes says what the ledger could not see (truncated rows or history).
	Notes []string `json:"notes,omitempty"`
}

// Row is one slot.
type Row struct {
	// Slot is the slot's instant (UTC).
	Slot time.Time `json:"slot"`
	// ExecutionID is the slot's execution ID (job.ExecutionID).
	ExecutionID string `json:"execution_id"`
	// Revision is the definition revision in force for the slot: the one
	// the scheduler fired it with, when it says, else by time.
	Revision uint64 `json:"revision,omitempty"`
	Fired    Fired  `json:"fired"`
	Result   Result `json:"result,omitempty"`
	// LatenessMS is how late the slot fired, in milliseconds (see the
	// package doc); unset when it did not fire.
	LatenessMS *int64 `json:"lateness_ms,omitempty"`
	// Attempts counts the started attempts.
	Attempts int `json:"attempts,omitempty"`
	// Reason says why a slot was skipped, missed, cancelled, replaced or
	// failed, as the events say.
	Reason string `json:"reason,omitempty"`
	// Unexpected marks a slot that fired but that no definition kept in
	// the history expects.
	Unexpected bool `json:"unexpected,omitempty"`
	// Backfill is the slot's newest backfill run, if any.
	Backfill *BackfillRun `json:"backfill,omitempty"`
}

// Lateness returns the row's lateness, and whether it has one.
func (r Row) Lateness() (time.Duration, bool) {
	if r.LatenessMS == nil {
		return 0, false
	}
	return time.Duration(*r.LatenessMS) * time.Millisecond, true
}
