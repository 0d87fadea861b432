package apiservice

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
)

// checkKind refuses a job whose queue's live workers all disallow its task
// kind (worker --allow-kinds, published in their presence records). A
// queue with no live worker accepts any kind: nothing says what its pool
// will allow, and each worker refuses a kind it does not run anyway.
func (s *Service) checkKind(ctx context.Context, spec job.Spec) error {
	workers, err := s.liveWorkers(ctx)
	if err != nil {
		return err
	}
	var live []string
	allowed := map[job.TaskKind]bool{}
	for _, w := range workers {
		if !slices.Contains(w.Queues, spec.Queue) {
			continue
		}
		if w.Allows(spec.Task.Kind) {
			return nil
		}
		live = append(live, w.ID)
		for _, k := range w.Kinds {
			allowed[k] = true
		}
	}
	if len(live) == 0 {
		return nil
	}
	var kinds []string
	for k := range allowed {
		kinds = append(kinds, string(k))
	}
	slices.Sort(kinds)
	return job.Fieldf("task.kind", "queue %q does not run %s tasks: its %d live worker(s) allow only %s (worker --allow-kinds)",
		spec.Queue, spec.Task.Kind, len(live), strings.Join(kinds, ", "))
}

// liveWorkers reads the presence records of the workers bucket, whose TTL
// removes a worker that stopped refreshing its record.
func (s *Service) liveWorkers(ctx context.Context) ([]job.WorkerInfo, error) {
	kv, err := s.js.KeyValue(ctx, s.names.WorkersBucket())
	if err != nil {
		return nil, fmt.Errorf("workers: %w: %w", api.ErrUnavailable, err)
	}
	wa, err := kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("workers: %w: %w", api.ErrUnavailable, err)
	}
	defer wa.Stop()
	var out []job.WorkerInfo
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("workers: %w: %w", api.ErrUnavailable, ctx.Err())
		case ent := <-wa.Updates():
			if ent == nil {
				return out, nil
			}
			var wi job.WorkerInfo
			if json.Unmarshal(ent.Value(), &wi) == nil {
				out = append(out, wi)
			}
		}
	}
}
