package client_test

import (
	"bytes"
	"encoding/json"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/objstore"
)

// TestLogIgnoresTheEventsLocation: a role allowed to publish events forges
// an execution whose log_url names another bucket; reading its log never
// opens it (the location is derived from the execution ID and attempt).
func TestLogIgnoresTheEventsLocation(t *testing.T) {
	t.Parallel()
	cl := system(t)
	ctx := t.Context()
	js, err := jetstream.New(cl.Conn())
	require.NoError(t, err)
	secrets, err := js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: cl.Names().Namespace() + "-secrets"})
	require.NoError(t, err)
	_, err = secrets.PutBytes(ctx, "creds", []byte("SECRET"))
	require.NoError(t, err)

	id := "forged-20260101T000000Z"
	for _, k := range []event.Kind{event.Started, event.Succeeded} {
		e := event.Event{V: event.Version, Kind: k, Job: "forged", Execution: id, Attempt: 1, Time: time.Now(),
			LogURL: "nats://" + cl.Names().Namespace() + "-secrets/creds", LogBytes: 6}
		data, _ := json.Marshal(e)
		_, err = js.Publish(ctx, cl.Names().EventSubject("forged", id, string(k)), data)
		require.NoError(t, err)
	}
	var buf bytes.Buffer
	err = cl.Log(ctx, id, 0, &buf)
	require.Error(t, err, "there is no log under the derived key")
	require.NotContains(t, buf.String(), "SECRET")
	buf.Reset()
	_ = cl.FollowLog(ctx, id, &buf)
	require.NotContains(t, buf.String(), "SECRET")
}

// TestEventOfAnotherJobIsSkipped: an event whose payload names another job
// or execution than its subject is not read as the subject's.
func TestEventOfAnotherJobIsSkipped(t *testing.T) {
	t.Parallel()
	cl := system(t)
	ctx := t.Context()
	js, err := jetstream.New(cl.Conn())
	require.NoError(t, err)
	id := "victim-20260101T000000Z"
	bad := []event.Event{
		{V: event.Version, Kind: event.Succeeded, Job: "other", Execution: "other-20260101T000000Z", Attempt: 1, Time: time.Now()},
		{V: event.Version, Kind: event.Succeeded, Job: "victim", Execution: "victim-20260101T000000Z/../x", Attempt: 1, Time: time.Now()},
		{V: event.Version, Kind: event.Succeeded, Job: "bad name", Execution: id, Attempt: 1, Time: time.Now()},
	}
	for _, e := range bad {
		data, _ := json.Marshal(e)
		_, err = js.Publish(ctx, cl.Names().EventSubject("victim", id, string(e.Kind)), data)
		require.NoError(t, err)
	}
	_, err = cl.Execution(ctx, id)
	require.ErrorIs(t, err, job.ErrNotFound, "no event of %s is believed", id)
}

// TestConcurrentLogReads: log reads from concurrent handlers share the
// client (its log store was a map written without a lock).
func TestConcurrentLogReads(t *testing.T) {
	t.Parallel()
	srvCl := system(t)
	ctx := t.Context()
	_, err := srvCl.CreateJob(ctx, job.Spec{Name: "hello", Schedule: job.Schedule{Every: job.Duration(time.Hour)},
		Task: job.Task{Kind: job.TaskCommand, Command: []string{"echo", "hello"}}})
	require.NoError(t, err)
	run, err := srvCl.RunJob(ctx, "hello", nil, false)
	require.NoError(t, err)
	waitRecorded(t, srvCl, run.ExecutionID)
	var buf bytes.Buffer
	require.NoError(t, srvCl.FollowLog(ctx, run.ExecutionID, &buf))
	require.Equal(t, "hello\n", buf.String())

	cl, err := client.New(srvCl.Conn(), client.WithNamespace(srvCl.Names().Namespace()))
	require.NoError(t, err)
	var wg sync.WaitGroup
	outs := make([]bytes.Buffer, 32)
	errs := make([]error, len(outs))
	for i := range outs {
		wg.Go(func() { errs[i] = cl.Log(ctx, run.ExecutionID, 0, &outs[i]) })
	}
	wg.Wait()
	for i := range outs {
		require.NoError(t, errs[i])
		require.Equal(t, "hello\n", outs[i].String())
	}
}

// TestConcurrentScriptUploads: uploads from concurrent handlers share the
// client (its script store was opened lazily without a lock).
func TestConcurrentScriptUploads(t *testing.T) {
	t.Parallel()
	env := natstest.Ensured(t)
	cl, err := client.New(env.NC, client.WithNamespace(env.Topo.Namespace))
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Go(func() { _, errs[i] = cl.UploadScriptBytes(t.Context(), "s.sh", []byte("echo "+strconv.Itoa(i)+"\n")) })
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
}

// TestEmptyLogIsNotStored: an attempt that printed nothing stores no log
// object (its final event says log_bytes 0), and reading or following its
// log prints nothing, without an error.
func TestEmptyLogIsNotStored(t *testing.T) {
	t.Parallel()
	cl := system(t)
	ctx := t.Context()
	_, err := cl.CreateJob(ctx, job.Spec{Name: "silent", Schedule: job.Schedule{Every: job.Duration(time.Hour)},
		Task: job.Task{Kind: job.TaskCommand, Command: []string{"true"}}})
	require.NoError(t, err)
	run, err := cl.RunJob(ctx, "silent", nil, false)
	require.NoError(t, err)
	var x job.Execution
	natstest.Eventually(t, 30*time.Second, func() bool {
		x, err = cl.Execution(ctx, run.ExecutionID)
		return err == nil && x.State.Final()
	}, "the run ends")
	require.Equal(t, job.StateSucceeded, x.State)
	require.Len(t, x.Attempts, 1)
	require.NotEmpty(t, x.Attempts[0].LogURL, "the attempt has a log")
	require.Zero(t, x.Attempts[0].LogBytes)

	js, err := jetstream.New(cl.Conn())
	require.NoError(t, err)
	logs, err := js.ObjectStore(ctx, cl.Names().LogsStore())
	require.NoError(t, err)
	_, err = logs.GetInfo(ctx, objstore.LogKey("silent", run.ExecutionID, 1))
	require.ErrorIs(t, err, jetstream.ErrObjectNotFound, "no object is stored for an empty log")

	var buf bytes.Buffer
	require.NoError(t, cl.Log(ctx, run.ExecutionID, 0, &buf))
	require.NoError(t, cl.FollowLog(ctx, run.ExecutionID, &buf))
	require.Empty(t, buf.String())
}
