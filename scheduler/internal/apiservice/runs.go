package apiservice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/leader"
	"github.com/jetcron/jetcron/pkg/topology"
)

func validateParams(params map[string]string) error {
	size := 0
	for k, v := range params {
		if err := job.ValidateParamName(k); err != nil {
			return job.Fieldf("params", "%v", err)
		}
		size += len(k) + len(v)
	}
	if size > job.MaxParamsBytes {
		return job.Fieldf("params", "are %d bytes; at most %d are allowed", size, job.MaxParamsBytes)
	}
	return nil
}

func (s *Service) run(ctx context.Context, data []byte) (any, error) {
	var req api.RunRequest
	if err := decode(data, &req); err != nil {
		return nil, err
	}
	if err := validateParams(req.Params); err != nil {
		return nil, err
	}
	if _, _, err := s.load(ctx, req.Name); err != nil {
		return nil, err
	}
	now := s.now()
	p := job.Pending{ID: job.AdHocExecutionID(req.Name, now), Job: req.Name, At: now, Trigger: job.TriggerManual, Params: req.Params, Force: req.Force, CreatedAt: now}
	return s.putPending(ctx, p)
}

// MaxEnqueueAhead bounds how far in the future a run may be enqueued.
const MaxEnqueueAhead = 366 * 24 * time.Hour

func (s *Service) enqueue(ctx context.Context, data []byte) (any, error) {
	var req api.EnqueueRequest
	if err := decode(data, &req); err != nil {
		return nil, err
	}
	if err := validateParams(req.Params); err != nil {
		return nil, err
	}
	now := s.now()
	switch {
	case req.At.IsZero():
		return nil, job.Fieldf("at", "is required")
	case req.At.Before(now.Add(-time.Minute)):
		return nil, job.Fieldf("at", "%s is in the past", req.At.Format(time.RFC3339))
	case req.At.After(now.Add(MaxEnqueueAhead)):
		return nil, job.Fieldf("at", "%s is more than a year ahead", req.At.Format(time.RFC3339))
	}
	if _, _, err := s.load(ctx, req.Name); err != nil {
		return nil, err
	}
	trig := req.Trigger
	switch trig {
	case "":
		trig = job.TriggerEnqueue
	case job.TriggerEnqueue, job.TriggerFollowUp:
	default:
		return nil, job.Fieldf("trigger", "%q is not enqueue or followup", trig)
	}
	if req.ParentID != "" {
		if _, _, err := job.ParseExecutionID(req.ParentID); err != nil {
			return nil, job.Fieldf("parent_id", "%v", err)
		}
	}
	id := req.ID
	if id == "" {
		id = job.AdHocExecutionID(req.Name, req.At)
	} else if err := job.ValidateAdHocID(id, req.Name); err != nil {
		return nil, job.Fieldf("id", "%v", err)
	}
	at := req.At.UTC()
	if at.Before(now) {
		at = now
	}
	p := job.Pending{ID: id, Job: req.Name, At: at, Trigger: trig, Params: req.Params, ParentID: req.ParentID, CreatedAt: now}
	return s.putPending(ctx, p)
}

func (s *Service) putPending(ctx context.Context, p job.Pending) (any, error) {
	value, _ := json.Marshal(p)
	if _, err := s.pend.Create(ctx, p.ID, value); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
		return nil, fmt.Errorf("enqueue %s: %w: %w", p.ID, api.ErrUnavailable, err)
	}
	return api.RunResponse{ExecutionID: p.ID, At: p.At}, nil
}

func (s *Service) info(ctx context.Context, _ []byte) (any, error) {
	out := api.InfoResponse{Instance: s.cfg.InstanceID, Namespace: s.names.Namespace(), Version: Version}
	if rec, ok, err := leader.Current(ctx, s.lead, topology.LeaderKey); err == nil && ok {
		out.Leader = rec.ID
	}
	return out, nil
}
