package web

import (
	"net/http"
	"strconv"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/job"
)

// jobHistory answers GET /api/v1/jobs/{name}/history: every kept revision
// of the definition, oldest first, secrets masked.
func (s *Server) jobHistory(w http.ResponseWriter, r *http.Request, name string) error {
	h, err := s.cfg.Client.JobHistory(r.Context(), name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h)
	return nil
}

// jobDiff answers GET /api/v1/jobs/{name}/diff?from=REV[&to=REV]: the
// field diff and the fire times of two revisions (to: the current one when
// absent).
func (s *Server) jobDiff(w http.ResponseWriter, r *http.Request, name string) error {
	from, err := queryRevision(r, "from", true)
	if err != nil {
		return err
	}
	to, err := queryRevision(r, "to", false)
	if err != nil {
		return err
	}
	d, err := s.cfg.Client.DiffJob(r.Context(), name, from, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func queryRevision(r *http.Request, name string, required bool) (uint64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		if required {
			return 0, job.Fieldf(name, "is required: a revision number (see the history)")
		}
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n == 0 {
		return 0, job.Fieldf(name, "%q is not a revision number", v)
	}
	return n, nil
}

// rollbackBody is the body of a rollback request.
type rollbackBody struct {
	To     uint64 `json:"to"`
	Reason string `json:"reason,omitempty"`
	DryRun bool   `json:"dry_run,omitempty"`
}

// rollbackJob answers POST /api/v1/jobs/{name}/rollback: a new revision
// equal to revision `to`'s definition (with dry_run, what would change).
func (s *Server) rollbackJob(w http.ResponseWriter, r *http.Request, name string, body rollbackBody) error {
	opts := []client.ChangeOption{client.Because(body.Reason)}
	if body.DryRun {
		opts = append(opts, client.DryRunChange())
	}
	resp, err := s.cfg.Client.RollbackJob(r.Context(), name, body.To, opts...)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}
