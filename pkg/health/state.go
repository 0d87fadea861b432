package health

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/alert"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/wirejson"
)

// Version is the schema version of State.
const Version = 1

// State is a job's health and what it is derived from.
type State struct {
	V int `json:"v"`
	// Job is the job's name (the key).
	Job string `json:"job"`
	// Health is the job's health; Since is when it became so.
	Health alert.Health `json:"health"`
	Since  time.Time    `json:"since"`
	// Reason says why, for people; Slot and Execution name the cause, as
	// the alert that announced the change did.
	Reason    string    `json:"reason,omitempty"`
	Slot      time.Time `json:"slot,omitzero"`
	Execution string    `json:"execution,omitempty"`
	// ConsecutiveFailures counts the job's failed executions since its
	// last success.
	ConsecutiveFailures int `json:"consecutive_failures"`
	// LastSuccess is when the job's last successful execution ended.
	LastSuccess time.Time `json:"last_success,omitzero"`
	// Seq is the events stream sequence of the job's last event applied.
	Seq uint64 `json:"seq,omitempty"`
	// Detector names the scheduler replica that wrote the state last.
	Detector string `json:"detector,omitempty"`
	// Updated is when the state was written.
	Updated time.Time `json:"updated"`
}

// ErrInvalid marks a stored state that fails validation.
var ErrInvalid = errors.New("invalid health state")

// Validate checks a state read from the bucket or about to be written.
func (s State) Validate() error {
	if err := job.ValidateName(s.Job); err != nil {
		return fmt.Errorf("%w: job: %v", ErrInvalid, err)
	}
	if !s.Health.Valid() {
		return fmt.Errorf("%w: health %q", ErrInvalid, s.Health)
	}
	if s.ConsecutiveFailures < 0 {
		return fmt.Errorf("%w: consecutive_failures %d", ErrInvalid, s.ConsecutiveFailures)
	}
	return nil
}

// Decode parses and validates a stored state; key is the key it was stored
// under, which must name the same job.
func Decode(key string, data []byte) (State, error) {
	var s State
	if err := wirejson.Unmarshal(data, &s); err != nil {
		return State{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := s.Validate(); err != nil {
		return State{}, err
	}
	if s.Job != key {
		return State{}, fmt.Errorf("%w: state of %q stored under %q", ErrInvalid, s.Job, key)
	}
	return s, nil
}

// Encode returns the stored form of s.
func Encode(s State) ([]byte, error) {
	s.V = Version
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return json.Marshal(s)
}

// Get reads a job's health from the bucket; ok is false when none is
// stored (a job the watchdog has not seen yet, or a damaged value).
func Get(ctx context.Context, kv jetstream.KeyValue, name string) (State, bool, error) {
	ent, err := kv.Get(ctx, name)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return State{}, false, nil
	}
	if err != nil {
		return State{}, false, fmt.Errorf("health of %s: %w", name, err)
	}
	s, err := Decode(ent.Key(), ent.Value())
	if err != nil {
		return State{}, false, nil
	}
	return s, true, nil
}
