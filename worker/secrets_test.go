package worker_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/worker"
)

// TestSecretReferencesResolveOnTheWorker: an env value "${secret:NAME}"
// runs with the content of NAME in the worker's secrets directory; a run
// on a worker without the secret fails, saying which.
func TestSecretReferencesResolveOnTheWorker(t *testing.T) {
	t.Parallel()
	env := natstest.Ensured(t)
	secrets := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(secrets, "db_pass"), []byte("hunter2\n"), 0o600))
	out := filepath.Join(natstest.SharedDir(t), "out")
	publish := func(name string, envVars map[string]string) string {
		spec := job.Spec{Name: name, Schedule: job.Schedule{Every: job.Duration(time.Hour)}, Env: envVars,
			Task: job.Task{Kind: job.TaskCommand, Command: []string{"sh", "-c", `printf %s "$DB_PASS" > ` + out}}}.WithDefaults()
		slot := time.Now().UTC().Truncate(time.Second)
		w := job.Work{V: job.WorkVersion, ID: job.ExecutionID(name, slot), Job: name, ScheduledAt: slot, Trigger: job.TriggerSchedule, Spec: spec}
		data, err := json.Marshal(w)
		require.NoError(t, err)
		_, err = env.JS.Publish(t.Context(), env.Topo.Names().WorkSubject(job.DefaultQueue, name, w.ID, false), data)
		require.NoError(t, err)
		return w.ID
	}
	startWorker(t, env, worker.Config{SecretsDir: secrets})
	reader := event.NewReader(env.NC, env.JS, env.Topo.Names())
	final := func(id string) job.Execution {
		var x job.Execution
		natstest.Eventually(t, 20*time.Second, func() bool {
			var err error
			x, err = reader.Get(t.Context(), id)
			return err == nil && x.State.Final()
		}, "the run ends")
		return x
	}

	x := final(publish("withsecret", map[string]string{"DB_PASS": "${secret:db_pass}"}))
	require.Equal(t, job.StateSucceeded, x.State, x.Error)
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Equal(t, "hunter2", string(data))

	x = final(publish("nosecret", map[string]string{"DB_PASS": "${secret:missing}"}))
	require.Equal(t, job.StateFailed, x.State)
	require.Contains(t, x.Error, "${secret:missing}: no such secret")
}
