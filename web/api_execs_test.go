package web_test

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/web"
)

func TestExecutionsAPI(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	s.createJob(job.Spec{Name: "echoer", Schedule: every(time.Hour), Overlap: job.OverlapAllow,
		Task: command("sh", "-c", `echo "line one"; echo "<b>two</b>"`)})
	var ids []string
	for range 3 {
		id := s.run("echoer")
		s.waitState(id, job.StateSucceeded)
		ids = append(ids, id)
	}
	newest := ids[2]

	t.Run("ListPages", func(t *testing.T) {
		t.Parallel()
		for _, base := range []string{"/api/v1/jobs/echoer/executions?", "/api/v1/executions?job=echoer&"} {
			r := s.call(http.MethodGet, base+"limit=2", nil)
			require.Equal(t, http.StatusOK, r.status, string(r.body))
			var page web.ExecutionPage
			r.json(t, &page)
			require.Len(t, page.Executions, 2)
			require.Equal(t, []string{ids[2], ids[1]}, []string{page.Executions[0].ID, page.Executions[1].ID}, "newest first")
			require.NotZero(t, page.Next)

			r = s.call(http.MethodGet, base+"limit=2&before="+u64(page.Next), nil)
			require.Equal(t, http.StatusOK, r.status)
			var rest web.ExecutionPage
			r.json(t, &rest)
			require.Len(t, rest.Executions, 1)
			require.Equal(t, ids[0], rest.Executions[0].ID)
			require.Zero(t, rest.Next, "the last page")
			require.NotContains(t, string(r.body), `"next"`)
		}
		r := s.call(http.MethodGet, "/api/v1/jobs/never-ran/executions", nil)
		require.Equal(t, http.StatusOK, r.status)
		require.JSONEq(t, `{"executions":[]}`, string(r.body))
	})

	t.Run("ListErrors", func(t *testing.T) {
		t.Parallel()
		for _, c := range []struct{ query, field string }{
			{"/api/v1/executions?limit=0", "limit"},
			{"/api/v1/executions?limit=1001", "limit"},
			{"/api/v1/executions?limit=ten", "limit"},
			{"/api/v1/executions?before=-3", "before"},
			{"/api/v1/executions?job=no%20spaces", "job"},
		} {
			r := s.call(http.MethodGet, c.query, nil)
			require.Equal(t, http.StatusBadRequest, r.status, c.query)
			require.Equal(t, c.field, r.apiError(t).Field, c.query)
		}
		r := s.call(http.MethodGet, "/api/v1/jobs/no.dots/executions", nil)
		require.Equal(t, http.StatusUnprocessableEntity, r.status)
		require.Equal(t, "name", r.apiError(t).Field)
	})

	t.Run("Get", func(t *testing.T) {
		t.Parallel()
		r := s.call(http.MethodGet, "/api/v1/executions/"+newest, nil)
		require.Equal(t, http.StatusOK, r.status)
		var x job.Execution
		r.json(t, &x)
		require.Equal(t, job.StateSucceeded, x.State)
		require.Equal(t, 0, *x.ExitCode)
		require.Len(t, x.Attempts, 1)
		require.NotEmpty(t, x.LogURL)
		for _, field := range []string{`"id"`, `"job"`, `"state"`, `"scheduled_at"`, `"attempt"`, `"started_at"`, `"finished_at"`, `"exit_code"`, `"worker"`, `"log_url"`, `"error"`} {
			require.Contains(t, string(r.body), field)
		}

		require.Equal(t, http.StatusNotFound, s.call(http.MethodGet, "/api/v1/executions/echoer-20200101T000000Z", nil).apiError(t).Code)
		r = s.call(http.MethodGet, "/api/v1/executions/not-an-id", nil)
		require.Equal(t, http.StatusUnprocessableEntity, r.status)
		require.Equal(t, "id", r.apiError(t).Field)
	})

	t.Run("Events", func(t *testing.T) {
		t.Parallel()
		r := s.call(http.MethodGet, "/api/v1/executions/"+newest+"/events", nil)
		require.Equal(t, http.StatusOK, r.status)
		var evs []web.Event
		r.json(t, &evs)
		var kinds []event.Kind
		for i, e := range evs {
			kinds = append(kinds, e.Kind)
			require.NotZero(t, e.Seq)
			if i > 0 {
				require.Greater(t, e.Seq, evs[i-1].Seq)
			}
		}
		// In stream order; the leader may record scheduled after the worker
		// recorded started.
		require.ElementsMatch(t, []event.Kind{event.Scheduled, event.Started, event.Succeeded}, kinds)
		require.Equal(t, http.StatusNotFound, s.call(http.MethodGet, "/api/v1/executions/echoer-20200101T000000Z/events", nil).apiError(t).Code)
	})

	t.Run("StoredLog", func(t *testing.T) {
		t.Parallel()
		r := s.call(http.MethodGet, "/api/v1/executions/"+newest+"/log", nil)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		require.Equal(t, "text/plain; charset=utf-8", r.header.Get("Content-Type"))
		require.Equal(t, "nosniff", r.header.Get("X-Content-Type-Options"))
		require.Equal(t, "line one\n<b>two</b>\n", string(r.body))

		r = s.call(http.MethodGet, "/api/v1/executions/"+newest+"/log?download=true&attempt=1", nil)
		require.Equal(t, http.StatusOK, r.status)
		require.Equal(t, `attachment; filename="`+newest+`.log"`, r.header.Get("Content-Disposition"))
		require.Equal(t, "line one\n<b>two</b>\n", string(r.body))

		r = s.call(http.MethodGet, "/api/v1/executions/"+newest+"/log?attempt=7&download=1", nil)
		require.Equal(t, http.StatusNotFound, r.status, "no attempt 7")
		require.Empty(t, r.header.Get("Content-Disposition"), "an error is not a download")
		r.apiError(t)
		require.Equal(t, http.StatusNotFound, s.call(http.MethodGet, "/api/v1/executions/echoer-20200101T000000Z/log", nil).apiError(t).Code)
		require.Equal(t, http.StatusBadRequest, s.call(http.MethodGet, "/api/v1/executions/"+newest+"/log?attempt=x", nil).apiError(t).Code)
		r = s.call(http.MethodGet, "/api/v1/executions/"+newest+"/log?follow=true&download=true", nil)
		require.Equal(t, http.StatusBadRequest, r.status)
		require.Equal(t, "follow", r.apiError(t).Field)

		// An ended execution followed prints its stored log.
		r = s.call(http.MethodGet, "/api/v1/executions/"+newest+"/log?follow=true", nil)
		require.Equal(t, http.StatusOK, r.status)
		require.Equal(t, "line one\n<b>two</b>\n", string(r.body))
	})

	t.Run("WaitingExecutionHasNoLog", func(t *testing.T) {
		t.Parallel()
		s.createJob(job.Spec{Name: "waiter", Schedule: every(time.Hour), Task: command("true")}) // not echoer: ListPages counts its runs
		r := s.call(http.MethodPost, "/api/v1/jobs/waiter/enqueue", map[string]string{"in": "1h"})
		require.Equal(t, http.StatusAccepted, r.status)
		var run api.RunResponse
		r.json(t, &run)
		require.Equal(t, http.StatusNotFound, s.call(http.MethodGet, "/api/v1/executions/"+run.ExecutionID+"/log", nil).apiError(t).Code)
		r = s.call(http.MethodPost, "/api/v1/executions/"+run.ExecutionID+"/cancel", map[string]string{"reason": "not needed"})
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		var c api.CancelResponse
		r.json(t, &c)
		require.Equal(t, "cancelled", c.Result)
		s.waitState(run.ExecutionID, job.StateCancelled)
	})

	t.Run("WorkersAndInfo", func(t *testing.T) {
		t.Parallel()
		r := s.call(http.MethodGet, "/api/v1/workers", nil)
		require.Equal(t, http.StatusOK, r.status)
		var ws []job.WorkerInfo
		r.json(t, &ws)
		require.Len(t, ws, 1)
		require.Equal(t, []string{"default"}, ws[0].Queues)
		require.Equal(t, 3, ws[0].Slots)

		r = s.call(http.MethodGet, "/api/v1/info", nil)
		require.Equal(t, http.StatusOK, r.status)
		var in api.InfoResponse
		r.json(t, &in)
		require.Equal(t, s.topo.Namespace, in.Namespace)
		require.NotEmpty(t, in.Leader)
	})
}

// TestFollowLog reads a running execution's output from its first byte:
// the first line arrives while the run waits, the rest when it goes on,
// and the response ends with the execution.
func TestFollowLog(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	gate := filepath.Join(natstest.SharedDir(t), "gate")
	s.createJob(job.Spec{Name: "gated", Schedule: every(time.Hour), Env: map[string]string{"GATE": gate},
		Task: command("sh", "-c", `echo "first line"; while [ ! -e "$GATE" ]; do sleep 0.05; done; echo "second line"`)})
	id := s.run("gated")

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.base+"/api/v1/executions/"+id+"/log?follow=true", nil)
	require.NoError(t, err)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, "text/plain; charset=utf-8", res.Header.Get("Content-Type"))
	rd := bufio.NewReader(res.Body)
	line, err := rd.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "first line\n", line)
	require.Equal(t, job.StateRunning, s.waitState(id, job.StateRunning, job.StateSucceeded).State, "the first line came while it ran")

	require.NoError(t, os.WriteFile(gate, nil, 0o600))
	rest, err := io.ReadAll(rd)
	require.NoError(t, err, "the response ends when the execution does")
	require.Equal(t, "second line\n", string(rest))
	s.waitState(id, job.StateSucceeded)

	r := s.call(http.MethodGet, "/api/v1/executions/gated-20200101T000000Z/log?follow=true", nil)
	require.Equal(t, http.StatusNotFound, r.status, "an unknown execution is not followed")
	r.apiError(t)
}

func u64(n uint64) string { return strconv.FormatUint(n, 10) }
