package apiservice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
)

// queueSet stores a queue's settings (the leader watches them: a queue's
// max running caps its executions on the work stream, scheduler/
// concurrency.go). Settings with no cap remove the key.
func (s *Service) queueSet(ctx context.Context, data []byte) (any, error) {
	var req job.QueueSettings
	if err := decode(data, &req); err != nil {
		return nil, err
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if req.MaxRunning == 0 {
		if err := s.queueSettings.Purge(ctx, req.Queue); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil, fmt.Errorf("queue settings: %w", err)
		}
		return req, nil
	}
	val, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	if _, err := s.queueSettings.Put(ctx, req.Queue, val); err != nil {
		return nil, fmt.Errorf("queue settings: %w", err)
	}
	return req, nil
}

// queueList lists every queue's settings.
func (s *Service) queueList(ctx context.Context, data []byte) (any, error) {
	if len(data) > 0 {
		var req struct{}
		if err := decode(data, &req); err != nil {
			return nil, err
		}
	}
	out := api.QueueSettingsResponse{Queues: []job.QueueSettings{}}
	w, err := s.queueSettings.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("queue settings: %w", err)
	}
	defer func() { _ = w.Stop() }()
	for ent := range w.Updates() {
		if ent == nil {
			break
		}
		var qs job.QueueSettings
		if json.Unmarshal(ent.Value(), &qs) != nil || qs.Queue != ent.Key() || qs.Validate() != nil {
			continue
		}
		out.Queues = append(out.Queues, qs)
	}
	slices.SortFunc(out.Queues, func(a, b job.QueueSettings) int { return strings.Compare(a.Queue, b.Queue) })
	return out, nil
}
