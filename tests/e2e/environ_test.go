package e2e

import (
	"context"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/cmd/jetcron/cli"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
)

// workerArgsEnv, when set, makes TestWorkerProcess run the command line
// with the arguments it holds (separated by 0x1f), as this whole process: a real
// worker process whose environment (/proc/<pid>/environ) is its own.
const workerArgsEnv = "JETCRON_E2E_WORKER_ARGS"

func TestWorkerProcess(t *testing.T) {
	args := os.Getenv(workerArgsEnv)
	if args == "" {
		t.Skip("helper of TestRunCannotReadWorkerEnviron: runs a worker process")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	os.Exit(cli.Run(ctx, cli.Deps{Stdout: os.Stdout, Stderr: os.Stderr, Stdin: os.Stdin}, strings.Split(args, "\x1f")))
}

// TestRunCannotReadWorkerEnviron is the attack of the finding: a job reads
// /proc/<its supervisor's parent>/environ, the worker's initial environment,
// which holds its secrets. The worker runs as root (runs get a uid of their
// own) or as an unprivileged user (runs share its uid; the worker is not
// dumpable).
func TestRunCannotReadWorkerEnviron(t *testing.T) {
	needRoot(t) // to start the worker as root, or as another user
	exe, err := os.Executable()
	require.NoError(t, err)
	// A copy every uid can execute: go test's build directory is 0700.
	bin := filepath.Join(natstest.WorkDir(t), "e2e.test")
	require.NoError(t, os.Chmod(filepath.Dir(bin), 0o755))
	copyFile(t, exe, bin)

	for _, tc := range []struct {
		name string
		cred *syscall.Credential
	}{
		{"WorkerAsRoot", nil},
		{"WorkerAsUser", &syscall.Credential{Uid: 4600, Gid: 4600, Groups: []uint32{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, options{workers: -1})
			work := natstest.WorkDir(t)
			if tc.cred != nil {
				require.NoError(t, os.Chown(work, int(tc.cred.Uid), int(tc.cred.Gid)))
			}
			id := "envleak-" + strings.ToLower(tc.name)
			args := []string{"jetcron", "--nats", s.srv.URL(), "--namespace", s.topo.Namespace, "worker", "--id", id,
				"--queue", id, "--ack-wait", s.topo.AckWait.String(), "--lease", s.topo.LeaseTTL.String(), "--work-dir", work}
			cmd := exec.Command(bin, "-test.run=^TestWorkerProcess$")
			cmd.Env = []string{workerArgsEnv + "=" + strings.Join(args, "\x1f"), "PATH=/usr/bin:/bin", "HOME=" + work,
				"AWS_SECRET_ACCESS_KEY=aws-secret-1234", "JETCRON_TEST_PASSWORD=nats-secret-5678"}
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: tc.cred}
			var stderr lockedBuffer
			cmd.Stdout, cmd.Stderr = io.Discard, &stderr
			require.NoError(t, cmd.Start())
			t.Cleanup(func() {
				_ = cmd.Process.Signal(syscall.SIGTERM)
				done := make(chan struct{})
				go func() { _ = cmd.Wait(); close(done) }()
				select {
				case <-done:
				case <-time.After(10 * time.Second):
					_ = cmd.Process.Kill()
					<-done
				}
			})
			natstest.Eventually(t, 30*time.Second, func() bool {
				ws, err := s.client.Workers(t.Context())
				return err == nil && slices.ContainsFunc(ws, func(w job.WorkerInfo) bool { return w.ID == id })
			}, "worker %s is present: %s", id, &stderr)

			s.ok("job", "create", id, "--every", "1h", "--queue", id, "--", "/bin/sh", "-c",
				`p=$(awk '{print $4}' /proc/$PPID/stat); echo "worker=$p"; tr '\0' '\n' </proc/$p/environ | grep -E 'SECRET|PASSWORD'; echo end`)
			out := s.runLog(id, job.StateSucceeded)
			require.Contains(t, out, "worker="+strconv.Itoa(cmd.Process.Pid), "the job found the worker")
			require.NotContains(t, out, "aws-secret-1234")
			require.NotContains(t, out, "nats-secret-5678")
			require.Contains(t, out, "Permission denied")
		})
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	require.NoError(t, err)
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	require.NoError(t, err)
	_, err = io.Copy(out, in)
	require.NoError(t, err)
	require.NoError(t, out.Close())
}
