package apiservice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/claim"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/streamio"
	"github.com/jetcron/jetcron/pkg/topology"
)

// An execution that an attempt holds but that no worker answers for yet
// (claimed a moment ago, its worker subscribing to cancel requests) is
// asked again, cancelTries times cancelRetry apart, before the caller is
// told to try again.
const (
	cancelTries = 10
	cancelRetry = 100 * time.Millisecond
)

// heldError: an attempt holds the execution but did not answer the cancel.
type heldError struct {
	id, worker string
	attempt    int
}

func (e *heldError) Error() string {
	return fmt.Sprintf("execution %s is starting on worker %s; try again in a moment: %v", e.id, e.worker, job.ErrConflict)
}

func (e *heldError) Unwrap() error { return job.ErrConflict }

// cancel cancels an execution: a running one through the worker running
// it, any other through its claim (fence).
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
	start := s.now()
	var held *heldError // the first attempt found holding the run
	for try := 1; ; try++ {
		out, err := s.cancelOnce(ctx, jobName, req.ID, reason, start)
		var h *heldError
		if errors.As(err, &h) && held == nil {
			held = h
		}
		if r, ok := out.(api.CancelResponse); ok && r.Result == "cancelled" && r.AfterAttempt == 0 && held != nil {
			// It ended before the cancel reached it (a retry is what was
			// left to cancel): the answer says it ran.
			r.AfterAttempt, r.Worker = held.attempt, held.worker
			out = r
		}
		if h == nil || try == cancelTries {
			return out, err
		}
		t := s.cfg.Clock.NewTimer(cancelRetry)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C():
		}
	}
}

// cancelOnce is one look at where the execution is; start is when the
// cancel came.
func (s *Service) cancelOnce(ctx context.Context, jobName, id, reason string, start time.Time) (any, error) {
	// Running: the worker that runs it answers.
	cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	msg, err := s.nc.RequestWithContext(cctx, s.names.CancelSubject(id), []byte(reason))
	cancel()
	if err == nil && msg.Header.Get(topology.CancelEndedHeader) == "" {
		return api.CancelResponse{ID: id, Result: "cancelling", Worker: string(msg.Data)}, nil
	}
	if !errors.Is(err, nats.ErrNoResponders) {
		// Its task has ended and its result is being recorded, or no answer
		// came (the worker was busy, or dropped its subscription as the run
		// ended): an execution that has ended says so.
		if x, gerr := s.reader.Get(ctx, id); gerr == nil && x.State.Final() {
			return nil, alreadyEnded(x)
		}
		if err == nil {
			return nil, fmt.Errorf("execution %s already ended; its result is being recorded: %w", id, job.ErrConflict)
		}
		return nil, fmt.Errorf("cancel %s: %w: %w", id, api.ErrUnavailable, err)
	}
	// Waiting for its time in the pending bucket. The leader may be
	// publishing it this moment from its copy of the bucket: the claim
	// decides, and removing the key keeps the next leader from trying.
	if ent, err := s.pend.Get(ctx, id); err == nil {
		var p job.Pending
		if json.Unmarshal(ent.Value(), &p) == nil && p.Cancel != "" {
			// The request an earlier cancel of the delayed run left for the
			// leader, which removes it once the run is dropped: that cancel
			// fenced the run and recorded it.
			return nil, fmt.Errorf("execution %s already ended (cancelled): %w", id, job.ErrConflict)
		}
		return s.fence(ctx, jobName, id, 0, reason, start, s.cfg.Topology.AckWait, func(ctx context.Context) error {
			return s.pend.Purge(ctx, id)
		})
	}
	// Waiting in the work stream for a worker, or for its retry. A worker
	// may have received it a moment ago: the claim decides, and removing
	// the message keeps it from every other worker.
	for _, filter := range []string{s.names.WorkSubject("*", jobName, "", true), s.names.WorkSubject("*", jobName, id, false)} {
		msgs, err := streamio.DirectBatch(ctx, s.nc, streamio.DirectRequest{Stream: s.names.WorkStream(), Filter: filter, Batch: 100})
		if err != nil {
			return nil, fmt.Errorf("cancel %s: %w: %w", id, api.ErrUnavailable, err)
		}
		for _, m := range msgs {
			var w job.Work
			if json.Unmarshal(m.Data, &w) != nil || w.ID != id {
				continue
			}
			// Its result may be recorded already, the worker's ack of the
			// item still on its way: an execution that has ended says so,
			// and keeps its one final event.
			if x, gerr := s.reader.Get(ctx, id); gerr == nil && x.State.Final() {
				return nil, alreadyEnded(x)
			}
			return s.fence(ctx, jobName, id, m.Seq, reason, start, s.ackWait(ctx, w.Spec.Queue), func(ctx context.Context) error {
				return s.deleteWork(ctx, m.Seq)
			})
		}
	}
	x, err := s.reader.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if x.State.Final() {
		return nil, alreadyEnded(x)
	}
	if x.Delayed {
		// The job's delayed run, held by the leader until the running
		// execution ends: the claim decides, and a cancel request (a key in
		// the pending bucket, so it reaches the next leader too) makes the
		// leader drop it.
		return s.fence(ctx, jobName, id, 0, reason, start, s.cfg.Topology.AckWait, func(ctx context.Context) error {
			value, _ := json.Marshal(job.Pending{ID: id, Job: jobName, At: s.now(), Trigger: x.Trigger, Cancel: reason, CreatedAt: s.now()})
			if _, err := s.pend.Create(ctx, id, value); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
				return err
			}
			return nil
		})
	}
	return nil, fmt.Errorf("execution %s is between two states (being handed to a worker, or recording its result); try again in a moment: %w", id, job.ErrConflict)
}

// fence cancels execution id, of work message seq (0 before it has one),
// through its claim (claim.Cancel: the one arbiter between a cancel and
// the attempts that would run it), then tidies away what still carries it
// and records it cancelled. An attempt whose claim has not been renewed
// for lost is taken to be lost with its worker. A claim taken over from an
// attempt whose holder wrote it after start (the cancel came) is an
// attempt that ran while the cancel was on its way: the answer says so.
//
// The claim lives for the claims bucket's TTL, and a run may wait longer
// than that (due next week, or delayed behind a long run): what carries
// it must go too. A tidy that fails answers unavailable, and the cancel
// asked again finds its own claim (written by an API, "api …") and
// finishes the work instead of answering that the run ended.
func (s *Service) fence(ctx context.Context, jobName, id string, seq uint64, reason string, start time.Time, lost time.Duration, tidy func(context.Context) error) (any, error) {
	got, rec, err := claim.Cancel(ctx, s.claims, id, seq, 0, apiClaimant+s.cfg.InstanceID, s.now(), lost)
	if err != nil {
		return nil, fmt.Errorf("cancel %s: %w: %w", id, api.ErrUnavailable, err)
	}
	switch {
	case got == claim.Held:
		return nil, &heldError{id: id, worker: rec.Worker, attempt: rec.Attempt}
	case got == claim.Over && (rec.Final != string(job.StateCancelled) || !strings.HasPrefix(rec.Worker, apiClaimant)):
		return nil, fmt.Errorf("execution %s already ended (%s): %w", id, rec.Final, job.ErrConflict)
	}
	if err := tidy(ctx); err != nil {
		return nil, fmt.Errorf("cancel %s: the run will not start, but it is still waiting; ask again: %w: %w", id, api.ErrUnavailable, err)
	}
	s.cancelled(ctx, jobName, id, reason)
	out := api.CancelResponse{ID: id, Result: "cancelled"}
	if p := rec.Previous; p != nil && p.Attempt > 0 && !p.Heartbeat.Before(start) {
		out.AfterAttempt, out.Worker = p.Attempt, p.Worker
	}
	return out, nil
}

// apiClaimant begins the worker name of a claim an API's cancel wrote.
const apiClaimant = "api "

// deleteWork removes the work message seq; one already gone (a worker
// that received it found its claim finished and acked it) is removed.
func (s *Service) deleteWork(ctx context.Context, seq uint64) error {
	stream, err := s.js.Stream(ctx, s.names.WorkStream())
	if err == nil {
		err = stream.DeleteMsg(ctx, seq)
	}
	if err == nil {
		return nil
	}
	// The client does not keep the server's error code for a delete: look.
	msgs, gerr := streamio.DirectBatch(ctx, s.nc, streamio.DirectRequest{Stream: s.names.WorkStream(), Seq: seq, Batch: 1})
	if gerr == nil && (len(msgs) == 0 || msgs[0].Seq != seq) {
		return nil
	}
	return err
}

// ackWait is how long a worker of queue may go without renewing its claim
// before it is taken to be lost: the queue consumer's ack wait.
func (s *Service) ackWait(ctx context.Context, queue string) time.Duration {
	c, err := s.js.Consumer(ctx, s.names.WorkStream(), s.names.WorkConsumer(queue))
	if err != nil || c.CachedInfo().Config.AckWait <= 0 {
		return s.cfg.Topology.AckWait
	}
	return c.CachedInfo().Config.AckWait
}

// alreadyEnded is the answer to cancelling an execution that has ended.
func alreadyEnded(x job.Execution) error {
	return fmt.Errorf("execution %s already ended (%s): %w", x.ID, x.State, job.ErrConflict)
}

func (s *Service) cancelled(ctx context.Context, jobName, id, reason string) {
	e := event.Event{Kind: event.Cancelled, Job: jobName, Execution: id, Time: s.now(), Reason: reason, Error: reason}
	// A worker that received the run records the same end from its claim
	// (Acquire: Finished): the first of the two is kept.
	if err := s.events.PublishFirst(ctx, e); err != nil {
		s.log.WarnContext(ctx, "cancel event lost", "execution_id", id, "error", err)
	}
}
