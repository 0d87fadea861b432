package backfill

import (
	"time"

	"github.com/jetcron/jetcron/pkg/job"
)

// Version is the schema version of Backfill.
const Version = 1

// MaxSlots bounds the slots one backfill runs.
const MaxSlots = 1000

// Only selects the slots of a window to run.
type Only string

// Values of Only.
const (
	OnlyMissed Only = "missed" // slots that did not run
	OnlyFailed Only = "failed" // slots whose run did not succeed
	OnlyAll    Only = "all"    // both
)

// Valid reports whether o is a known value.
func (o Only) Valid() bool { return o == OnlyMissed || o == OnlyFailed || o == OnlyAll }

// State is where a backfill stands.
type State string

// Values of State.
const (
	StateRunning   State = "running"
	StateDone      State = "done"
	StateCancelled State = "cancelled"
)

// Status is where one slot of a backfill stands.
type Status string

// Values of Status.
const (
	SlotWaiting Status = "waiting" // not started yet
	SlotStarted Status = "started" // written as a pending run
	SlotEnded   Status = "ended"   // its run ended (Result says how)
)

// Backfill is one backfill of a job: the record the API stores and the
// leader drives.
type Backfill struct {
	V           int       `json:"v"`
	ID          string    `json:"id"`
	Job         string    `json:"job"`
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	Only        Only      `json:"only"`
	MaxParallel int       `json:"max_parallel"`
	State       State     `json:"state"`
	CreatedAt   time.Time `json:"created_at"`
	By          string    `json:"by,omitempty"`
	// Reason says why it stopped early (cancelled).
	Reason string `json:"reason,omitempty"`
	Slots  []Slot `json:"slots"`
}

// Slot is one slot a backfill runs.
type Slot struct {
	Slot        time.Time `json:"slot"`
	ExecutionID string    `json:"execution_id"`
	Gen         int       `json:"gen"`
	Status      Status    `json:"status"`
	// Result is the run's final state once ended.
	Result job.State `json:"result,omitempty"`
	// StartedAt is when it was written as a pending run.
	StartedAt *time.Time `json:"started_at,omitempty"`
}

// ID returns the ID of a backfill of a window: its bounds' stamps.
func ID(from, to time.Time) string {
	return from.UTC().Format(job.StampLayout) + "-" + to.UTC().Format(job.StampLayout)
}

// Key returns a backfill's key in the backfills bucket.
func Key(jobName, id string) string { return jobName + "." + id }

// Overlaps reports whether b's window overlaps [from, to].
func (b Backfill) Overlaps(from, to time.Time) bool {
	return !from.After(b.To) && !to.Before(b.From)
}

// Counts counts the slots by status.
func (b Backfill) Counts() map[Status]int {
	out := map[Status]int{}
	for _, s := range b.Slots {
		out[s.Status]++
	}
	return out
}
