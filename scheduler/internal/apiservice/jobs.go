package apiservice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/history"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/topology"
)

func nameErr(name string) error {
	if err := job.ValidateName(name); err != nil {
		return job.Fieldf("name", "%q %v", name, err)
	}
	return nil
}

// load reads a job definition and its revision from the jobs bucket's
// stream leader: a KV Get may be served by a replica that has not applied
// a write acknowledged a moment ago, and "create, then run" must find the
// job on a cluster too.
func (s *Service) load(ctx context.Context, name string) (job.Spec, uint64, error) {
	if err := nameErr(name); err != nil {
		return job.Spec{}, 0, err
	}
	return readFromLeader[job.Spec](ctx, s, s.names.JobsBucket(), name, "job", name)
}

// loadNamed decodes a request that names a job (api.NameRequest) and loads
// that job; it returns the name as the request gave it.
func (s *Service) loadNamed(ctx context.Context, data []byte) (string, job.Spec, uint64, error) {
	var req api.NameRequest
	if err := decode(data, &req); err != nil {
		return "", job.Spec{}, 0, err
	}
	spec, rev, err := s.load(ctx, req.Name)
	return req.Name, spec, rev, err
}

// ensureQueue creates the consumer of a queue the first time a job names it.
func (s *Service) ensureQueue(ctx context.Context, queue string) error {
	s.qmu.Lock()
	done := s.queues[queue]
	s.qmu.Unlock()
	if done {
		return nil
	}
	if err := topology.EnsureQueue(ctx, s.js, s.cfg.Topology, queue); err != nil {
		return fmt.Errorf("%w: %w", api.ErrUnavailable, err)
	}
	s.qmu.Lock()
	s.queues[queue] = true
	s.qmu.Unlock()
	return nil
}

func (s *Service) create(ctx context.Context, data []byte) (any, error) {
	var req api.CreateRequest
	if err := decode(data, &req); err != nil {
		return nil, err
	}
	if err := checkReason(req.Reason); err != nil {
		return nil, err
	}
	return s.put(ctx, req, 0)
}

// put creates or replaces a job (create, apply, rollback: rollbackOf names
// the revision restored) and records the new revision in the history.
func (s *Service) put(ctx context.Context, req api.CreateRequest, rollbackOf uint64) (api.CreateResponse, error) {
	spec := req.Spec
	// Fields only the API sets.
	spec.CreatedAt, spec.UpdatedAt, spec.EnabledAt = s.now(), s.now(), s.now()
	spec, err := spec.Normalize()
	if err != nil {
		return api.CreateResponse{}, err
	}
	for attempt := 0; ; attempt++ {
		old, rev, err := s.load(ctx, spec.Name)
		exists := err == nil
		if err != nil && !errors.Is(err, job.ErrNotFound) {
			return api.CreateResponse{}, err
		}
		if exists && !req.Update {
			return api.CreateResponse{}, fmt.Errorf("job %q %w (use --update to replace it)", spec.Name, job.ErrExists)
		}
		var changes []string
		if exists {
			spec = spec.Unredact(old) // a definition read back with its secrets masked keeps them
			spec.CreatedAt = old.CreatedAt
			spec.EnabledAt, spec.DisabledAt = old.EnabledAt, old.DisabledAt
			if spec.Disabled && !old.Disabled {
				spec.DisabledAt = s.now()
			}
			if spec.Schedule.String() != old.Schedule.String() {
				// A new schedule owes nothing from before it existed.
				spec.EnabledAt = s.now()
			}
			if !spec.Disabled && old.Disabled {
				spec.EnabledAt = s.now()
			}
			changes = diff(old, spec)
			if len(changes) == 0 {
				return api.CreateResponse{Job: s.view(ctx, old, rev), Result: "unchanged"}, nil
			}
			spec.UpdatedAt = s.now()
		}
		if !exists || spec.Schedule.String() != old.Schedule.String() {
			if err := spec.CheckFuture(s.now()); err != nil {
				return api.CreateResponse{}, err
			}
		}
		if err := s.checkKind(ctx, spec); err != nil {
			return api.CreateResponse{}, err
		}
		if !req.DryRun {
			if err := s.checkScript(ctx, spec); err != nil {
				return api.CreateResponse{}, err
			}
		}
		if err := s.checkCalendars(ctx, spec); err != nil {
			return api.CreateResponse{}, err
		}
		if req.DryRun {
			result := "created"
			var before *job.Spec
			if exists {
				result, before = "updated", &old
			}
			return api.CreateResponse{Job: s.view(ctx, spec, rev), Result: result, Changes: changes, Preview: s.preview(before, &spec)}, nil
		}
		if err := s.ensureQueue(ctx, spec.Queue); err != nil {
			return api.CreateResponse{}, err
		}
		value, _ := json.Marshal(spec)
		var newRev uint64
		if exists {
			newRev, err = s.jobs.Update(ctx, spec.Name, value, rev)
		} else {
			newRev, err = s.jobs.Create(ctx, spec.Name, value)
		}
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) {
			if attempt < 3 {
				continue // someone else wrote it meanwhile: decide again
			}
			return api.CreateResponse{}, fmt.Errorf("job %q changed concurrently: %w", spec.Name, job.ErrConflict)
		}
		if err != nil {
			return api.CreateResponse{}, fmt.Errorf("write job %q: %w: %w", spec.Name, api.ErrUnavailable, err)
		}
		kind, result := event.JobCreated, "created"
		if exists {
			kind, result = event.JobUpdated, "updated"
		}
		s.audit(ctx, event.Event{Kind: kind, Job: spec.Name, Revision: newRev, Reason: strings.Join(changes, ", ")})
		op := history.OpCreated
		switch {
		case rollbackOf != 0:
			op = history.OpRolledBack
		case exists:
			op = history.OpUpdated
		}
		var before *job.Spec
		if exists {
			before = &old
		}
		s.record(ctx, history.Record{Job: spec.Name, Revision: newRev, Op: op, Reason: req.Reason, RollbackOf: rollbackOf, Spec: &spec}, before)
		return api.CreateResponse{Job: s.view(ctx, spec, newRev), Result: result, Changes: changes}, nil
	}
}

// diff names the top-level fields that differ, ignoring timestamps.
func diff(a, b job.Spec) []string {
	a.CreatedAt, a.UpdatedAt, a.EnabledAt, a.DisabledAt = b.CreatedAt, b.UpdatedAt, b.EnabledAt, b.DisabledAt
	var out []string
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	t := va.Type()
	for i := range t.NumField() {
		if !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			out = append(out, name)
		}
	}
	return out
}

// audit appends a job-level event; a failure is logged, not returned: the
// change itself is done.
func (s *Service) audit(ctx context.Context, e event.Event) {
	e.Time = s.now()
	e.Attempt = int(e.Revision % 1_000_000_000)
	if _, err := s.events.Publish(ctx, e); err != nil {
		s.log.WarnContext(ctx, "audit event lost", "kind", e.Kind, "job", e.Job, "error", err)
	}
}

func (s *Service) get(ctx context.Context, data []byte) (any, error) {
	_, spec, rev, err := s.loadNamed(ctx, data)
	if err != nil {
		return nil, err
	}
	v := s.view(ctx, spec, rev)
	v.State = s.runtime(ctx, spec.Name)
	v.Checkpoint = s.checkpoint(ctx, spec.Name)
	v.Health = s.jobHealth(ctx, spec.Name)
	if v.State != nil && v.State.Completed {
		v.Status = api.StatusCompleted
		v.Next = nil
	}
	return v, nil
}

func (s *Service) runtime(ctx context.Context, name string) *job.Runtime {
	ent, err := s.state.Get(ctx, name)
	if err != nil {
		return nil
	}
	var rt job.Runtime
	if json.Unmarshal(ent.Value(), &rt) != nil {
		return nil
	}
	return &rt
}

func hasLabels(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

// modify applies change to a job with a revision check, retrying on a
// concurrent write; it also returns the definition it changed.
func (s *Service) modify(ctx context.Context, name string, change func(*job.Spec) bool) (job.Spec, uint64, bool, job.Spec, error) {
	for attempt := 0; ; attempt++ {
		spec, rev, err := s.load(ctx, name)
		if err != nil {
			return job.Spec{}, 0, false, job.Spec{}, err
		}
		old := spec
		if !change(&spec) {
			return spec, rev, false, old, nil
		}
		spec.UpdatedAt = s.now()
		value, _ := json.Marshal(spec)
		newRev, err := s.jobs.Update(ctx, name, value, rev)
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) && attempt < 3 {
			continue
		}
		if err != nil {
			return job.Spec{}, 0, false, job.Spec{}, fmt.Errorf("write job %q: %w: %w", name, api.ErrUnavailable, err)
		}
		return spec, newRev, true, old, nil
	}
}

func (s *Service) disable(ctx context.Context, data []byte) (any, error) {
	var req api.DisableRequest
	if err := decode(data, &req); err != nil {
		return nil, err
	}
	if len(req.Reason) > job.MaxDescriptionLen {
		return nil, job.Fieldf("reason", "is longer than %d bytes", job.MaxDescriptionLen)
	}
	spec, rev, changed, old, err := s.modify(ctx, req.Name, func(sp *job.Spec) bool {
		if sp.Disabled && sp.DisabledReason == req.Reason {
			return false
		}
		sp.Disabled, sp.DisabledReason, sp.DisabledAt = true, req.Reason, s.now()
		return true
	})
	if err != nil {
		return nil, err
	}
	if changed {
		s.audit(ctx, event.Event{Kind: event.JobDisabled, Job: spec.Name, Revision: rev, Reason: req.Reason})
		s.record(ctx, history.Record{Job: spec.Name, Revision: rev, Op: history.OpDisabled, Reason: req.Reason, Spec: &spec}, &old)
	}
	return s.view(ctx, spec, rev), nil
}

func (s *Service) enable(ctx context.Context, data []byte) (any, error) {
	var req api.EnableRequest
	if err := decode(data, &req); err != nil {
		return nil, err
	}
	if err := checkReason(req.Reason); err != nil {
		return nil, err
	}
	spec, rev, changed, old, err := s.modify(ctx, req.Name, func(sp *job.Spec) bool {
		if !sp.Disabled {
			return false
		}
		sp.Disabled, sp.DisabledReason = false, ""
		if !req.CatchUp {
			sp.EnabledAt = s.now()
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	if changed {
		reason := "resumes from now"
		if req.CatchUp {
			reason = "catches up slots missed while disabled, within the catch-up window"
		}
		s.audit(ctx, event.Event{Kind: event.JobEnabled, Job: spec.Name, Revision: rev, Reason: reason})
		s.record(ctx, history.Record{Job: spec.Name, Revision: rev, Op: history.OpEnabled, Reason: req.Reason, Spec: &spec}, &old)
	}
	return s.view(ctx, spec, rev), nil
}

func (s *Service) delete(ctx context.Context, data []byte) (any, error) {
	var req api.DeleteRequest
	if err := decode(data, &req); err != nil {
		return nil, err
	}
	if err := checkReason(req.Reason); err != nil {
		return nil, err
	}
	name := req.Name
	spec, rev, err := s.load(ctx, name)
	if err != nil {
		return nil, err
	}
	if err := s.jobs.Delete(ctx, name, jetstream.LastRevision(rev)); err != nil {
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			if _, _, lerr := s.load(ctx, name); errors.Is(lerr, job.ErrNotFound) {
				// Another delete won: a client's retries of one delete
				// (buffered while NATS was away, delivered together) race
				// so. The job is gone, as asked.
				return nil, fmt.Errorf("job %q was deleted meanwhile: %w", name, job.ErrNotFound)
			}
			return nil, fmt.Errorf("job %q changed concurrently: %w", name, job.ErrConflict)
		}
		return nil, fmt.Errorf("delete job %q: %w: %w", name, api.ErrUnavailable, err)
	}
	s.audit(ctx, event.Event{Kind: event.JobDeleted, Job: spec.Name, Revision: rev + 1, Reason: "definition deleted; history kept"})
	s.recordDelete(ctx, name, rev, req.Reason, spec)
	return s.view(ctx, spec, rev), nil
}
