package web_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/job"
)

func TestQueuesAPI(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	r := s.call(http.MethodPut, "/api/v1/queues/exports", map[string]int{"max_running": 3})
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	var qs []job.QueueSettings
	r = s.call(http.MethodGet, "/api/v1/queues", nil)
	require.Equal(t, http.StatusOK, r.status)
	r.json(t, &qs)
	require.Equal(t, []job.QueueSettings{{Queue: "exports", MaxRunning: 3}}, qs)

	r = s.call(http.MethodPut, "/api/v1/queues/exports", map[string]int{"max_running": -1})
	require.Equal(t, http.StatusUnprocessableEntity, r.status, string(r.body))
	require.Contains(t, r.apiError(t).Message, "max_running")
	r = s.call(http.MethodPut, "/api/v1/queues/exports", map[string]any{"max_running": "many"})
	require.Equal(t, http.StatusBadRequest, r.status, string(r.body))

	r = s.call(http.MethodPut, "/api/v1/queues/exports", map[string]int{"max_running": 0})
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	s.call(http.MethodGet, "/api/v1/queues", nil).json(t, &qs)
	require.Empty(t, qs, "0 removes the cap")

	r = s.call(http.MethodPost, "/api/v1/jobs", job.Spec{Name: "badkey", Schedule: every(3600e9), Task: command("true"), ConcurrencyKey: "wh:0"})
	require.Equal(t, http.StatusUnprocessableEntity, r.status, string(r.body))
	require.Contains(t, r.apiError(t).Message, "concurrency_key")
}
