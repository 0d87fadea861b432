package web

import (
	"net/http"

	"github.com/jetcron/jetcron/pkg/job"
)

// queueBody is the body of PUT /api/v1/queues/{name}.
type queueBody struct {
	// MaxRunning caps the queue's executions across all workers; 0 removes
	// the cap.
	MaxRunning int `json:"max_running"`
}

// queueSettings lists every queue's settings (GET /api/v1/queues).
func (s *Server) queueSettings(w http.ResponseWriter, r *http.Request) error {
	qs, err := s.cfg.Client.QueueSettings(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, qs)
	return nil
}

// putQueue changes a queue's settings (PUT /api/v1/queues/{name}).
func (s *Server) putQueue(w http.ResponseWriter, r *http.Request, name string, body queueBody) error {
	qs, err := s.cfg.Client.SetQueue(r.Context(), job.QueueSettings{Queue: name, MaxRunning: body.MaxRunning})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, qs)
	return nil
}
