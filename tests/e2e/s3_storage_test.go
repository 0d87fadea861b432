package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/miniotest"
	"github.com/jetcron/jetcron/pkg/objstore"
)

// TestS3Storage: logs in a real MinIO server, configured with --store on
// the worker and (accepted, not needed) the client commands, credentials
// from the environment; scripts in the NATS object store.
func TestS3Storage(t *testing.T) {
	t.Parallel()
	m := miniotest.Start(t)
	s := start(t, options{workers: -1})
	store := m.Location("e2e-jetcron", "team/a")
	s.startWorkerCLI(m.Getenv, "s3-worker", "--store", store, "--max-log", "64KiB")
	bucket := m.Open(t, "e2e-jetcron")
	dir := t.TempDir()

	t.Run("ScriptRunsAndLogReadsBackByteForByte", func(t *testing.T) {
		t.Parallel()
		var want strings.Builder
		for i := 1; i <= 500; i++ {
			fmt.Fprintf(&want, "line %d: äöü ✓ \t%s\n", i, strings.Repeat("x", i%40))
		}
		want.WriteString("to-stderr\nlast line without a newline")
		script := writeScript(t, dir, "lines.sh", `for i in $(seq 1 500); do printf 'line %d: äöü ✓ \t%s\n' "$i" "$(head -c $((i % 40)) /dev/zero | tr '\0' x)"; done
echo to-stderr >&2
printf 'last line without a newline'
`)
		s.okEnv(m.Getenv, "--store", store, "job", "create", "s3-lines", "--every", "1h", "--script", script, "--interpreter", "bash")
		id := s.runJob(m.Getenv, "s3-lines")
		x := s.waitState(id, 30*time.Second, job.StateSucceeded, job.StateFailed)
		require.Equal(t, job.StateSucceeded, x.State, x.Error)
		require.True(t, strings.HasPrefix(x.LogURL, "s3://e2e-jetcron/team/a/logs/s3-lines/"), x.LogURL)

		require.Equal(t, want.String(), s.okEnv(m.Getenv, "--store", store, "exec", "logs", id), "exec logs reads the log from MinIO")
		_, _, key, err := objstore.ParseURL(x.LogURL)
		require.NoError(t, err)
		rc, err := bucket.Get(t.Context(), key)
		require.NoError(t, err)
		stored, err := io.ReadAll(rc)
		rc.Close()
		require.NoError(t, err)
		require.Equal(t, want.String(), string(stored), "the object in MinIO is the run's output")

		spec := jobSpecOf(t, s, "s3-lines")
		_, err = bucket.Sub("team/a/scripts").Get(t.Context(), spec.Task.Script.Key)
		require.ErrorIs(t, err, objstore.ErrNotFound, "scripts are not in MinIO")
		scripts, err := s.js(t).ObjectStore(t.Context(), s.topo.Names().ScriptsStore())
		require.NoError(t, err)
		_, err = scripts.GetInfo(t.Context(), spec.Task.Script.Key)
		require.NoError(t, err, "the script is in the NATS object store")

		// Without --store the client reads the s3:// log through the workers.
		require.Equal(t, want.String(), s.ok("exec", "logs", id))
	})

	t.Run("TamperedScriptIsNotExecuted", func(t *testing.T) {
		t.Parallel()
		marker := filepath.Join(t.TempDir(), "pwned")
		script := writeScript(t, dir, "honest.sh", "echo honest\n")
		s.okEnv(m.Getenv, "--store", store, "job", "create", "s3-tamper", "--every", "1h", "--script", script, "--interpreter", "bash", "--retries", "2")
		spec := jobSpecOf(t, s, "s3-tamper")
		evil := "touch " + marker + "\necho evil\n"
		scripts, err := s.js(t).ObjectStore(t.Context(), s.topo.Names().ScriptsStore())
		require.NoError(t, err)
		_, err = scripts.PutString(t.Context(), spec.Task.Script.Key, evil)
		require.NoError(t, err)

		id := s.runJob(m.Getenv, "s3-tamper")
		x := s.waitState(id, 30*time.Second, job.StateSucceeded, job.StateFailed)
		require.Equal(t, job.StateFailed, x.State)
		require.Contains(t, x.Error, "checksum_mismatch")
		require.Equal(t, 1, x.Attempt, "a checksum mismatch is not retried")
		require.NoFileExists(t, marker, "the tampered script did not run")
		require.NotContains(t, s.okEnv(m.Getenv, "--store", store, "exec", "logs", id), "evil")
	})

	t.Run("LogCapKeepsHeadAndTailWithMarker", func(t *testing.T) {
		t.Parallel()
		// 200,000 bytes of numbered lines; the worker keeps 64 KiB.
		script := writeScript(t, dir, "big.sh", `for i in $(seq 1 20000); do printf '%09d\n' "$i"; done`)
		s.okEnv(m.Getenv, "--store", store, "job", "create", "s3-big", "--every", "1h", "--script", script, "--interpreter", "bash")
		id := s.runJob(m.Getenv, "s3-big")
		x := s.waitState(id, 60*time.Second, job.StateSucceeded, job.StateFailed)
		require.Equal(t, job.StateSucceeded, x.State, x.Error)
		var full strings.Builder
		for i := 1; i <= 20000; i++ {
			fmt.Fprintf(&full, "%09d\n", i)
		}
		out := full.String()
		const half = 32 << 10
		want := out[:half] + fmt.Sprintf("\n[jetcron: %d bytes truncated]\n", len(out)-2*half) + out[len(out)-half:]
		got := s.okEnv(m.Getenv, "--store", store, "exec", "logs", id)
		require.Equal(t, len(want), len(got))
		require.Equal(t, want, got)
	})

	t.Run("ClientStoreIsNotContactedOnCreate", func(t *testing.T) {
		t.Parallel()
		// A client's --store is only where it may read logs: creating a
		// script job uploads nothing there (nor creates its bucket).
		other := m.Location("e2e-not-created-by-client", "")
		script := writeScript(t, dir, "hi.sh", "echo hi\n")
		s.okEnv(m.Getenv, "--store", other, "job", "create", "s3-newbucket", "--every", "1h", "--script", script, "--interpreter", "bash")
		loc, err := objstore.ParseLocation(other + "&create=false")
		require.NoError(t, err)
		_, err = objstore.OpenS3(t.Context(), loc, m.Credentials())
		require.ErrorIs(t, err, objstore.ErrNoBucket, "the client did not touch the bucket")
		id := s.runJob(noEnv, "s3-newbucket")
		require.Equal(t, job.StateSucceeded, s.waitState(id, 30*time.Second, job.StateSucceeded, job.StateFailed).State)
	})
}

// TestS3BadInput: every wrong --store gets a clear error naming what is
// wrong, a non-zero exit, and no job.
func TestS3BadInput(t *testing.T) {
	t.Parallel()
	m := miniotest.Start(t)
	s := start(t, options{workers: -1})
	m.Open(t, "e2e-bad")
	script := writeScript(t, t.TempDir(), "s.sh", "echo hi\n")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := l.Addr().String()
	l.Close() // nothing listens there any more

	wrongPassword := envOf("MINIO_ROOT_USER", miniotest.User, "MINIO_ROOT_PASSWORD", "not-the-password")
	unknownKey := envOf("AWS_ACCESS_KEY_ID", "nobody", "AWS_SECRET_ACCESS_KEY", "nothing-at-all")
	// A client's --store is read (a wrong one is refused) but never
	// contacted to create a job: only the cases marked client fail there.
	cases := []struct {
		name    string
		env     func(string) string
		store   string
		code    int
		client  bool
		mention []string
	}{
		{"UnknownScheme", m.Getenv, "ftp://e2e-bad/x", 2, true, []string{"--store", `unknown scheme "ftp"`}},
		{"UnreachableEndpoint", m.Getenv, "s3://e2e-bad?secure=false&endpoint=" + closed, 5, false, []string{"--store", "unreachable", closed}},
		{"WrongPassword", wrongPassword, m.Location("e2e-bad", ""), 2, false, []string{"credentials rejected", m.Endpoint, "MINIO_ROOT_USER"}},
		{"UnknownAccessKey", unknownKey, m.Location("e2e-bad", ""), 2, false, []string{"credentials rejected", "AWS_ACCESS_KEY_ID"}},
		{"NoCredentials", noEnv, m.Location("e2e-bad", ""), 2, true, []string{"no S3 credentials", "AWS_ACCESS_KEY_ID"}},
		{"MissingBucketNotCreated", m.Getenv, m.Location("e2e-missing", "") + "&create=false", 2, false, []string{"bucket e2e-missing", "does not exist", "create=false"}},
		{"CredentialsInURL", m.Getenv, "s3://key:secret@e2e-bad?endpoint=" + m.Endpoint, 2, true, []string{"credentials do not belong"}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name := fmt.Sprintf("bad-store-%d", i)
			r := s.cliEnv(tc.env, "--store", tc.store, "job", "create", name, "--every", "1h", "--script", script, "--interpreter", "bash")
			if !tc.client {
				require.Equal(t, 0, r.code, "a client does not contact its --store to create a job: %s", r.err)
				s.runWorkerExpect(t, tc.env, tc.store, tc.code, tc.mention)
				return
			}
			require.Equal(t, tc.code, r.code, "stderr: %s", r.err)
			require.True(t, strings.HasPrefix(r.err, "jetcron: "), r.err)
			for _, want := range tc.mention {
				require.Contains(t, r.err, want)
			}
			require.Empty(t, r.out)
			require.Equal(t, 3, s.cli("job", "get", name).code, "no half-created job")
			require.NotContains(t, r.err, "not-the-password", "secrets are never printed")
			require.NotContains(t, r.err, "nothing-at-all", "secrets are never printed")
			s.runWorkerExpect(t, tc.env, tc.store, tc.code, tc.mention)
		})
	}
}

// runWorkerExpect checks that a worker with --store refuses to start at
// once, with exit code code and an error that mentions each of mention.
func (s *system) runWorkerExpect(t *testing.T, env func(string) string, store string, code int, mention []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	got := runCLI(ctx, env, &out, &errb, "--nats", s.srv.URL(), "--namespace", s.topo.Namespace, "worker", "--store", store, "--work-dir", t.TempDir())
	require.Equal(t, code, got, "worker stderr: %s", errb.String())
	require.NoError(t, ctx.Err(), "the worker stopped by itself")
	for _, want := range mention {
		require.Contains(t, errb.String(), want)
	}
	require.NotContains(t, errb.String(), "not-the-password", "secrets are never printed")
	require.NotContains(t, errb.String(), "nothing-at-all", "secrets are never printed")
}

// js is a JetStream context on the system's connection.
func (s *system) js(t *testing.T) jetstream.JetStream {
	t.Helper()
	js, err := jetstream.New(s.nc)
	require.NoError(t, err)
	return js
}

func jobSpecOf(t *testing.T, s *system, name string) job.Spec {
	t.Helper()
	v, err := s.client.GetJob(t.Context(), name)
	require.NoError(t, err)
	return v.Spec
}
