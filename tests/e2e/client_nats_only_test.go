package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/miniotest"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/objstore"
	"github.com/jetcron/jetcron/web"
)

// TestClientNeedsOnlyNATS: the workers keep logs in MinIO and hold its
// credentials; the CLI, the Go client and the web UI have neither --store
// nor credentials, and still create script jobs (CLI and apply -f), read
// their logs and follow them live, all through NATS. A job whose script is
// only in the workers' bucket is refused.
func TestClientNeedsOnlyNATS(t *testing.T) {
	t.Parallel()
	m := miniotest.Start(t)
	s := start(t, options{workers: -1})
	store := m.Location("e2e-nats-only", "w")
	s.startWorkerCLI(m.Getenv, "s3-only-worker", "--store", store)
	bucket := m.Open(t, "e2e-nats-only")
	dir := natstest.SharedDir(t)

	t.Run("ScriptJobRunsAndLogReadsBack", func(t *testing.T) {
		t.Parallel()
		// 400,000 bytes: more than one chunk of a log read.
		script := writeScript(t, dir, "big.sh", `echo "hello from $JETCRON_JOB"; for i in $(seq 1 40000); do printf '%09d\n' "$i"; done`)
		var want strings.Builder
		want.WriteString("hello from nats-only\n")
		for i := 1; i <= 40000; i++ {
			fmt.Fprintf(&want, "%09d\n", i)
		}
		s.okEnv(noEnv, "job", "create", "nats-only", "--every", "1h", "--script", script, "--interpreter", "bash")
		id := s.runJob(noEnv, "nats-only")
		x := s.waitState(id, 60*time.Second, job.StateSucceeded, job.StateFailed)
		require.Equal(t, job.StateSucceeded, x.State, x.Error)
		require.True(t, strings.HasPrefix(x.LogURL, "s3://e2e-nats-only/w/logs/nats-only/"), x.LogURL)

		got := s.okEnv(noEnv, "exec", "logs", id)
		require.Equal(t, len(want.String()), len(got))
		require.Equal(t, want.String(), got, "exec logs without --store reads the S3 log through the workers")

		var buf bytes.Buffer
		require.NoError(t, s.client.Log(t.Context(), id, 0, &buf), "the Go client, without a store")
		require.Equal(t, want.String(), buf.String())

		_, err := bucket.Sub("w/scripts").Get(t.Context(), jobSpecOf(t, s, "nats-only").Task.Script.Key)
		require.ErrorIs(t, err, objstore.ErrNotFound, "scripts live in the NATS object store, not in the bucket")

		// The web UI, whose client has no store either.
		ws, err := web.New(web.Config{Client: s.client, Addr: "127.0.0.1:0"})
		require.NoError(t, err)
		require.NoError(t, ws.Start(t.Context()))
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = ws.Stop(ctx)
		})
		resp, err := http.Get(ws.URL() + "/api/v1/executions/" + id + "/log")
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		require.Equal(t, want.String(), string(body), "the web UI reads the log through the workers")
	})

	t.Run("FollowLiveLog", func(t *testing.T) {
		t.Parallel()
		printed, resume := filepath.Join(dir, "printed"), filepath.Join(dir, "resume")
		script := writeScript(t, dir, "live.sh", fmt.Sprintf(`for i in $(seq 1 50); do echo "early $i"; done
touch %[1]s
for i in $(seq 1 200); do [ -e %[2]s ] && break; sleep 0.05; done
for i in $(seq 1 5); do echo "late $i"; sleep 0.05; done
`, printed, resume))
		var want strings.Builder
		for i := 1; i <= 50; i++ {
			fmt.Fprintf(&want, "early %d\n", i)
		}
		for i := 1; i <= 5; i++ {
			fmt.Fprintf(&want, "late %d\n", i)
		}
		s.okEnv(noEnv, "job", "create", "nats-only-live", "--every", "1h", "--script", script, "--interpreter", "bash")
		id := s.runJob(noEnv, "nats-only-live")
		natstest.Eventually(t, 30*time.Second, func() bool { _, err := os.Stat(printed); return err == nil }, "the first part is printed")
		followed := make(chan result, 1)
		out := &lockedBuffer{}
		go func() {
			var errb bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			code := runCLI(ctx, noEnv, out, &errb, "--nats", s.srv.URL(), "--namespace", s.topo.Namespace, "exec", "logs", "-f", id)
			followed <- result{out: out.String(), err: errb.String(), code: code}
		}()
		// The follower prints the first part while the run still waits:
		// it follows a live run, with nothing but NATS.
		natstest.Eventually(t, 30*time.Second, func() bool { return strings.Contains(out.String(), "early 50\n") }, "the follower prints the live output")
		require.NoError(t, os.WriteFile(resume, nil, 0o600))
		var r result
		select {
		case r = <-followed:
		case <-time.After(45 * time.Second):
			t.Fatal("exec logs -f did not end with the execution")
		}
		require.Equal(t, 0, r.code, r.err)
		require.Equal(t, want.String(), r.out, "followed from the first byte to the last")
		require.Equal(t, want.String(), s.okEnv(noEnv, "exec", "logs", id), "and the stored log is the same")
	})

	t.Run("ApplyWithScript", func(t *testing.T) {
		t.Parallel()
		sub := t.TempDir()
		writeScript(t, sub, "applied.sh", "echo applied without a store\n")
		file := filepath.Join(sub, "jobs.yaml")
		require.NoError(t, os.WriteFile(file, []byte(`name: nats-only-applied
schedule: {every: 1h}
task: {script_file: applied.sh, interpreter: bash}
`), 0o600))
		s.okEnv(noEnv, "apply", "-f", file)
		id := s.runJob(noEnv, "nats-only-applied")
		x := s.waitState(id, 60*time.Second, job.StateSucceeded, job.StateFailed)
		require.Equal(t, job.StateSucceeded, x.State, x.Error)
		require.Equal(t, "applied without a store\n", s.okEnv(noEnv, "exec", "logs", id))
	})

	t.Run("ScriptOnlyInTheWorkersBucketIsRefused", func(t *testing.T) {
		t.Parallel()
		// An older client put the script in the bucket, not where the
		// workers read scripts first and the API looks.
		data := []byte("echo from the bucket\n")
		ref, err := uploadedRef(data)
		require.NoError(t, err)
		_, err = bucket.Sub("w/scripts").Put(t.Context(), ref.Key, bytes.NewReader(data), int64(len(data)))
		require.NoError(t, err)
		_, err = s.client.CreateJob(t.Context(), job.Spec{Name: "wrong-store", Schedule: job.Schedule{Every: job.Duration(time.Hour)},
			Task: job.Task{Kind: job.TaskScript, Interpreter: "bash", Script: ref}})
		require.ErrorIs(t, err, job.ErrInvalid)
		var ae *api.Error
		require.True(t, errors.As(err, &ae), "%v", err)
		require.Equal(t, "task.script", ae.Field)
		require.Contains(t, err.Error(), "is not in the scripts store")
		_, err = s.client.GetJob(t.Context(), "wrong-store")
		require.ErrorIs(t, err, job.ErrNotFound, "nothing was created")

		// A pinned digest that is not the stored content's is refused too.
		good, err := s.client.UploadScriptBytes(t.Context(), "good.sh", []byte("echo good\n"))
		require.NoError(t, err)
		bad := *good
		bad.Size++
		_, err = s.client.CreateJob(t.Context(), job.Spec{Name: "wrong-size", Schedule: job.Schedule{Every: job.Duration(time.Hour)},
			Task: job.Task{Kind: job.TaskScript, Interpreter: "bash", Script: &bad}})
		require.ErrorIs(t, err, job.ErrInvalid)
		require.ErrorContains(t, err, "task.script.size")

		// Other bytes of the same size stored under a digest's key.
		other := []byte("echo evil\n")
		pinned, err := uploadedRef(other)
		require.NoError(t, err)
		scripts, err := s.js(t).ObjectStore(t.Context(), s.topo.Names().ScriptsStore())
		require.NoError(t, err)
		_, err = scripts.PutBytes(t.Context(), pinned.Key, []byte("echo good\n"))
		require.NoError(t, err)
		_, err = s.client.CreateJob(t.Context(), job.Spec{Name: "wrong-digest", Schedule: job.Schedule{Every: job.Duration(time.Hour)},
			Task: job.Task{Kind: job.TaskScript, Interpreter: "bash", Script: pinned}})
		require.ErrorIs(t, err, job.ErrInvalid)
		require.ErrorContains(t, err, "task.script.sha256")
	})
}

// uploadedRef is the reference a client pins for data.
func uploadedRef(data []byte) (*job.ScriptRef, error) {
	sum := sha256.Sum256(data)
	digest := hex.EncodeToString(sum[:])
	return &job.ScriptRef{Name: "s.sh", Key: job.ScriptKey(digest), SHA256: digest, Size: int64(len(data))}, nil
}
