package web

import (
	"net/http"
	"time"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/backfill"
)

// backfillBody is the body of a backfill request.
type backfillBody struct {
	From        time.Time     `json:"from"`
	To          time.Time     `json:"to"`
	Only        backfill.Only `json:"only,omitempty"`
	MaxParallel int           `json:"max_parallel"`
	DryRun      bool          `json:"dry_run,omitempty"`
}

// backfillJob answers POST /api/v1/jobs/{name}/backfill: the slots of the
// window to run and to skip; unless dry_run, the backfill starts.
func (s *Server) backfillJob(w http.ResponseWriter, r *http.Request, name string, body backfillBody) error {
	resp, err := s.cfg.Client.Backfill(r.Context(), api.BackfillRequest{Name: name, From: body.From, To: body.To, Only: body.Only, MaxParallel: body.MaxParallel, DryRun: body.DryRun})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if resp.Backfill != nil {
		status = http.StatusAccepted
	}
	writeJSON(w, status, resp)
	return nil
}

// jobBackfills answers GET /api/v1/jobs/{name}/backfills.
func (s *Server) jobBackfills(w http.ResponseWriter, r *http.Request, name string) error {
	out, err := s.cfg.Client.Backfills(r.Context(), name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// backfillCancelBody is the body of a backfill cancel request.
type backfillCancelBody struct {
	ID     string `json:"id,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// cancelBackfill answers POST /api/v1/jobs/{name}/backfill/cancel.
func (s *Server) cancelBackfill(w http.ResponseWriter, r *http.Request, name string, body backfillCancelBody) error {
	out, err := s.cfg.Client.CancelBackfill(r.Context(), name, body.ID, body.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
