package apiservice

import (
	"context"
	"errors"
	"fmt"
	"time"

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
	revs, grace, err := s.history(ctx, req.Name)
	if err != nil {
		return nil, err
	}
	q := ledger.Query{Job: req.Name, Since: req.Since, Until: req.Until, Now: now, Grace: req.Grace.D()}
	if q.Grace == 0 {
		q.Grace = grace
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

// history returns the revisions of a job's definition, oldest first: those
// the jobs bucket keeps and, before them, those only the history stream
// keeps (pkg/history), so a window older than the bucket's history still
// knows its definition, and the grace of the newest definition's
// expectations (job.Expect.Grace: --expect-start-within, default 1m).
// job.ErrNotFound when no revision defines the job.
func (s *Service) history(ctx context.Context, name string) ([]ledger.Revision, time.Duration, error) {
	all, err := s.revisions(ctx, name)
	if err != nil {
		return nil, 0, err
	}
	var revs []ledger.Revision
	var newest *job.Spec
	for _, r := range all {
		if r.Spec != nil {
			newest = r.Spec
		}
		revs = append(revs, ledger.Revision{Revision: r.Revision, At: r.Time, Def: ledger.Spec(r.Spec)})
	}
	if newest == nil {
		return nil, 0, fmt.Errorf("job %q: %w", name, job.ErrNotFound)
	}
	return revs, newest.Expect.Grace(), nil
}
