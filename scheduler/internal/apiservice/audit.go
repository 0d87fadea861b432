package apiservice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/ledger"
)

// auditMaxEvents bounds the events a ledger reads: the rows are bounded
// (ledger.DefaultMaxRows), and a slot has a handful of events.
const auditMaxEvents = 100_000

// auditSkew is read before the oldest slot listed: an event's stream time
// is the server's clock, its slot the scheduler's.
const auditSkew = time.Minute

// jobAudit answers job_audit: the definition history comes from the jobs
// bucket (see package ledger for why), the events from the events stream,
// read from the oldest slot listed on.
func (s *Service) jobAudit(ctx context.Context, data []byte) (any, error) {
	var req api.AuditRequest
	if err := decode(data, &req); err != nil {
		return nil, err
	}
	if err := nameErr(req.Name); err != nil {
		return nil, err
	}
	now := s.now()
	switch {
	case req.Grace < 0:
		return nil, job.Fieldf("grace", "must not be negative")
	case req.Since.After(now):
		return nil, job.Fieldf("since", "%s is in the future", req.Since.UTC().Format(time.RFC3339))
	case !req.Until.IsZero() && req.Since.After(req.Until):
		return nil, job.Fieldf("since", "%s is after until %s", req.Since.UTC().Format(time.RFC3339), req.Until.UTC().Format(time.RFC3339))
	}
	revs, err := s.history(ctx, req.Name)
	if err != nil {
		return nil, err
	}
	q := ledger.Query{Job: req.Name, Since: req.Since, Until: req.Until, Now: now, Grace: req.Grace.D()}
	if q.Grace == 0 {
		q.Grace = expectedGrace(revs)
	}
	if rt := s.runtime(ctx, req.Name); rt != nil && rt.Completed {
		q.CompletedAfter = rt.LastSlot
	}
	x, err := ledger.Expect(revs, q)
	if err != nil {
		return nil, job.Fieldf("since", "%v", err)
	}
	evs, err := s.reader.JobEventsSince(ctx, req.Name, x.From().Add(-auditSkew), auditMaxEvents)
	if errors.Is(err, event.ErrTooManyEvents) {
		return nil, job.Fieldf("since", "%v (narrow the window)", err)
	}
	if err != nil {
		return nil, fmt.Errorf("audit job %q: %w: %w", req.Name, api.ErrUnavailable, err)
	}
	return ledger.Account(x, evs), nil
}

// history returns the revisions of a job's definition that the jobs bucket
// keeps, oldest first; job.ErrNotFound when it keeps no definition.
func (s *Service) history(ctx context.Context, name string) ([]ledger.Revision, error) {
	entries, err := s.jobs.History(ctx, name)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, fmt.Errorf("job %q: %w", name, job.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("history of job %q: %w: %w", name, api.ErrUnavailable, err)
	}
	var revs []ledger.Revision
	defined := false
	for _, e := range entries {
		r := ledger.Revision{Revision: e.Revision(), At: e.Created()}
		if e.Operation() == jetstream.KeyValuePut {
			var spec job.Spec
			if json.Unmarshal(e.Value(), &spec) != nil {
				continue // a damaged revision: the scheduler skipped it too
			}
			r.Spec, defined = &spec, true
		}
		revs = append(revs, r)
	}
	if !defined {
		return nil, fmt.Errorf("job %q: %w", name, job.ErrNotFound)
	}
	return revs, nil
}

// expectedGrace is the grace of the newest definition's expectations
// (job.Expect.Grace: --expect-start-within, default 1m).
func expectedGrace(revs []ledger.Revision) time.Duration {
	for i := len(revs) - 1; i >= 0; i-- {
		if revs[i].Spec != nil {
			return revs[i].Spec.Expect.Grace()
		}
	}
	return job.DefaultStartWithin
}
