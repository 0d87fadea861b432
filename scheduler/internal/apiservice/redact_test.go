package apiservice_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
)

// TestViewsMaskSecrets: the API shows env values, HTTP header values and
// URL query values masked; a definition read and written back keeps its
// real values, which only the worker gets.
func TestViewsMaskSecrets(t *testing.T) {
	t.Parallel()
	env := serve(t)
	ctx := t.Context()
	names := env.Topo.Names()
	spec := job.Spec{Name: "hook", Schedule: job.Schedule{Every: job.Duration(time.Hour)},
		Env: map[string]string{"DB_PASS": "hunter2"},
		Task: job.Task{Kind: job.TaskHTTP, HTTP: &job.HTTPRequest{URL: "https://api.example/x?token=abc",
			Headers: map[string]string{"Authorization": "Bearer t0k", "X-Key": "${secret:key}"}}}}
	var created api.CreateResponse
	require.NoError(t, api.Call(ctx, env.NC, names, api.VerbJobCreate, api.CreateRequest{Spec: spec}, &created))
	var got api.JobView
	require.NoError(t, api.Call(ctx, env.NC, names, api.VerbJobGet, api.NameRequest{Name: "hook"}, &got))
	for _, v := range []api.JobView{created.Job, got} {
		data, _ := json.Marshal(v)
		require.NotContains(t, string(data), "hunter2")
		require.NotContains(t, string(data), "t0k")
		require.NotContains(t, string(data), "abc")
		require.Equal(t, "***", v.Env["DB_PASS"])
		require.Equal(t, "${secret:key}", v.Task.HTTP.Headers["X-Key"], "a reference is no secret")
	}

	var again api.CreateResponse
	require.NoError(t, api.Call(ctx, env.NC, names, api.VerbJobCreate, api.CreateRequest{Spec: got.Spec, Update: true}, &again))
	require.Equal(t, "unchanged", again.Result, "what GET prints writes back unchanged")
	kv, err := env.JS.KeyValue(ctx, names.JobsBucket())
	require.NoError(t, err)
	ent, err := kv.Get(ctx, "hook")
	require.NoError(t, err)
	var stored job.Spec
	require.NoError(t, json.Unmarshal(ent.Value(), &stored))
	require.Equal(t, "hunter2", stored.Env["DB_PASS"])
	require.Equal(t, "Bearer t0k", stored.Task.HTTP.Headers["Authorization"])
	require.Equal(t, "https://api.example/x?token=abc", stored.Task.HTTP.URL)
}
