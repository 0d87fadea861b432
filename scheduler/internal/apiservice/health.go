package apiservice

import (
	"context"

	"github.com/jetcron/jetcron/pkg/health"
)

// openHealth opens the health bucket. Without it (made by an older `admin
// ensure`) the API answers without health rather than not at all.
func (s *Service) openHealth(ctx context.Context) {
	kv, err := s.js.KeyValue(ctx, s.names.HealthBucket())
	if err != nil {
		s.log.WarnContext(ctx, "the health bucket cannot be read: jobs are shown without health", "bucket", s.names.HealthBucket(), "error", err)
		return
	}
	s.health = kv
}

// jobHealth returns a job's stored health, or nil.
func (s *Service) jobHealth(ctx context.Context, name string) *health.State {
	if s.health == nil {
		return nil
	}
	st, ok, err := health.Get(ctx, s.health, name)
	if err != nil || !ok {
		return nil
	}
	return &st
}
