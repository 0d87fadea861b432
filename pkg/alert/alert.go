package alert

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jetcron/jetcron/pkg/job"
)

// Version is the schema version of Alert.
const Version = 1

// Health is a job's health, or the state of one unaccounted slot.
type Health string

// Health values.
const (
	OK          Health = "ok"          // running as expected
	Late        Health = "late"        // a slot has not started within its grace
	Failing     Health = "failing"     // consecutive failed executions reached the job's threshold
	Overrunning Health = "overrunning" // a run has lasted longer than the job's max runtime
	TooShort    Health = "too_short"   // a run ended sooner than the job's min runtime
	Paused      Health = "paused"      // the job is disabled
	Unaccounted Health = "unaccounted" // a slot was neither fired nor recorded within its grace
)

var healths = []Health{OK, Late, Failing, Overrunning, TooShort, Paused, Unaccounted}

// Valid reports whether h is a known health.
func (h Health) Valid() bool {
	for _, k := range healths {
		if h == k {
			return true
		}
	}
	return false
}

// Alert is one change of a job's health.
type Alert struct {
	V int `json:"v"`
	// Job is the job's name.
	Job string `json:"job"`
	// Health is the new health; Previous the one it replaces (the
	// watchdog takes a job without a stored health as ok; "" is accepted
	// from older writers).
	Health   Health `json:"health"`
	Previous Health `json:"previous,omitempty"`
	// Slot is the slot the change is about (late, unaccounted), if any.
	Slot time.Time `json:"slot,omitzero"`
	// Execution is the execution the change is about (failing, ok after a
	// success, overrunning), if any.
	Execution string `json:"execution,omitempty"`
	// Revision is the job definition's revision the change is about
	// (paused, or ok once enabled again), if any.
	Revision uint64 `json:"revision,omitempty"`
	// Reason says why, for people.
	Reason string `json:"reason"`
	// Time is when the change was detected.
	Time time.Time `json:"time"`
	// Labels are the job's labels, for routing to notification sinks.
	Labels map[string]string `json:"labels,omitempty"`
	// Detector names the process that detected the change.
	Detector string `json:"detector,omitempty"`
}

// ErrInvalid marks an alert that fails validation.
var ErrInvalid = errors.New("invalid alert")

// Validate checks an alert read from the stream or about to be written.
func (a Alert) Validate() error {
	if err := job.ValidateName(a.Job); err != nil {
		return fmt.Errorf("%w: job: %v", ErrInvalid, err)
	}
	if !a.Health.Valid() {
		return fmt.Errorf("%w: health %q is not one of %v", ErrInvalid, a.Health, healths)
	}
	if a.Previous != "" && !a.Previous.Valid() {
		return fmt.Errorf("%w: previous %q is not one of %v", ErrInvalid, a.Previous, healths)
	}
	if a.Time.IsZero() {
		return fmt.Errorf("%w: time is required", ErrInvalid)
	}
	return nil
}

// MsgID is the alert's message ID: the same change detected by two
// processes has the same ID. It is job/health/cause, where the cause is the
// execution, else the slot, else the definition revision ("r" and its
// number), else the detection time; followed by /previous when the alert
// names the health it replaces (an execution that started late and then
// overran brings the job back to ok twice, from two different healths).
func (a Alert) MsgID() string {
	cause := a.Execution
	if cause == "" && !a.Slot.IsZero() {
		cause = a.Slot.UTC().Format("20060102T150405Z")
	}
	if cause == "" && a.Revision > 0 {
		cause = fmt.Sprintf("r%d", a.Revision)
	}
	if cause == "" {
		cause = a.Time.UTC().Format("20060102T150405Z")
	}
	id := a.Job + "/" + string(a.Health) + "/" + cause
	if a.Previous != "" {
		id += "/" + string(a.Previous)
	}
	return id
}

// Decode parses and validates an alert.
func Decode(data []byte) (Alert, error) {
	var a Alert
	if err := json.Unmarshal(data, &a); err != nil {
		return Alert{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := a.Validate(); err != nil {
		return Alert{}, err
	}
	return a, nil
}
