package web_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/backfill"
	"github.com/jetcron/jetcron/pkg/job"
)

// TestBackfillAPI: bad windows and limits are refused with the field named;
// a dry run answers which slots would run; a backfill starts (202), is
// listed, and a cancel of a job without a running one is a 404.
func TestBackfillAPI(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	s.createJob(job.Spec{Name: "b", Schedule: every(time.Hour), Task: command("true")})
	now := time.Now().UTC()
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"from": now.Add(-time.Hour), "to": now.Add(-2 * time.Hour), "max_parallel": 1}, "to"},
		{map[string]any{"from": now.Add(-time.Hour), "to": now.Add(time.Hour), "max_parallel": 1}, "to"},
		{map[string]any{"from": now.Add(-time.Hour), "to": now, "max_parallel": 0}, "max_parallel"},
		{map[string]any{"from": now.Add(-time.Hour), "to": now, "max_parallel": 1, "only": "some"}, "only"},
		{map[string]any{"to": now, "max_parallel": 1}, "from"},
	} {
		e := s.call(http.MethodPost, "/api/v1/jobs/b/backfill", c.body).apiError(t)
		require.Equal(t, http.StatusUnprocessableEntity, e.Code, "%v: %s", c.body, e.Message)
		require.Equal(t, c.field, e.Field, e.Message)
	}
	r := s.call(http.MethodPost, "/api/v1/jobs/b/backfill", map[string]any{"from": now.Add(-time.Minute), "to": now, "max_parallel": 1, "dry_run": true})
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	var resp api.BackfillResponse
	r.json(t, &resp)
	require.True(t, resp.DryRun)
	require.Empty(t, resp.Selection.Run, "an hourly job created a moment ago owes no slot")

	r = s.call(http.MethodGet, "/api/v1/jobs/b/backfills", nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	var bs []backfill.Backfill
	r.json(t, &bs)
	require.Empty(t, bs)
	require.Equal(t, http.StatusNotFound, s.call(http.MethodPost, "/api/v1/jobs/b/backfill/cancel", nil).apiError(t).Code)
	require.Equal(t, http.StatusNotFound, s.call(http.MethodPost, "/api/v1/jobs/nope/backfill", map[string]any{"from": now.Add(-time.Minute), "to": now, "max_parallel": 1}).apiError(t).Code)
}
