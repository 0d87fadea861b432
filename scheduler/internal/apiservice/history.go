package apiservice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/history"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/streamio"
)

// checkReason bounds a change's reason like a description.
func checkReason(reason string) error {
	if len(reason) > job.MaxDescriptionLen {
		return job.Fieldf("reason", "is longer than %d bytes", job.MaxDescriptionLen)
	}
	return nil
}

// preview is what a dry run reports: the field diff and the next fire times
// before and after.
func (s *Service) preview(before, after *job.Spec) *api.Preview {
	var b, a *job.Spec
	if before != nil {
		r := before.Redacted()
		b = &r
	}
	if after != nil {
		r := after.Redacted()
		a = &r
	}
	diff := history.Diff(b, a)
	if diff == nil {
		diff = []history.Change{}
	}
	return &api.Preview{Diff: diff, Fires: history.CompareFires(before, after, s.cfg.Clock.Now(), history.PreviewFires)}
}

// record appends a revision to the history, with the caller and the fields
// that changed from before. A failure is logged, not returned: the change is
// done, and the jobs bucket still holds the revision (Merge shows it).
func (s *Service) record(ctx context.Context, r history.Record, before *job.Spec) {
	c := api.CallerOf(ctx)
	r.By, r.WebUser, r.Time = c.User, c.WebUser, s.now()
	if r.Changes == nil {
		r.Changes = history.Fields(history.Diff(redactedPtr(before), redactedPtr(r.Spec)))
	}
	if err := s.hist.Append(ctx, r); err != nil {
		s.log.WarnContext(ctx, "history record lost", "job", r.Job, "revision", r.Revision, "error", err)
	}
}

// recordDelete records a deletion under the revision of the bucket's
// delete marker.
func (s *Service) recordDelete(ctx context.Context, name string, rev uint64, reason string, spec job.Spec) {
	bucket := s.names.JobsBucket()
	m, ok, err := streamio.LastFromLeader(ctx, s.nc, "KV_"+bucket, "$KV."+bucket+"."+name)
	delRev := rev + 1
	if err == nil && ok && m.Seq > rev {
		delRev = m.Seq
	}
	s.record(ctx, history.Record{Job: name, Revision: delRev, Op: history.OpDeleted, Reason: reason, Changes: []string{"deleted"}}, &spec)
}

func redactedPtr(s *job.Spec) *job.Spec {
	if s == nil {
		return nil
	}
	r := s.Redacted()
	return &r
}

// revisions returns a job's whole history, oldest first, with secrets: the
// history stream merged with the revisions the jobs bucket holds.
// job.ErrNotFound when neither knows the job.
func (s *Service) revisions(ctx context.Context, name string) ([]history.Record, error) {
	if err := nameErr(name); err != nil {
		return nil, err
	}
	recs, err := s.hist.Read(ctx, name)
	if err != nil {
		// The history stream does not answer (or an installation has not
		// been ensured since it came): the jobs bucket's revisions still
		// make a history, without who and why.
		s.log.WarnContext(ctx, "history stream unreadable; using the jobs bucket's revisions only", "job", name, "error", err)
		recs = nil
	}
	entries, err := s.jobs.History(ctx, name)
	if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, fmt.Errorf("history of job %q: %w: %w", name, api.ErrUnavailable, err)
	}
	var bucket []history.BucketRevision
	for _, e := range entries {
		b := history.BucketRevision{Revision: e.Revision(), At: e.Created()}
		if e.Operation() == jetstream.KeyValuePut {
			var spec job.Spec
			if json.Unmarshal(e.Value(), &spec) != nil {
				continue // a damaged revision: the scheduler skipped it too
			}
			b.Spec = &spec
		}
		bucket = append(bucket, b)
	}
	all := history.Merge(name, recs, bucket)
	if len(all) == 0 {
		return nil, fmt.Errorf("job %q: %w", name, job.ErrNotFound)
	}
	return all, nil
}

func (s *Service) jobHistory(ctx context.Context, data []byte) (any, error) {
	var req api.HistoryRequest
	if err := decode(data, &req); err != nil {
		return nil, err
	}
	all, err := s.revisions(ctx, req.Name)
	if err != nil {
		return nil, err
	}
	resp := api.HistoryResponse{Job: req.Name, Revisions: make([]history.Record, len(all))}
	for i, r := range all {
		resp.Revisions[i] = r.Redacted()
	}
	history.Summarize(resp.Revisions)
	if _, rev, err := s.load(ctx, req.Name); err == nil {
		resp.Current = rev
	}
	return resp, nil
}

// rollback writes a new revision equal to an earlier one's definition.
func (s *Service) rollback(ctx context.Context, data []byte) (any, error) {
	var req api.RollbackRequest
	if err := decode(data, &req); err != nil {
		return nil, err
	}
	if err := checkReason(req.Reason); err != nil {
		return nil, err
	}
	if req.To == 0 {
		return nil, job.Fieldf("to", "is required: the revision to restore (see job history)")
	}
	all, err := s.revisions(ctx, req.Name)
	if err != nil {
		return nil, err
	}
	target, ok := history.Find(all, req.To)
	switch {
	case !ok:
		return nil, job.Fieldf("to", "revision %d is not in the history of job %q (revisions: %s)", req.To, req.Name, revList(all))
	case target.Spec == nil:
		return nil, job.Fieldf("to", "revision %d of job %q is its deletion: there is no definition to restore", req.To, req.Name)
	}
	spec := *target.Spec
	spec.Name = req.Name
	return s.put(ctx, api.CreateRequest{Spec: spec, Update: true, DryRun: req.DryRun, Reason: req.Reason}, req.To)
}

// revList names the revisions of a history, eliding the middle of a long one.
func revList(all []history.Record) string {
	var out []string
	for i, r := range all {
		if len(all) > 12 && i == 5 {
			out = append(out, "…")
		}
		if len(all) > 12 && i >= 5 && i < len(all)-5 {
			continue
		}
		out = append(out, strconv.FormatUint(r.Revision, 10))
	}
	return strings.Join(out, ", ")
}
