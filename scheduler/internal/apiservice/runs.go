package apiservice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/leader"
	"github.com/jetcron/jetcron/pkg/streamio"
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

func (s *Service) cancel(ctx context.Context, data []byte) (any, error) {
	var req api.CancelRequest
	if err := decode(data, &req); err != nil {
		return nil, err
	}
	jobName, _, err := job.ParseExecutionID(req.ID)
	if err != nil {
		return nil, job.Fieldf("id", "%v", err)
	}
	reason := req.Reason
	if reason == "" {
		reason = "cancelled by request"
	}
	// Running: the worker that runs it answers.
	cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	msg, err := s.nc.RequestWithContext(cctx, s.names.CancelSubject(req.ID), []byte(reason))
	cancel()
	if err == nil && msg.Header.Get(topology.CancelEndedHeader) == "" {
		return api.CancelResponse{ID: req.ID, Result: "cancelling", Worker: string(msg.Data)}, nil
	}
	if !errors.Is(err, nats.ErrNoResponders) {
		// Its task has ended and its result is being recorded, or no answer
		// came (the worker was busy, or dropped its subscription as the run
		// ended): an execution that has ended says so.
		if x, gerr := s.reader.Get(ctx, req.ID); gerr == nil && x.State.Final() {
			return nil, alreadyEnded(x)
		}
		if err == nil {
			return nil, fmt.Errorf("execution %s already ended; its result is being recorded: %w", req.ID, job.ErrConflict)
		}
		return nil, fmt.Errorf("cancel %s: %w: %w", req.ID, api.ErrUnavailable, err)
	}
	// Waiting for its time.
	if _, err := s.pend.Get(ctx, req.ID); err == nil {
		if err := s.pend.Purge(ctx, req.ID); err != nil {
			return nil, fmt.Errorf("cancel %s: %w: %w", req.ID, api.ErrUnavailable, err)
		}
		s.cancelled(ctx, jobName, req.ID, reason)
		return api.CancelResponse{ID: req.ID, Result: "cancelled"}, nil
	}
	// Waiting in the work stream for a worker.
	for _, filter := range []string{s.names.WorkSubject("*", jobName, "", true), s.names.WorkSubject("*", jobName, req.ID, false)} {
		msgs, err := streamio.DirectBatch(ctx, s.nc, streamio.DirectRequest{Stream: s.names.WorkStream(), Filter: filter, Batch: 100})
		if err != nil {
			return nil, fmt.Errorf("cancel %s: %w: %w", req.ID, api.ErrUnavailable, err)
		}
		for _, m := range msgs {
			var w job.Work
			if json.Unmarshal(m.Data, &w) != nil || w.ID != req.ID {
				continue
			}
			// Its result may be recorded already, the worker's ack of the
			// item still on its way: an execution that has ended says so,
			// and keeps its one final event.
			if x, gerr := s.reader.Get(ctx, req.ID); gerr == nil && x.State.Final() {
				return nil, alreadyEnded(x)
			}
			stream, err := s.js.Stream(ctx, s.names.WorkStream())
			if err == nil {
				err = stream.DeleteMsg(ctx, m.Seq)
			}
			if err != nil {
				return nil, fmt.Errorf("cancel %s: %w: %w", req.ID, api.ErrUnavailable, err)
			}
			s.cancelled(ctx, jobName, req.ID, reason)
			return api.CancelResponse{ID: req.ID, Result: "cancelled"}, nil
		}
	}
	x, err := s.reader.Get(ctx, req.ID)
	if err != nil {
		return nil, err
	}
	if x.State.Final() {
		return nil, alreadyEnded(x)
	}
	if x.Delayed {
		// The job's delayed run, held by the leader until the running
		// execution ends: ask the leader to drop it. The request is a key
		// in the pending bucket, so it reaches the next leader too.
		value, _ := json.Marshal(job.Pending{ID: req.ID, Job: jobName, At: s.now(), Trigger: x.Trigger, Cancel: reason, CreatedAt: s.now()})
		if _, err := s.pend.Create(ctx, req.ID, value); err != nil {
			return nil, fmt.Errorf("cancel %s: %w: %w", req.ID, api.ErrUnavailable, err)
		}
		return api.CancelResponse{ID: req.ID, Result: "cancelling"}, nil
	}
	return nil, fmt.Errorf("execution %s is between two states (being handed to a worker, or recording its result); try again in a moment: %w", req.ID, job.ErrConflict)
}

// alreadyEnded is the answer to cancelling an execution that has ended.
func alreadyEnded(x job.Execution) error {
	return fmt.Errorf("execution %s already ended (%s): %w", x.ID, x.State, job.ErrConflict)
}

func (s *Service) cancelled(ctx context.Context, jobName, id, reason string) {
	e := event.Event{Kind: event.Cancelled, Job: jobName, Execution: id, Time: s.now(), Reason: reason, Error: reason}
	if _, err := s.events.Publish(ctx, e); err != nil {
		s.log.WarnContext(ctx, "cancel event lost", "execution_id", id, "error", err)
	}
}

func (s *Service) info(ctx context.Context, _ []byte) (any, error) {
	out := api.InfoResponse{Instance: s.cfg.InstanceID, Namespace: s.names.Namespace(), Version: Version}
	if rec, ok, err := leader.Current(ctx, s.lead, topology.LeaderKey); err == nil && ok {
		out.Leader = rec.ID
	}
	return out, nil
}
