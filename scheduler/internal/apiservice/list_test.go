package apiservice_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/alert"
	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/health"
	"github.com/jetcron/jetcron/pkg/job"
)

// TestListPages: job_list answers pages in name order, with a prefix and
// labels, follows creations and deletions, and refuses a bad page.
func TestListPages(t *testing.T) {
	t.Parallel()
	env := serve(t)
	names := env.Topo.Names()
	ctx := t.Context()
	create := func(name string, labels map[string]string) {
		t.Helper()
		spec := job.Spec{Name: name, Labels: labels, Schedule: job.Schedule{Every: job.Duration(time.Hour)}, Task: job.Task{Kind: job.TaskCommand, Command: []string{"true"}}}
		require.NoError(t, api.Call(ctx, env.NC, names, api.VerbJobCreate, api.CreateRequest{Spec: spec}, nil))
	}
	list := func(req api.ListRequest) []string {
		t.Helper()
		var out []api.JobView
		require.NoError(t, api.Call(ctx, env.NC, names, api.VerbJobList, req, &out))
		got := []string{}
		for _, v := range out {
			got = append(got, v.Name)
		}
		return got
	}
	for i := range 7 {
		create(fmt.Sprintf("b-%d", i), map[string]string{"even": fmt.Sprint(i%2 == 0)})
	}
	create("a", nil)
	create("c", nil)
	require.Equal(t, []string{"a", "b-0", "b-1", "b-2", "b-3", "b-4", "b-5", "b-6", "c"}, list(api.ListRequest{}))
	require.Equal(t, []string{"a", "b-0", "b-1"}, list(api.ListRequest{Page: api.Page{Limit: 3}}))
	require.Equal(t, []string{"b-2", "b-3", "b-4"}, list(api.ListRequest{Page: api.Page{Limit: 3, After: "b-1"}}))
	require.Equal(t, []string{"b-5", "b-6"}, list(api.ListRequest{Prefix: "b-", Page: api.Page{Limit: 3, After: "b-4"}}))
	require.Equal(t, []string{"b-0", "b-1"}, list(api.ListRequest{Prefix: "b-", Page: api.Page{Limit: 2, After: "a"}}))
	require.Empty(t, list(api.ListRequest{Prefix: "b-", Page: api.Page{After: "b-6"}}))
	require.Equal(t, []string{"b-2", "b-4"}, list(api.ListRequest{Labels: map[string]string{"even": "true"}, Page: api.Page{Limit: 2, After: "b-0"}}))

	// The index follows the bucket: a deleted job leaves, a new one comes.
	require.NoError(t, api.Call(ctx, env.NC, names, api.VerbJobDelete, api.NameRequest{Name: "b-3"}, nil))
	create("b-31", nil)
	require.Eventually(t, func() bool {
		var out []api.JobView
		err := api.Call(ctx, env.NC, names, api.VerbJobList, api.ListRequest{Prefix: "b-3"}, &out)
		return err == nil && len(out) == 1 && out[0].Name == "b-31"
	}, 10*time.Second, 20*time.Millisecond)

	for _, bad := range []struct {
		req   api.ListRequest
		field string
	}{
		{api.ListRequest{Page: api.Page{Limit: -1}}, "limit"},
		{api.ListRequest{Page: api.Page{After: "no spaces"}}, "after"},
	} {
		err := api.Call(ctx, env.NC, names, api.VerbJobList, bad.req, nil)
		var ae *api.Error
		require.True(t, errors.As(err, &ae), "refused: %v", err)
		require.Equal(t, bad.field, ae.Field)
	}
}

// TestListTooLargeForOneReply: a list whose reply NATS cannot carry is an
// error at once, with the code 413 and what to do, not a timeout; a page
// of it is answered.
func TestListTooLargeForOneReply(t *testing.T) {
	t.Parallel()
	env := serve(t)
	names := env.Topo.Names()
	ctx := t.Context()
	body := strings.Repeat("b", job.MaxHTTPBodyBytes)
	for i := range int(env.NC.MaxPayload())/len(body) + 2 {
		spec := job.Spec{Name: fmt.Sprintf("big-%d", i), Schedule: job.Schedule{Every: job.Duration(time.Hour)},
			Task: job.Task{Kind: job.TaskHTTP, HTTP: &job.HTTPRequest{Method: "POST", URL: "http://127.0.0.1:1/x", Body: body}}}
		require.NoError(t, api.Call(ctx, env.NC, names, api.VerbJobCreate, api.CreateRequest{Spec: spec}, nil))
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := api.Call(cctx, env.NC, names, api.VerbJobList, api.ListRequest{}, nil)
	var ae *api.Error
	require.True(t, errors.As(err, &ae), "an API error, not %v", err)
	require.Equal(t, 413, ae.Code)
	require.Contains(t, ae.Message, "--limit")

	var page []api.JobView
	require.NoError(t, api.Call(ctx, env.NC, names, api.VerbJobList, api.ListRequest{Page: api.Page{Limit: 2}}, &page))
	require.Len(t, page, 2)
}

// TestListReadsEachJobsStateAndHealth: a page's views carry the state and
// health each job has, as job_get shows them (the page reads each bucket in
// one batched request, job_get key by key); a damaged state is left out,
// and a job deleted after the index listed it is not shown.
func TestListReadsEachJobsStateAndHealth(t *testing.T) {
	t.Parallel()
	env := serve(t)
	names := env.Topo.Names()
	ctx := t.Context()
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		createJob(t, env, n)
	}
	state, err := env.JS.KeyValue(ctx, names.StateBucket())
	require.NoError(t, err)
	healthKV, err := env.JS.KeyValue(ctx, names.HealthBucket())
	require.NoError(t, err)
	slot := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	for name, rt := range map[string]job.Runtime{"a": {LastSlot: slot, Fired: 3, Completed: true, CompletedAt: slot}, "b": {LastSlot: slot, Fired: 1}} {
		data, err := json.Marshal(rt)
		require.NoError(t, err)
		_, err = state.Put(ctx, name, data)
		require.NoError(t, err)
	}
	_, err = state.Put(ctx, "c", []byte("damaged"))
	require.NoError(t, err)
	data, err := health.Encode(health.State{Job: "b", Health: alert.Failing, Since: slot, ConsecutiveFailures: 2, Updated: slot})
	require.NoError(t, err)
	_, err = healthKV.Put(ctx, "b", data)
	require.NoError(t, err)
	var before []api.JobView
	require.NoError(t, api.Call(ctx, env.NC, names, api.VerbJobList, api.ListRequest{}, &before))
	require.Len(t, before, 5)

	// Deleted in the bucket itself: the index may still list it.
	jobs, err := env.JS.KeyValue(ctx, names.JobsBucket())
	require.NoError(t, err)
	require.NoError(t, jobs.Delete(ctx, "e"))
	var views []api.JobView
	require.NoError(t, api.Call(ctx, env.NC, names, api.VerbJobList, api.ListRequest{}, &views))
	got := map[string]api.JobView{}
	for _, v := range views {
		got[v.Name] = v
	}
	require.Len(t, got, 4, "the deleted job is not shown")
	for _, n := range []string{"a", "b", "c", "d"} {
		var one api.JobView
		require.NoError(t, api.Call(ctx, env.NC, names, api.VerbJobGet, api.NameRequest{Name: n}, &one))
		require.Equal(t, one.State, got[n].State, n)
		require.Equal(t, one.Health, got[n].Health, n)
		require.Equal(t, one.Status, got[n].Status, n)
		require.Equal(t, one.Revision, got[n].Revision, n)
	}
	require.True(t, got["a"].State.Completed)
	require.Equal(t, api.StatusCompleted, got["a"].Status)
	require.Equal(t, int64(1), got["b"].State.Fired)
	require.Equal(t, alert.Failing, got["b"].Health.Health)
	require.Nil(t, got["c"].State, "a damaged state is left out")
	require.Nil(t, got["d"].State)
	require.Nil(t, got["d"].Health)
}
