package apiservice_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
)

// TestErrorsDoNotEchoHugeInput: an error quotes at most job.MaxEcho
// characters of the input, so a request near the payload limit gets a small
// answer at once (a 3 MB name made a reply over the limit, and the client
// waited for its timeout).
func TestErrorsDoNotEchoHugeInput(t *testing.T) {
	t.Parallel()
	env := serve(t)
	names := env.Topo.Names()
	spec := job.Spec{Name: "x", Schedule: job.Schedule{Every: job.Duration(time.Hour)}, Task: job.Task{Kind: job.TaskCommand, Command: []string{"true"}}}
	require.NoError(t, api.Call(t.Context(), env.NC, names, api.VerbJobCreate, api.CreateRequest{Spec: spec}, nil))
	huge := strings.Repeat("x", 2<<20) + "!"
	for verb, req := range map[string]any{
		api.VerbJobGet:     api.NameRequest{Name: huge},
		api.VerbJobCreate:  api.CreateRequest{Spec: job.Spec{Name: huge, Schedule: job.Schedule{Cron: huge}, Task: job.Task{Kind: job.TaskKind(huge)}}},
		api.VerbJobEnqueue: api.EnqueueRequest{Name: "x", At: time.Now().Add(time.Minute), ID: huge},
		api.VerbExecCancel: api.CancelRequest{ID: huge},
	} {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		err := api.Call(ctx, env.NC, names, verb, req, nil)
		cancel()
		var ae *api.Error
		require.True(t, errors.As(err, &ae), "%s: an API error at once, not %v", verb, err)
		require.Less(t, len(ae.Message), 4096, verb)
		require.Contains(t, ae.Message, "x…", verb)
		for _, f := range ae.Fields {
			require.Less(t, len(f.Message), 1100, verb)
		}
	}
}
