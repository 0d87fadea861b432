package e2e

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/cmd/jetcron/cli"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
)

// Helpers of the storage, http and Go handler tests: the command line with
// an environment of its own (S3 credentials never come from flags), and
// roles (jetcron worker) run through the command line until the test ends.

// cliEnv runs the command line with getenv as its environment.
func (s *system) cliEnv(getenv func(string) string, args ...string) result {
	s.t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{"jetcron", "--nats", s.srv.URL(), "--namespace", s.topo.Namespace}, args...)
	ctx, cancel := context.WithTimeout(s.t.Context(), time.Minute)
	defer cancel()
	code := cli.Run(ctx, cli.Deps{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(""), Getenv: getenv}, full)
	return result{out: out.String(), err: errb.String(), code: code}
}

// okEnv runs the command line with getenv and requires success.
func (s *system) okEnv(getenv func(string) string, args ...string) string {
	s.t.Helper()
	r := s.cliEnv(getenv, args...)
	require.Equal(s.t, 0, r.code, "jetcron %s\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.out, r.err)
	return r.out
}

// role is a long-running command (jetcron worker ...) run in the test.
type role struct {
	cancel context.CancelFunc
	done   chan int
	stderr *lockedBuffer
}

// stop ends the role and returns its exit code.
func (r *role) stop() int {
	r.cancel()
	return <-r.done
}

// startWorkerCLI runs `jetcron worker --id ID ARGS...` with the test
// topology's timings until the test ends, and waits until it is present.
func (s *system) startWorkerCLI(getenv func(string) string, id string, args ...string) *role {
	s.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &role{cancel: cancel, done: make(chan int, 1), stderr: &lockedBuffer{}}
	full := append([]string{"jetcron", "--nats", s.srv.URL(), "--namespace", s.topo.Namespace, "--log-level", "warn",
		"worker", "--id", id, "--ack-wait", s.topo.AckWait.String(), "--lease", s.topo.LeaseTTL.String(), "--work-dir", natstest.WorkDir(s.t)}, args...)
	go func() {
		r.done <- cli.Run(ctx, cli.Deps{Stdout: &lockedBuffer{}, Stderr: r.stderr, Stdin: strings.NewReader(""), Getenv: getenv}, full)
	}()
	s.t.Cleanup(func() {
		r.cancel()
		select {
		case <-r.done:
		case <-time.After(15 * time.Second):
			s.t.Errorf("worker %s did not stop", id)
		}
	})
	exited := -1
	natstest.Eventually(s.t, 15*time.Second, func() bool {
		select {
		case code := <-r.done:
			r.done <- code
			exited = code
			return true
		default:
		}
		ws, err := s.client.Workers(s.t.Context())
		return err == nil && slices.ContainsFunc(ws, func(w job.WorkerInfo) bool { return w.ID == id })
	}, "worker %s is present", id)
	require.Equal(s.t, -1, exited, "worker %s exited: %s", id, r.stderr.String())
	return r
}

// runJob runs a job now through the command line and returns the
// execution's ID.
func (s *system) runJob(getenv func(string) string, name string) string {
	s.t.Helper()
	return strings.TrimSpace(s.okEnv(getenv, "job", "run", name))
}

// runCLI runs the command line (program name added) with getenv as its
// environment and returns the exit code.
func runCLI(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer, args ...string) int {
	return cli.Run(ctx, cli.Deps{Stdout: stdout, Stderr: stderr, Stdin: strings.NewReader(""), Getenv: getenv}, append([]string{"jetcron"}, args...))
}

// writeScript writes a file under dir and returns its path.
func writeScript(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

// noEnv is an empty environment.
func noEnv(string) string { return "" }

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// envOf returns a getenv over pairs K, V, K, V...
func envOf(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// waitIdle waits until no worker runs an execution of the system (so a
// negative check starts from rest).
func (s *system) waitIdle(d time.Duration) {
	s.t.Helper()
	natstest.Eventually(s.t, d, func() bool {
		ws, err := s.client.Workers(s.t.Context())
		if err != nil {
			return false
		}
		for _, w := range ws {
			if len(w.Running) > 0 {
				return false
			}
		}
		return true
	}, "workers idle")
}
