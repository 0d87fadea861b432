package apiservice_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/api"
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
