package job

import (
	"strings"
	"time"
	"unicode/utf8"
)

// MaxCheckpointBytes bounds a checkpoint value.
const MaxCheckpointBytes = 64 << 10

// Checkpoint is what a job's successful runs hand to the next: the newest
// successful slot and a small value the run chose (a cursor, an offset).
// It lives in the checkpoints bucket under the job's name; only a
// successful attempt writes it, with a revision check, and never over a
// newer one (Supersedes).
type Checkpoint struct {
	// LastSuccessSlot is the slot (or requested time) of the newest
	// successful execution.
	LastSuccessSlot time.Time `json:"last_success_slot"`
	// Execution and Attempt are the attempt that wrote it.
	Execution string `json:"execution"`
	Attempt   int    `json:"attempt"`
	// Value is the checkpoint the run set (the previous one when it set
	// none).
	Value string `json:"value,omitempty"`
	// UpdatedAt is when it was written.
	UpdatedAt time.Time `json:"updated_at"`
}

// Supersedes reports whether c may replace cur: it comes from a newer slot,
// or from the same execution's later (or same) attempt. A success of an
// older slot finishing late, or a stale attempt, never moves the
// checkpoint back.
func (c *Checkpoint) Supersedes(cur *Checkpoint) bool {
	if cur == nil {
		return true
	}
	if !c.LastSuccessSlot.Equal(cur.LastSuccessSlot) {
		return c.LastSuccessSlot.After(cur.LastSuccessSlot)
	}
	if c.Execution != cur.Execution {
		return true // two runs of one instant (a manual run at a slot): the later write
	}
	return c.Attempt >= cur.Attempt
}

// ValidateCheckpointValue checks a value a run set: at most
// MaxCheckpointBytes of UTF-8 without NUL (it is passed to the next run in
// its environment).
func ValidateCheckpointValue(v string) error {
	if len(v) > MaxCheckpointBytes {
		return Fieldf("checkpoint", "is %d bytes; at most %d are allowed", len(v), MaxCheckpointBytes)
	}
	if !utf8.ValidString(v) {
		return Fieldf("checkpoint", "is not valid UTF-8")
	}
	if strings.ContainsRune(v, 0) {
		return Fieldf("checkpoint", "contains a NUL byte")
	}
	return nil
}
