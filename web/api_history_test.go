package web_test

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/history"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/web"
)

// TestHistoryAPI: changes made through the HTTP API are revisions that name
// the web user and the reason; history, diff and rollback answer over HTTP,
// and a bad rollback names its field and changes nothing.
func TestHistoryAPI(t *testing.T) {
	t.Parallel()
	users, err := web.ParseBasicAuth([]byte("ada:pw\n"))
	require.NoError(t, err)
	s := start(t, options{cfg: web.Config{BasicAuth: users}})
	auth := []string{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte("ada:pw"))}

	r := s.call(http.MethodPost, "/api/v1/jobs?reason=first", job.Spec{Name: "h", Schedule: every(time.Hour), Task: command("true")}, auth...)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	r = s.call(http.MethodPut, "/api/v1/jobs/h?reason=slower&dry_run=true", job.Spec{Schedule: every(2 * time.Hour), Task: command("true")}, auth...)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	var dry api.CreateResponse
	r.json(t, &dry)
	require.Equal(t, []history.Change{{Field: "schedule.every", Old: `"1h"`, New: `"2h"`}}, dry.Preview.Diff)
	require.True(t, dry.Preview.Fires.Changed)
	r = s.call(http.MethodPut, "/api/v1/jobs/h?reason=slower", job.Spec{Schedule: every(2 * time.Hour), Task: command("true")}, auth...)
	require.Equal(t, http.StatusOK, r.status, string(r.body))

	r = s.call(http.MethodGet, "/api/v1/jobs/h/history", nil, auth...)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	var h api.HistoryResponse
	r.json(t, &h)
	require.Len(t, h.Revisions, 2)
	require.Equal(t, "ada", h.Revisions[0].WebUser)
	require.Equal(t, "first", h.Revisions[0].Reason)
	require.Equal(t, "slower", h.Revisions[1].Reason)
	require.Equal(t, h.Revisions[1].Revision, h.Current)
	first := strconv.FormatUint(h.Revisions[0].Revision, 10)

	r = s.call(http.MethodGet, "/api/v1/jobs/h/diff?from="+first, nil, auth...)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	var d client.JobDiff
	r.json(t, &d)
	require.Equal(t, []history.Change{{Field: "schedule.every", Old: `"1h"`, New: `"2h"`}}, d.Changes)
	require.Equal(t, "from", s.call(http.MethodGet, "/api/v1/jobs/h/diff?from=x", nil, auth...).apiError(t).Field)

	e := s.call(http.MethodPost, "/api/v1/jobs/h/rollback", map[string]any{"to": 999}, auth...).apiError(t)
	require.Equal(t, http.StatusUnprocessableEntity, e.Code)
	require.Equal(t, "to", e.Field)
	r = s.call(http.MethodGet, "/api/v1/jobs/h/history", nil, auth...)
	r.json(t, &h)
	require.Len(t, h.Revisions, 2, "a refused rollback writes nothing")

	r = s.call(http.MethodPost, "/api/v1/jobs/h/rollback", map[string]any{"to": h.Revisions[0].Revision, "reason": "too slow"}, auth...)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	r = s.call(http.MethodGet, "/api/v1/jobs/h/history", nil, auth...)
	r.json(t, &h)
	require.Len(t, h.Revisions, 3)
	last := h.Revisions[2]
	require.Equal(t, history.OpRolledBack, last.Op)
	require.Equal(t, "ada (web)", last.Who())
	require.Equal(t, job.Duration(time.Hour), last.Spec.Schedule.Every)
}
