package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/notify"
)

// TestNotifyAPI: sinks are created, read, tested and deleted over HTTP; an
// invalid one is a 422 naming the field, and changes nothing.
func TestNotifyAPI(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	got := make(chan string, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- string(b)
	}))
	defer hook.Close()

	r := s.call(http.MethodPost, "/api/v1/notify", notify.Sink{Name: "ops", Webhook: hook.URL, Slack: true})
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	require.Equal(t, "/api/v1/notify/ops", r.header.Get("Location"))

	e := s.call(http.MethodPost, "/api/v1/notify", `{"name":"bad","webhook":"gopher://x"}`).apiError(t)
	require.Equal(t, http.StatusUnprocessableEntity, e.Code)
	require.Equal(t, "webhook", e.Field)
	e = s.call(http.MethodPut, "/api/v1/notify/bad", `{"webhook":"https://example.com","realert":"-1h"}`).apiError(t)
	require.Equal(t, "realert", e.Field)
	e = s.call(http.MethodPost, "/api/v1/notify", `{"name":"bad","webhook":"https://example.com","colour":"red"}`).apiError(t)
	require.Equal(t, http.StatusBadRequest, e.Code)
	e = s.call(http.MethodPut, "/api/v1/notify/ops", `{"name":"other","webhook":"https://example.com"}`).apiError(t)
	require.Equal(t, "name", e.Field)

	var list []api.NotifyView
	s.call(http.MethodGet, "/api/v1/notify", nil).json(t, &list)
	require.Len(t, list, 1)
	require.Equal(t, "slack", list[0].Kind)

	var tr api.NotifyTestResponse
	r = s.call(http.MethodPost, "/api/v1/notify/ops/test", nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	r.json(t, &tr)
	require.Equal(t, notify.StatusDelivered, tr.Delivery.Status)
	require.Contains(t, <-got, `"text":"[test] `)

	var v api.NotifyView
	s.call(http.MethodGet, "/api/v1/notify/ops", nil).json(t, &v)
	require.Len(t, v.Deliveries, 1)

	// What GET returns is a valid body.
	r = s.call(http.MethodGet, "/api/v1/notify/ops", nil)
	var cr api.NotifyCreateResponse
	put := s.call(http.MethodPut, "/api/v1/notify/ops", r.body)
	require.Equal(t, http.StatusOK, put.status, string(put.body))
	put.json(t, &cr)
	require.Equal(t, "unchanged", cr.Result)

	require.Equal(t, http.StatusNoContent, s.call(http.MethodDelete, "/api/v1/notify/ops", nil).status)
	require.Equal(t, http.StatusNotFound, s.call(http.MethodGet, "/api/v1/notify/ops", nil).apiError(t).Code)
}
