package failure_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
)

// readyz returns a role's /readyz status and body (0 when it does not
// answer).
func readyz(addr string) (int, string) {
	c := http.Client{Timeout: 2 * time.Second}
	res, err := c.Get("http://" + addr + "/readyz")
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestRolesStartInAnyOrder starts `jetcron worker` before NATS and before
// any scheduler: it waits (not ready, saying why) instead of exiting, and
// carries on once NATS is up and `jetcron scheduler` has made the
// resources; a job then runs. A role waiting for resources stops at once
// on SIGINT with status 0; bad flags still fail at once.
func TestRolesStartInAnyOrder(t *testing.T) {
	dir := t.TempDir()
	url := fmt.Sprintf("nats://127.0.0.1:%d", freePort(t))
	wHealth := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	sHealth := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	worker := newProc(t, dir, "worker", bins.jetcron, "--nats", url, "--log-format", "json", "worker", "--id", "w1",
		"--concurrency", "2", "--work-dir", natstest.WorkDir(t), "--health", wHealth, "--ack-wait", "3s")
	worker.start()
	waitReadyz := func(addr, want string) {
		t.Helper()
		natstest.Eventually(t, 60*time.Second, func() bool {
			code, body := readyz(addr)
			return code == http.StatusServiceUnavailable && strings.Contains(body, want)
		}, "%s says it is not ready: %s\n%s", addr, want, worker.tail(3000))
	}
	waitReadyz(wHealth, "not connected to NATS")
	require.True(t, worker.running(), "the worker waits for NATS")

	natsd := newProc(t, dir, "nats", bins.nats, "-a", "127.0.0.1", "-p", strings.TrimPrefix(url, "nats://127.0.0.1:"),
		"-js", "-sd", filepath.Join(dir, "nats"))
	natsd.start()
	waitReadyz(wHealth, "resources not found")
	require.True(t, worker.running(), "the worker waits for the resources")

	sched := newProc(t, dir, "scheduler", bins.jetcron, "--nats", url, "--log-format", "json", "scheduler", "--id", "s1",
		"--health", sHealth, "--lease", "3s", "--ack-wait", "3s")
	sched.start()
	for _, addr := range []string{sHealth, wHealth} {
		natstest.Eventually(t, 60*time.Second, func() bool {
			code, _ := readyz(addr)
			return code == http.StatusOK
		}, "%s becomes ready\nworker:\n%s\nscheduler:\n%s", addr, worker.tail(3000), sched.tail(3000))
	}
	require.Contains(t, worker.output(), "waiting for NATS", "the worker said what it waited for")
	require.Contains(t, worker.output(), "waiting for the jetcron resources")

	nc, err := nats.Connect(url)
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	cl, err := client.New(nc)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	_, err = cl.CreateJob(ctx, job.Spec{Name: "hello", Schedule: job.Schedule{Every: job.Duration(time.Second)},
		Task: job.Task{Kind: job.TaskCommand, Command: []string{"true"}}})
	require.NoError(t, err)
	natstest.Eventually(t, 30*time.Second, func() bool {
		xs, _, err := cl.Executions(t.Context(), client.ListOptions{Job: "hello", Limit: 10})
		for _, x := range xs {
			if err == nil && x.State == job.StateSucceeded {
				return true
			}
		}
		return false
	}, "the job runs\nworker:\n%s", worker.tail(3000))

	// Waiting is interruptible: SIGINT stops a role at once, with status 0.
	waiting := newProc(t, dir, "waiting", bins.jetcron, "--nats", url, "--namespace", "nobody", "worker",
		"--work-dir", filepath.Join(dir, "work2"))
	waiting.start()
	natstest.Eventually(t, 30*time.Second, func() bool {
		return strings.Contains(waiting.output(), "waiting for the jetcron resources")
	}, "a worker of a namespace nobody made waits\n%s", waiting.tail(3000))
	waiting.signal(syscall.SIGINT)
	require.True(t, waiting.wait(10*time.Second), "SIGINT stops a waiting worker promptly\n%s", waiting.tail(3000))
	require.Equal(t, 0, waiting.exitCode(), waiting.tail(3000))

	// Bad flags fail at once, with a message naming them.
	bad := newProc(t, dir, "bad", bins.jetcron, "--nats", url, "--creds", filepath.Join(dir, "missing.creds"), "worker")
	bad.start()
	require.True(t, bad.wait(10*time.Second), "bad flags fail at once")
	require.NotEqual(t, 0, bad.exitCode())
	require.Contains(t, bad.output(), "--creds")
}
