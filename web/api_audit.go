package web

import (
	"net/http"
	"time"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
)

// auditJob answers GET /api/v1/jobs/NAME/audit: the job's slot ledger, as
// `jetcron job audit NAME -o json` prints it. since and until are a
// duration ago (7d, 12h) or an RFC 3339 time; grace a duration.
func (s *Server) auditJob(w http.ResponseWriter, r *http.Request, name string) error {
	now := time.Now()
	req := api.AuditRequest{Name: name}
	var err error
	if req.Since, err = queryWhen(r, "since", now); err != nil {
		return err
	}
	if req.Until, err = queryWhen(r, "until", now); err != nil {
		return err
	}
	if v := r.URL.Query().Get("grace"); v != "" {
		d, err := job.ParseDuration(v)
		if err != nil || d < 0 {
			return badRequest("grace", "grace: %q is not a duration like 30s or 5m", v)
		}
		req.Grace = job.Duration(d)
	}
	l, err := s.cfg.Client.AuditJob(r.Context(), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, l)
	return nil
}

// queryWhen reads a window bound: a duration ago or an RFC 3339 time; zero
// when absent.
func queryWhen(r *http.Request, name string, now time.Time) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	if d, err := job.ParseDuration(v); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, badRequest(name, "%s: %q is neither a duration like 7d nor an RFC 3339 time", name, v)
	}
	return t, nil
}
