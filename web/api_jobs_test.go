package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/web"
)

func TestJobsAPI(t *testing.T) {
	t.Parallel()
	s := start(t, options{})

	t.Run("CreateGetDelete", func(t *testing.T) {
		t.Parallel()
		r := s.call(http.MethodPost, "/api/v1/jobs", job.Spec{Name: "crud", Schedule: every(time.Hour), Task: command("true"), Labels: map[string]string{"team": "ops"}})
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		require.Equal(t, "/api/v1/jobs/crud", r.header.Get("Location"))
		var created api.CreateResponse
		r.json(t, &created)
		require.Equal(t, "created", created.Result)
		require.Equal(t, "default", created.Job.Queue, "defaults are filled in")

		r = s.call(http.MethodGet, "/api/v1/jobs/crud", nil)
		require.Equal(t, http.StatusOK, r.status)
		var j web.Job
		r.json(t, &j)
		require.Equal(t, "crud", j.Name)
		require.Equal(t, "every hour", j.Describe)
		require.Equal(t, api.StatusActive, j.Status)
		require.Len(t, j.Next, 5)
		require.NotNil(t, j.Runs.Recent, "runs are always present")
		require.Empty(t, j.Runs.Recent)

		r = s.call(http.MethodPost, "/api/v1/jobs", job.Spec{Name: "crud", Schedule: every(time.Hour), Task: command("true")})
		require.Equal(t, http.StatusConflict, r.status)
		require.Contains(t, r.apiError(t).Message, "already exists")

		r = s.call(http.MethodDelete, "/api/v1/jobs/crud", nil)
		require.Equal(t, http.StatusNoContent, r.status, string(r.body))
		require.Equal(t, http.StatusNotFound, s.call(http.MethodGet, "/api/v1/jobs/crud", nil).apiError(t).Code)
		require.Equal(t, http.StatusNotFound, s.call(http.MethodDelete, "/api/v1/jobs/crud", nil).apiError(t).Code)
	})

	t.Run("CreateAcceptsWhatGetPrints", func(t *testing.T) {
		t.Parallel()
		s.createJob(job.Spec{Name: "roundtrip", Schedule: every(time.Hour), Task: command("true")})
		r := s.call(http.MethodGet, "/api/v1/jobs/roundtrip", nil)
		require.Equal(t, http.StatusOK, r.status)
		// The body of GET (with revision, status, next, runs...) is a valid
		// definition: POST ?update=true reports it unchanged.
		r = s.call(http.MethodPost, "/api/v1/jobs?update=true", r.body)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		var resp api.CreateResponse
		r.json(t, &resp)
		require.Equal(t, "unchanged", resp.Result)
	})

	t.Run("InvalidDefinitionNamesTheField", func(t *testing.T) {
		t.Parallel()
		r := s.call(http.MethodPost, "/api/v1/jobs", job.Spec{Name: "bad-cron", Schedule: job.Schedule{Cron: "61 * * * *"}, Task: command("true")})
		require.Equal(t, http.StatusUnprocessableEntity, r.status)
		e := r.apiError(t)
		require.Equal(t, "schedule.cron", e.Field)
		require.NotEmpty(t, e.Fields)

		r = s.call(http.MethodPost, "/api/v1/jobs", job.Spec{Name: "bad name!", Schedule: every(time.Hour), Task: command("true")})
		require.Equal(t, http.StatusUnprocessableEntity, r.status)
		require.Equal(t, "name", r.apiError(t).Field)
	})

	t.Run("MalformedBodiesAre400WithTheField", func(t *testing.T) {
		t.Parallel()
		cases := []struct {
			name, body, field string
		}{
			{"UnknownField", `{"name":"x","schedul":{"every":"1m"}}`, "schedul"},
			{"WrongType", `{"name":"x","schedule":{"every":"1m"},"completions":"three"}`, "completions"},
			{"BadDuration", `{"name":"x","schedule":{"every":"5 minutes"},"task":{"kind":"command","command":["true"]}}`, "schedule.every"},
			{"BadTime", `{"name":"x","schedule":{"at":"tomorrow"},"task":{"kind":"command","command":["true"]}}`, "schedule.at"},
			{"NotJSON", `{"name":`, ""},
			{"TwoValues", `{} {}`, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := s.call(http.MethodPost, "/api/v1/jobs", c.body)
				require.Equal(t, http.StatusBadRequest, r.status, string(r.body))
				require.Equal(t, c.field, r.apiError(t).Field)
			})
		}
	})

	t.Run("BodyMustBeJSON", func(t *testing.T) {
		t.Parallel()
		r := s.call(http.MethodPost, "/api/v1/jobs", nil)
		require.Equal(t, http.StatusBadRequest, r.status, "a body is required")
		require.Contains(t, r.apiError(t).Message, "body is required")

		// A form post (what a cross-site HTML form can send) is refused.
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.base+"/api/v1/jobs/x/run", strings.NewReader("force=true"))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusUnsupportedMediaType, res.StatusCode)

		big := `{"name":"x","description":"` + strings.Repeat("a", 2<<20) + `"}`
		require.Equal(t, http.StatusRequestEntityTooLarge, s.call(http.MethodPost, "/api/v1/jobs", big).status)
	})

	t.Run("DryRunWritesNothing", func(t *testing.T) {
		t.Parallel()
		r := s.call(http.MethodPost, "/api/v1/jobs?dry_run=true", job.Spec{Name: "dry", Schedule: every(time.Hour), Task: command("true")})
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		require.Equal(t, http.StatusNotFound, s.call(http.MethodGet, "/api/v1/jobs/dry", nil).status)
		r = s.call(http.MethodPost, "/api/v1/jobs?dry_run=maybe", job.Spec{Name: "dry"})
		require.Equal(t, http.StatusBadRequest, r.status)
		require.Equal(t, "dry_run", r.apiError(t).Field)
	})

	t.Run("Put", func(t *testing.T) {
		t.Parallel()
		spec := job.Spec{Schedule: every(time.Hour), Task: command("true")}
		r := s.call(http.MethodPut, "/api/v1/jobs/put", spec)
		require.Equal(t, http.StatusCreated, r.status, "PUT creates: %s", r.body)
		spec.Description = "now described"
		r = s.call(http.MethodPut, "/api/v1/jobs/put", spec)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		var resp api.CreateResponse
		r.json(t, &resp)
		require.Equal(t, "updated", resp.Result)
		require.Equal(t, []string{"description"}, resp.Changes)

		spec.Name = "other"
		r = s.call(http.MethodPut, "/api/v1/jobs/put", spec)
		require.Equal(t, http.StatusUnprocessableEntity, r.status)
		require.Equal(t, "name", r.apiError(t).Field)
	})

	t.Run("List", func(t *testing.T) {
		t.Parallel()
		s.createJob(job.Spec{Name: "list-alpha", Schedule: every(time.Hour), Task: command("true"), Labels: map[string]string{"tier": "gold"}})
		s.createJob(job.Spec{Name: "list-beta", Schedule: every(time.Hour), Task: command("true"), Labels: map[string]string{"tier": "silver"}, Disabled: true})
		names := func(query string) []string {
			t.Helper()
			r := s.call(http.MethodGet, "/api/v1/jobs"+query, nil)
			require.Equal(t, http.StatusOK, r.status, string(r.body))
			var js []web.Job
			r.json(t, &js)
			out := []string{}
			for _, j := range js {
				if strings.HasPrefix(j.Name, "list-") {
					out = append(out, j.Name)
				}
			}
			return out
		}
		require.Equal(t, []string{"list-alpha", "list-beta"}, names(""))
		require.Equal(t, []string{"list-alpha", "list-beta"}, names("?prefix=list-"))
		require.Equal(t, []string{"list-beta"}, names("?q=BETA"))
		require.Equal(t, []string{"list-alpha"}, names("?label=tier%3Dgold"))
		require.Equal(t, []string{"list-beta"}, names("?status=disabled"))
		require.Equal(t, []string{}, names("?state=failed"))

		for _, c := range []struct{ query, field string }{
			{"?label=tier", "label"},
			{"?status=sleeping", "status"},
			{"?state=done", "state"},
		} {
			r := s.call(http.MethodGet, "/api/v1/jobs"+c.query, nil)
			require.Equal(t, http.StatusBadRequest, r.status, c.query)
			require.Equal(t, c.field, r.apiError(t).Field, c.query)
		}
	})

	t.Run("DisableEnable", func(t *testing.T) {
		t.Parallel()
		s.createJob(job.Spec{Name: "pausable", Schedule: every(time.Hour), Task: command("true")})
		r := s.call(http.MethodPost, "/api/v1/jobs/pausable/disable", map[string]string{"reason": "<b>maintenance</b>"})
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		var j web.Job
		r.json(t, &j)
		require.Equal(t, api.StatusDisabled, j.Status)
		require.Equal(t, "<b>maintenance</b>", j.DisabledReason)
		require.NotContains(t, string(r.body), "<b>", "JSON escapes HTML characters")

		r = s.call(http.MethodPost, "/api/v1/jobs/pausable/disable", map[string]string{"reason": strings.Repeat("x", 2000)})
		require.Equal(t, http.StatusUnprocessableEntity, r.status)
		require.Equal(t, "reason", r.apiError(t).Field)

		r = s.call(http.MethodPost, "/api/v1/jobs/pausable/enable", nil)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		r.json(t, &j)
		require.Equal(t, api.StatusActive, j.Status)
		require.Equal(t, http.StatusNotFound, s.call(http.MethodPost, "/api/v1/jobs/nope/enable", nil).apiError(t).Code)
		require.Equal(t, http.StatusNotFound, s.call(http.MethodPost, "/api/v1/jobs/nope/disable", nil).apiError(t).Code)
	})

	t.Run("RunAndEnqueue", func(t *testing.T) {
		t.Parallel()
		s.createJob(job.Spec{Name: "runnable", Schedule: every(time.Hour), Task: command("echo", "ran")})
		r := s.call(http.MethodPost, "/api/v1/jobs/runnable/run", map[string]any{"params": map[string]string{"who": "api"}})
		require.Equal(t, http.StatusAccepted, r.status, string(r.body))
		var run api.RunResponse
		r.json(t, &run)
		require.Equal(t, "/api/v1/executions/"+run.ExecutionID, r.header.Get("Location"))
		x := s.waitState(run.ExecutionID, job.StateSucceeded)
		require.Equal(t, map[string]string{"who": "api"}, x.Params)
		require.Equal(t, job.TriggerManual, x.Trigger)

		r = s.call(http.MethodPost, "/api/v1/jobs/runnable/run", map[string]any{"params": map[string]string{"bad key!": "x"}})
		require.Equal(t, http.StatusUnprocessableEntity, r.status)
		require.Equal(t, "params", r.apiError(t).Field)
		require.Equal(t, http.StatusNotFound, s.call(http.MethodPost, "/api/v1/jobs/nope/run", nil).apiError(t).Code)

		r = s.call(http.MethodPost, "/api/v1/jobs/runnable/enqueue", map[string]any{"in": "1h", "params": map[string]string{"page": "2"}})
		require.Equal(t, http.StatusAccepted, r.status, string(r.body))
		r.json(t, &run)
		require.WithinDuration(t, time.Now().Add(time.Hour), run.At, time.Minute)

		at := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
		r = s.call(http.MethodPost, "/api/v1/jobs/runnable/enqueue", map[string]any{"at": at})
		require.Equal(t, http.StatusAccepted, r.status, string(r.body))
		r.json(t, &run)
		require.True(t, at.Equal(run.At))

		for _, c := range []struct {
			body  any
			field string
		}{
			{map[string]any{}, "at"},
			{map[string]any{"at": at, "in": "1h"}, "in"},
			{map[string]any{"in": "-1h"}, "in"},
			{map[string]any{"at": time.Now().Add(-time.Hour)}, "at"},
		} {
			r := s.call(http.MethodPost, "/api/v1/jobs/runnable/enqueue", c.body)
			require.Equal(t, http.StatusUnprocessableEntity, r.status, "%v: %s", c.body, r.body)
			require.Equal(t, c.field, r.apiError(t).Field)
		}
		r = s.call(http.MethodPost, "/api/v1/jobs/runnable/enqueue", map[string]any{"in": "soon"})
		require.Equal(t, http.StatusBadRequest, r.status)
		require.Equal(t, "in", r.apiError(t).Field)
	})

	t.Run("CancelRunningThenConflict", func(t *testing.T) {
		t.Parallel()
		gate := natstest.SharedDir(t) + "/gate"
		s.createJob(job.Spec{Name: "busy", Schedule: every(time.Hour), Overlap: job.OverlapSkip,
			Task: job.Task{Kind: job.TaskCommand, Command: []string{"sh", "-c", `while [ ! -e "$GATE" ]; do sleep 0.05; done`}}, Env: map[string]string{"GATE": gate}})
		id := s.run("busy")
		s.waitState(id, job.StateRunning)
		r := s.call(http.MethodPost, "/api/v1/executions/"+id+"/cancel", map[string]string{"reason": "test"})
		require.Equal(t, http.StatusAccepted, r.status, "a running execution is being cancelled: %s", r.body)
		var c api.CancelResponse
		r.json(t, &c)
		require.Equal(t, "cancelling", c.Result)
		s.waitState(id, job.StateCancelled)
		// Cancelling an execution that ended conflicts with its state.
		r = s.call(http.MethodPost, "/api/v1/executions/"+id+"/cancel", nil)
		require.Equal(t, http.StatusConflict, r.status, string(r.body))
		require.Contains(t, r.apiError(t).Message, "already ended")
	})

	t.Run("PathAndMethodErrors", func(t *testing.T) {
		t.Parallel()
		r := s.call(http.MethodGet, "/api/v1/jobs/bad.name", nil)
		require.Equal(t, http.StatusUnprocessableEntity, r.status)
		require.Equal(t, "name", r.apiError(t).Field)

		r = s.call(http.MethodPatch, "/api/v1/jobs/x", nil)
		require.Equal(t, http.StatusMethodNotAllowed, r.status)
		require.Equal(t, "DELETE, GET, HEAD, PUT", r.header.Get("Allow"))
		r.apiError(t)
		r = s.call(http.MethodGet, "/api/v1/jobs/x/run", nil)
		require.Equal(t, http.StatusMethodNotAllowed, r.status, "running needs a POST")
		require.Equal(t, "POST", r.header.Get("Allow"))

		r = s.call(http.MethodGet, "/api/v1/nothing", nil)
		require.Equal(t, http.StatusNotFound, r.status)
		require.Contains(t, r.apiError(t).Message, "no API route")
	})
}

// TestUnavailable: without a scheduler, or once NATS is gone, the API
// answers 503 and /readyz says why.
func TestUnavailable(t *testing.T) {
	t.Parallel()
	s := start(t, options{noScheduler: true})
	r := s.call(http.MethodPost, "/api/v1/jobs", job.Spec{Name: "nobody", Schedule: every(time.Hour), Task: command("true")})
	require.Equal(t, http.StatusServiceUnavailable, r.status, string(r.body))
	require.Contains(t, r.apiError(t).Message, "no jetcron scheduler answers")
	require.Equal(t, http.StatusServiceUnavailable, s.call(http.MethodGet, "/api/v1/jobs", nil).apiError(t).Code)
	require.Equal(t, http.StatusServiceUnavailable, s.call(http.MethodGet, "/api/v1/executions", nil).apiError(t).Code)
	require.Equal(t, http.StatusServiceUnavailable, s.call(http.MethodGet, "/api/v1/info", nil).apiError(t).Code)
	r = s.call(http.MethodGet, "/readyz", nil)
	require.Equal(t, http.StatusServiceUnavailable, r.status)
	require.Contains(t, string(r.body), "events stream")
	require.Equal(t, http.StatusOK, s.call(http.MethodGet, "/healthz", nil).status, "alive all the same")

	s.srv.Stop()
	r = s.call(http.MethodGet, "/readyz", nil)
	require.Equal(t, http.StatusServiceUnavailable, r.status)
	began := time.Now()
	r = s.call(http.MethodGet, "/api/v1/workers", nil)
	require.Equal(t, http.StatusServiceUnavailable, r.status, string(r.body))
	require.Contains(t, r.apiError(t).Message, "not connected to NATS")
	require.Less(t, time.Since(began), 5*time.Second, "a request fails at once while NATS is away")
}

func TestJobViewJSON(t *testing.T) {
	t.Parallel()
	// The list's JSON is the NATS API's job view with "runs" beside it.
	rate := 0.5
	j := web.Job{JobView: api.JobView{Spec: job.Spec{Name: "x"}, Status: "active"}, Runs: web.RunsSummary{Recent: []web.RunBrief{}, Ended: 2, Succeeded: 1, SuccessRate: &rate}}
	data, err := json.Marshal(j)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	require.Equal(t, "x", m["name"])
	require.Equal(t, "active", m["status"])
	require.Equal(t, 0.5, m["runs"].(map[string]any)["success_rate"])
}

// TestJobsAPIPages: the list answers a page of jobs in name order with a
// Link to the next; a name filter pages through every job; a bad page is
// refused naming the parameter.
func TestJobsAPIPages(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	for _, name := range []string{"a1", "a2", "b1", "a3", "b2", "a4", "a5"} {
		s.createJob(job.Spec{Name: name, Schedule: every(time.Hour), Task: command("true")})
	}
	page := func(path string) ([]string, string) {
		t.Helper()
		r := s.call(http.MethodGet, path, nil)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		var jobs []web.Job
		r.json(t, &jobs)
		names := make([]string, len(jobs))
		for i, j := range jobs {
			names[i] = j.Name
		}
		link := r.header.Get("Link")
		if link == "" {
			return names, ""
		}
		require.True(t, strings.HasPrefix(link, "</api/v1/jobs?") && strings.HasSuffix(link, `>; rel="next"`), link)
		return names, strings.TrimSuffix(strings.TrimPrefix(link, "<"), `>; rel="next"`)
	}
	var all []string
	for next := "/api/v1/jobs?limit=3"; next != ""; {
		var names []string
		names, next = page(next)
		require.LessOrEqual(t, len(names), 3)
		all = append(all, names...)
	}
	require.Equal(t, []string{"a1", "a2", "a3", "a4", "a5", "b1", "b2"}, all)

	names, next := page("/api/v1/jobs?q=b&limit=1")
	require.Equal(t, []string{"b1"}, names)
	names, next = page(next)
	require.Equal(t, []string{"b2"}, names)
	if next != "" {
		names, _ = page(next)
		require.Empty(t, names)
	}
	names, next = page("/api/v1/jobs")
	require.Len(t, names, 7, "the default page holds them all")
	require.Empty(t, next)

	for path, field := range map[string]string{"/api/v1/jobs?limit=0": "limit", "/api/v1/jobs?limit=x": "limit", "/api/v1/jobs?limit=5000": "limit", "/api/v1/jobs?after=a%20b": "after"} {
		r := s.call(http.MethodGet, path, nil)
		require.Equal(t, http.StatusBadRequest, r.status, path)
		require.Contains(t, r.apiError(t).Message, field, path)
	}
}
