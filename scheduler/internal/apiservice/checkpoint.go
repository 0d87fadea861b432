package apiservice

import (
	"context"
	"encoding/json"

	"github.com/jetcron/jetcron/pkg/job"
)

// checkpoint returns a job's checkpoint (its last success and the value it
// left), nil when it has none or it cannot be read.
func (s *Service) checkpoint(ctx context.Context, name string) *job.Checkpoint {
	ent, err := s.checkpoints.Get(ctx, name)
	if err != nil {
		return nil
	}
	var cp job.Checkpoint
	if json.Unmarshal(ent.Value(), &cp) != nil {
		return nil
	}
	return &cp
}
