package web_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/ledger"
	"github.com/jetcron/jetcron/pkg/natstest"
)

// TestAuditAPI: GET /api/v1/jobs/NAME/audit answers the slot ledger, and
// names the parameter at fault.
func TestAuditAPI(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	s.createJob(job.Spec{Name: "audited", Schedule: every(time.Second), Task: command("true")})

	var l api.AuditResponse
	natstest.Eventually(t, 15*time.Second, func() bool {
		r := s.call(http.MethodGet, "/api/v1/jobs/audited/audit?since=1m&grace=30s", nil)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		r.json(t, &l)
		return l.Results[ledger.ResultSucceeded] >= 2
	}, "two slots succeed")
	require.Equal(t, "audited", l.Job)
	require.Equal(t, job.Duration(30*time.Second), l.Grace)
	require.Zero(t, l.Fired[ledger.FiredUnaccounted])
	for _, r := range l.Rows {
		require.Equal(t, job.ExecutionID("audited", r.Slot), r.ExecutionID)
	}

	require.Equal(t, http.StatusNotFound, s.call(http.MethodGet, "/api/v1/jobs/nosuch/audit", nil).apiError(t).Code)
	e := s.call(http.MethodGet, "/api/v1/jobs/audited/audit?since=yesterday", nil).apiError(t)
	require.Equal(t, http.StatusBadRequest, e.Code)
	require.Equal(t, "since", e.Field)
	e = s.call(http.MethodGet, "/api/v1/jobs/audited/audit?since=1m&until=2h", nil).apiError(t)
	require.Equal(t, http.StatusUnprocessableEntity, e.Code, e.Message)
	require.Equal(t, "since", e.Field)
}
