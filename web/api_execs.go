package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
)

// ExecutionPage is a page of executions, newest first. Next continues the
// listing (?before=Next); it is absent on the last page.
type ExecutionPage struct {
	Executions []job.Execution `json:"executions"`
	Next       uint64          `json:"next,omitempty"`
}

// Event is an event as the HTTP API shows it: with its stream sequence.
type Event struct {
	event.Event
	Seq uint64 `json:"seq"`
}

func (s *Server) listExecutions(w http.ResponseWriter, r *http.Request) error {
	name := r.URL.Query().Get("job")
	if name != "" {
		if err := job.ValidateName(name); err != nil {
			return badRequest("job", "job: %q %v", name, err)
		}
	}
	return s.executions(w, r, name)
}

// executions lists the executions of a job, or of every job for "".
func (s *Server) executions(w http.ResponseWriter, r *http.Request, jobName string) error {
	limit, err := queryInt(r, "limit", 20, 1, 1000)
	if err != nil {
		return err
	}
	before, err := queryUint(r, "before")
	if err != nil {
		return err
	}
	xs, next, err := s.cfg.Client.Executions(r.Context(), client.ListOptions{Job: jobName, Limit: limit, Before: before})
	if err != nil {
		return err
	}
	if xs == nil {
		xs = []job.Execution{}
	}
	writeJSON(w, http.StatusOK, ExecutionPage{Executions: xs, Next: next})
	return nil
}

func (s *Server) getExecution(w http.ResponseWriter, r *http.Request, id string) error {
	x, err := s.cfg.Client.Execution(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, x)
	return nil
}

func (s *Server) executionEvents(w http.ResponseWriter, r *http.Request, id string) error {
	evs, err := s.cfg.Client.Events(r.Context(), id)
	if err != nil {
		return err
	}
	if len(evs) == 0 {
		return fmt.Errorf("execution %s: %w", id, job.ErrNotFound)
	}
	out := make([]Event, len(evs))
	for i, e := range evs {
		out[i] = Event{Event: e, Seq: e.Seq}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// reasonBody is the body of a cancel or disable request.
type reasonBody struct {
	Reason string `json:"reason,omitempty"`
}

func (s *Server) cancelExecution(w http.ResponseWriter, r *http.Request, id string, body reasonBody) error {
	resp, err := s.cfg.Client.Cancel(r.Context(), id, body.Reason)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if resp.Result == "cancelling" {
		status = http.StatusAccepted
	}
	writeJSON(w, status, resp)
	return nil
}

func (s *Server) workers(w http.ResponseWriter, r *http.Request) error {
	ws, err := s.cfg.Client.Workers(r.Context())
	if err != nil {
		return err
	}
	slices.SortFunc(ws, func(a, b job.WorkerInfo) int { return strings.Compare(a.ID, b.ID) })
	writeJSON(w, http.StatusOK, ws)
	return nil
}

func (s *Server) info(w http.ResponseWriter, r *http.Request) error {
	in, err := s.cfg.Client.Info(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, in)
	return nil
}

// executionLog writes an execution's log as text: the stored log of an
// attempt (the last by default), as a download when asked, or with
// follow=true the output from its first byte while it runs, until it ends.
func (s *Server) executionLog(w http.ResponseWriter, r *http.Request, id string) error {
	follow, err := queryBool(r, "follow")
	if err != nil {
		return err
	}
	download, err := queryBool(r, "download")
	if err != nil {
		return err
	}
	attempt, err := queryInt(r, "attempt", 0, 0, 1<<20)
	if err != nil {
		return err
	}
	if follow && (download || attempt > 0) {
		return badRequest("follow", "follow: cannot be combined with download or attempt")
	}
	lw := &textWriter{w: w, rc: http.NewResponseController(w)}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if download {
		w.Header().Set("Content-Disposition", `attachment; filename="`+id+`.log"`)
	}
	x, known := s.cfg.Client.Execution(r.Context(), id)
	if follow && known == nil && x.State.Final() {
		follow = false // it ended: its stored log is all there is
	}
	if !follow {
		if err := s.cfg.Client.Log(r.Context(), id, attempt, lw); err != nil {
			if errors.Is(err, client.ErrNoLog) {
				err = fmt.Errorf("%w (while it runs, follow=true streams its output)", err)
			}
			return lw.fail(err)
		}
		lw.finish()
		return nil
	}
	s.metrics.streams.Inc()
	defer s.metrics.streams.Dec()
	// A known execution gets its headers at once (a client sees that the
	// stream is open while the run waits for a worker).
	if known == nil {
		lw.start()
	}
	if err := s.followLog(r.Context(), id, lw); err != nil {
		if r.Context().Err() != nil {
			return nil
		}
		if lw.started {
			s.log.WarnContext(r.Context(), "log follow ended early", "execution_id", id, "error", err)
			_, _ = fmt.Fprintf(lw, "\n[jetcron: the live log ended early: %v]\n", err)
			return nil
		}
		return lw.fail(err)
	}
	lw.finish()
	return nil
}

// notFoundGrace is how long a follow waits for a recent execution nobody
// knows yet: a run requested a moment ago may be between the pending bucket
// (which the leader empties when it publishes the run) and its first event.
const notFoundGrace = 3 * time.Second

// followLog follows an execution's log, waiting a little for a recent one
// that is not known yet (its ID carries its time).
func (s *Server) followLog(ctx context.Context, id string, lw *textWriter) error {
	now := s.cfg.Clock.Now()
	deadline := now
	if _, slot, err := job.ParseExecutionID(id); err == nil && slot.After(now.Add(-time.Minute)) {
		deadline = now.Add(notFoundGrace)
	}
	for {
		err := s.cfg.Client.FollowLog(ctx, id, lw)
		if !errors.Is(err, job.ErrNotFound) || lw.started || !s.cfg.Clock.Now().Before(deadline) {
			return err
		}
		t := s.cfg.Clock.NewTimer(100 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C():
		}
	}
}

// textWriter writes a text response, flushing every write, and sends its
// headers on the first byte so that an error before it is still a JSON
// error with its status.
type textWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	started bool
}

func (t *textWriter) start() {
	if !t.started {
		t.started = true
		t.w.WriteHeader(http.StatusOK)
		_ = t.rc.Flush()
	}
}

func (t *textWriter) Write(p []byte) (int, error) {
	t.start()
	n, err := t.w.Write(p)
	if err == nil {
		err = t.rc.Flush()
	}
	return n, err
}

// fail returns err for a JSON error when nothing was written yet.
func (t *textWriter) fail(err error) error {
	if t.started {
		return nil
	}
	h := t.w.Header()
	h.Del("Content-Disposition")
	return err
}

// finish sends the headers of an empty log.
func (t *textWriter) finish() { t.start() }
