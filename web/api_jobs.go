package web

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
)

// Job is a job as the HTTP API shows it: the NATS API's view (definition,
// revision, status, next fire times, schedule in words, runtime state) and
// a summary of its last 50 executions.
type Job struct {
	api.JobView
	Runs RunsSummary `json:"runs"`
}

// A page of the jobs list holds at most maxJobsPage jobs (defaultJobsPage
// unless ?limit= says otherwise); the server reads the definitions in
// scans of jobsScan, in name order, until the page is full: a filter the
// NATS API does not apply (q, status, state) still pages through every
// job, and no reply grows with the number of jobs.
const (
	defaultJobsPage = 500
	maxJobsPage     = 2000
	jobsScan        = 1000
)

// jobFilter is the query of the jobs list.
type jobFilter struct {
	list   api.ListRequest // Prefix and Labels
	q      string          // substring of the name, any case
	status string          // active, disabled or completed
	state  job.State       // state of the newest execution
	limit  int             // the page's size
	after  string          // the page starts after this name
}

func parseJobFilter(r *http.Request) (jobFilter, error) {
	q := r.URL.Query()
	f := jobFilter{list: api.ListRequest{Prefix: q.Get("prefix")}, q: strings.ToLower(strings.TrimSpace(q.Get("q"))), status: q.Get("status"), state: job.State(q.Get("state")),
		limit: defaultJobsPage, after: q.Get("after")}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxJobsPage {
			return f, badRequest("limit", "limit: %q is not a page size from 1 to %d", l, maxJobsPage)
		}
		f.limit = n
	}
	if f.after != "" {
		if err := job.ValidateName(f.after); err != nil {
			return f, badRequest("after", "after: %q %v", f.after, err)
		}
	}
	for _, l := range q["label"] {
		k, v, ok := strings.Cut(l, "=")
		if !ok || k == "" {
			return f, badRequest("label", "label: %q is not KEY=VALUE", l)
		}
		if f.list.Labels == nil {
			f.list.Labels = map[string]string{}
		}
		f.list.Labels[k] = v
	}
	switch f.status {
	case "", api.StatusActive, api.StatusDisabled, api.StatusCompleted:
	default:
		return f, badRequest("status", "status: %q is not active, disabled or completed", f.status)
	}
	switch f.state {
	case "", job.StateScheduled, job.StateRunning, job.StateRetrying, job.StateSucceeded, job.StateFailed,
		job.StateTimedOut, job.StateCancelled, job.StateSkipped, job.StateMissed:
	default:
		return f, badRequest("state", "state: %q is not an execution state", f.state)
	}
	return f, nil
}

func (f jobFilter) empty() bool {
	return f.list.Prefix == "" && len(f.list.Labels) == 0 && f.q == "" && f.status == "" && f.state == ""
}

// listJobs answers GET /api/v1/jobs: a page of jobs in name order, and,
// when more may follow, a Link header (rel="next") to the next page.
func (s *Server) listJobs(w http.ResponseWriter, r *http.Request) error {
	f, err := parseJobFilter(r)
	if err != nil {
		return err
	}
	out := make([]Job, 0, min(f.limit, 64))
	cursor, more := f.after, true
	for more && len(out) < f.limit {
		need := f.limit - len(out)
		req := f.list
		// Without a filter of its own the page is read exactly, one more
		// to learn whether another follows.
		req.After, req.Limit = cursor, jobsScan
		if f.q == "" && f.status == "" && f.state == "" {
			req.Limit = min(jobsScan, need+1)
		}
		views, err := s.cfg.Client.ListJobs(r.Context(), req)
		if err != nil {
			return err
		}
		more = len(views) == req.Limit
		if len(views) > 0 {
			cursor = views[len(views)-1].Name
		}
		views = slices.DeleteFunc(views, func(v api.JobView) bool {
			return f.q != "" && !strings.Contains(strings.ToLower(v.Name), f.q) || f.status != "" && v.Status != f.status
		})
		if f.state == "" && len(views) > need {
			// Only the page's jobs need their runs summed up.
			views, more = views[:need], true
		}
		names := make([]string, len(views))
		for i, v := range views {
			names[i] = v.Name
		}
		sums, err := s.runs.summaries(r.Context(), names)
		if err != nil {
			return err
		}
		for i, v := range views {
			j := Job{JobView: v, Runs: sums[v.Name]}
			if f.state != "" && (j.Runs.Last == nil || j.Runs.Last.State != f.state) {
				continue
			}
			out = append(out, j)
			if len(out) == f.limit {
				// More may follow: the rest of this scan, or the next.
				more = more || i < len(views)-1
				break
			}
		}
		if len(out) == f.limit {
			cursor = out[len(out)-1].Name
		}
	}
	if f.empty() && f.after == "" && !more {
		// The whole list: forget the summaries of jobs no longer in it.
		names := make([]string, len(out))
		for i, j := range out {
			names[i] = j.Name
		}
		s.runs.keep(names)
	}
	if more && len(out) > 0 {
		next := r.URL.Query()
		next.Set("after", cursor)
		next.Set("limit", strconv.Itoa(f.limit))
		w.Header().Set("Link", fmt.Sprintf(`</api/v1/jobs?%s>; rel="next"`, next.Encode()))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// withRuns adds a job's recent-runs summary to its view.
func (s *Server) withRuns(r *http.Request, v api.JobView) (Job, error) {
	sum, err := s.runs.summary(r.Context(), v.Name)
	return Job{JobView: v, Runs: sum}, err
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request, name string) error {
	v, err := s.cfg.Client.GetJob(r.Context(), name)
	if err != nil {
		return err
	}
	j, err := s.withRuns(r, v)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, j)
	return nil
}

// decodeSpec reads a job definition: a Spec, or what `job get -o json`
// and GET /api/v1/jobs/NAME print (the fields the server adds are ignored).
func decodeSpec(w http.ResponseWriter, r *http.Request) (job.Spec, error) {
	var body struct {
		api.JobView
		Runs any `json:"runs"`
	}
	if err := decodeBody(w, r, &body, false); err != nil {
		return job.Spec{}, err
	}
	return body.Spec, nil
}

func (s *Server) createJob(w http.ResponseWriter, r *http.Request) error {
	update, err := queryBool(r, "update")
	if err != nil {
		return err
	}
	spec, err := decodeSpec(w, r)
	if err != nil {
		return err
	}
	return s.create(w, r, spec, update)
}

func (s *Server) putJob(w http.ResponseWriter, r *http.Request, name string) error {
	spec, err := decodeSpec(w, r)
	if err != nil {
		return err
	}
	if spec.Name == "" {
		spec.Name = name
	}
	if spec.Name != name {
		return job.Fieldf("name", "the body names job %q but the URL names %q", spec.Name, name)
	}
	return s.create(w, r, spec, true)
}

func (s *Server) create(w http.ResponseWriter, r *http.Request, spec job.Spec, update bool) error {
	dryRun, err := queryBool(r, "dry_run")
	if err != nil {
		return err
	}
	opts := []client.CreateOption{client.WithReason(r.URL.Query().Get("reason"))}
	if update {
		opts = append(opts, client.WithUpdate())
	}
	if dryRun {
		opts = append(opts, client.WithDryRun())
	}
	resp, err := s.cfg.Client.CreateJob(r.Context(), spec, opts...)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if resp.Result == "created" && !dryRun {
		status = http.StatusCreated
		w.Header().Set("Location", "/api/v1/jobs/"+resp.Job.Name)
	}
	writeJSON(w, status, resp)
	return nil
}

func (s *Server) deleteJob(w http.ResponseWriter, r *http.Request, name string) error {
	if err := s.cfg.Client.DeleteJob(r.Context(), name, client.Because(r.URL.Query().Get("reason"))); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// runBody is the body of a run request.
type runBody struct {
	Params map[string]string `json:"params,omitempty"`
	// Force runs even if the job is running and its overlap policy forbids it.
	Force bool `json:"force,omitempty"`
}

func (s *Server) runJob(w http.ResponseWriter, r *http.Request, name string, body runBody) error {
	resp, err := s.cfg.Client.RunJob(r.Context(), name, body.Params, body.Force)
	if err != nil {
		return err
	}
	accepted(w, resp)
	return nil
}

// accepted answers 202 with the execution a run or enqueue created.
func accepted(w http.ResponseWriter, resp api.RunResponse) {
	w.Header().Set("Location", "/api/v1/executions/"+resp.ExecutionID)
	writeJSON(w, http.StatusAccepted, resp)
}

// enqueueBody is the body of an enqueue request: exactly one of At and In.
type enqueueBody struct {
	At     *time.Time        `json:"at,omitempty"`
	In     job.Duration      `json:"in,omitempty"`
	Params map[string]string `json:"params,omitempty"`
}

func (s *Server) enqueueJob(w http.ResponseWriter, r *http.Request, name string, body enqueueBody) error {
	var at time.Time
	switch {
	case body.At != nil && body.In != 0:
		return job.Fieldf("in", "give either at or in, not both")
	case body.At != nil:
		at = *body.At
	case body.In < 0:
		return job.Fieldf("in", "%s is negative", body.In)
	case body.In > 0:
		at = s.cfg.Clock.Now().Add(body.In.D())
	default:
		return job.Fieldf("at", "is required (or give in, a duration from now)")
	}
	resp, err := s.cfg.Client.Enqueue(r.Context(), name, at, body.Params)
	if err != nil {
		return err
	}
	accepted(w, resp)
	return nil
}

func (s *Server) disableJob(w http.ResponseWriter, r *http.Request, name string, body reasonBody) error {
	v, err := s.cfg.Client.DisableJob(r.Context(), name, body.Reason)
	if err != nil {
		return err
	}
	return s.writeJob(w, r, v)
}

// enableBody is the body of an enable request.
type enableBody struct {
	CatchUp bool   `json:"catchup,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

func (s *Server) enableJob(w http.ResponseWriter, r *http.Request, name string, body enableBody) error {
	v, err := s.cfg.Client.EnableJob(r.Context(), name, body.CatchUp, client.Because(body.Reason))
	if err != nil {
		return err
	}
	return s.writeJob(w, r, v)
}

func (s *Server) writeJob(w http.ResponseWriter, r *http.Request, v api.JobView) error {
	j, err := s.withRuns(r, v)
	if err != nil {
		return fmt.Errorf("job %s changed; its runs: %w", v.Name, err)
	}
	writeJSON(w, http.StatusOK, j)
	return nil
}
