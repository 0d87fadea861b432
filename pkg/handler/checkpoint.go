package handler

import "github.com/jetcron/jetcron/pkg/job"

// SetCheckpoint sets the checkpoint the next run gets (Run.Checkpoint),
// kept only if this attempt succeeds. A value over job.MaxCheckpointBytes,
// not UTF-8 or with a NUL byte is refused: the error says why, and the
// attempt fails even if the handler returns nil.
func (r *Run) SetCheckpoint(v string) error {
	if err := job.ValidateCheckpointValue(v); err != nil {
		r.checkpointErr = err
		return err
	}
	r.newCheckpoint, r.checkpointErr = &v, nil
	return nil
}

// NewCheckpoint returns the checkpoint set by SetCheckpoint, whether one
// was set, and the error of a refused one (for the worker).
func (r *Run) NewCheckpoint() (string, bool, error) {
	if r.newCheckpoint == nil {
		return "", false, r.checkpointErr
	}
	return *r.newCheckpoint, true, r.checkpointErr
}
