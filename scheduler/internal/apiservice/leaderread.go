package apiservice

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/streamio"
)

// readFromLeader reads the value of key in a KV bucket from its stream's
// leader (read-your-writes: a job created right after its calendar must
// find it) and decodes it; it returns the value's revision. what names the
// kind of value in errors ("job", "calendar", "sink"), name the value.
func readFromLeader[T any](ctx context.Context, s *Service, bucket, key, what, name string) (T, uint64, error) {
	var v T
	m, ok, err := streamio.LastFromLeader(ctx, s.nc, "KV_"+bucket, "$KV."+bucket+"."+key)
	if err != nil {
		return v, 0, fmt.Errorf("read %s %q: %w: %w", what, name, api.ErrUnavailable, err)
	}
	if op := m.Header.Get("KV-Operation"); !ok || op == "DEL" || op == "PURGE" {
		return v, 0, fmt.Errorf("%s %q: %w", what, name, job.ErrNotFound)
	}
	if err := json.Unmarshal(m.Data, &v); err != nil {
		return v, 0, fmt.Errorf("%s %q is stored damaged: %w", what, name, err)
	}
	return v, m.Seq, nil
}
