package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/retention"
)

// TestPruneLogs: `admin prune-logs` deletes the logs of a job's successful
// runs older than --keep-logs, keeps those of failed runs for
// --keep-failed-logs, leaves jobs without a retention alone, and never
// touches the events: the executions stay in the history.
func TestPruneLogs(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	s.ok("job", "create", "short", "--every", "1h", "--keep-logs", "1s", "--keep-failed-logs", "1h", "--", "sh", "-c", `echo hello; test "$JETCRON_PARAMS" != '{"fail":"yes"}'`)
	s.ok("job", "create", "forever", "--every", "1h", "--", "echo", "kept")
	run := func(name string, params ...string) string {
		args := append([]string{"job", "run", name}, params...)
		return strings.TrimSpace(s.ok(args...))
	}
	good := run("short")
	bad := run("short", "--param", "fail=yes")
	other := run("forever")
	require.Equal(t, job.StateSucceeded, s.waitState(good, 30*time.Second, job.StateSucceeded, job.StateFailed).State)
	require.Equal(t, job.StateFailed, s.waitState(bad, 30*time.Second, job.StateSucceeded, job.StateFailed).State)
	s.waitState(other, 30*time.Second, job.StateSucceeded)
	require.Contains(t, s.ok("exec", "logs", good), "hello")
	time.Sleep(1500 * time.Millisecond) // the scenario: the logs become older than 1s

	var rep retention.Report
	require.NoError(t, json.Unmarshal([]byte(s.ok("admin", "prune-logs", "--dry-run", "-o", "json")), &rep))
	require.Len(t, rep.Deleted, 1, "%+v", rep)
	require.Equal(t, good, rep.Deleted[0].ExecutionID)
	require.Contains(t, s.ok("exec", "logs", good), "hello", "a dry run deletes nothing")

	out := s.ok("admin", "prune-logs")
	require.Contains(t, out, "1 logs deleted, 1 kept")
	r := s.cli("exec", "logs", good)
	require.NotZero(t, r.code, "the log is gone: %s", r.out)
	require.Contains(t, s.ok("exec", "logs", bad), "hello", "a failure's log is kept longer")
	require.Contains(t, s.ok("exec", "logs", other), "kept", "a job without retention is left alone")
	require.Contains(t, s.ok("exec", "get", good), "succeeded", "the events stay")

	r = s.cli("job", "create", "x", "--every", "1h", "--keep-logs", "1h", "--keep-failed-logs", "1m", "--", "true")
	require.NotZero(t, r.code)
	require.Contains(t, r.err, "retention.failed_logs")
	require.True(t, strings.Contains(s.cli("admin", "prune-logs", "--job", "a b").err, "--job"))
}
