package worker_test

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/worker"
)

// TestSwappedScriptIsNotExecuted: the file a script's bytes were verified
// from is replaced right after the check (the hook runs in the window
// between the check and the execution). The run executes the verified
// bytes all the same: they are in a sealed memfd, not read again from a
// path. (Not parallel: the hook is global.)
func TestSwappedScriptIsNotExecuted(t *testing.T) {
	env := natstest.Ensured(t)
	nc, js, topo := env.NC, env.JS, env.Topo
	ctx := t.Context()
	names := topo.Names()

	cl, err := client.New(nc, client.WithNamespace(topo.Namespace))
	require.NoError(t, err)
	ref, err := cl.UploadScriptBytes(ctx, "verified.sh", []byte("echo verified\nexit 0\n"))
	require.NoError(t, err)
	swapped := 0
	defer worker.SetScriptVerified(func(path string) {
		// What an attacker with write access to that file would do.
		require.NoError(t, os.Chmod(path, 0o600))
		require.NoError(t, os.WriteFile(path, []byte("echo swapped\nexit 7\n"), 0o600))
		swapped++
	})()

	startWorker(t, env, worker.Config{Interpreters: worker.DefaultInterpreters("/usr/bin:/bin")})
	w, _ := publishSlot(t, js, names, job.Spec{Name: "swap", Schedule: job.Schedule{Every: job.Duration(time.Hour)},
		Task: job.Task{Kind: job.TaskScript, Interpreter: "bash", Script: ref}})

	reader := event.NewReader(nc, js, names)
	var x job.Execution
	natstest.Eventually(t, 20*time.Second, func() bool {
		x, err = reader.Get(ctx, w.ID)
		return err == nil && x.State.Final()
	}, "the execution ends")
	var log bytes.Buffer
	require.NoError(t, cl.Log(ctx, w.ID, 0, &log))
	require.Equal(t, 1, swapped, "the hook ran")
	require.Equal(t, job.StateSucceeded, x.State, "exit %v, error %q, log %q", x.ExitCode, x.Error, log.String())
	require.Equal(t, "verified\n", log.String())
}
