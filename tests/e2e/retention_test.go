package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/ledger"
	"github.com/jetcron/jetcron/pkg/natstest"
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

// TestRetentionOfExecutions: --keep-executions and --keep-failed-executions
// keep a job's newest runs of each kind; the leader deletes the others'
// history, and bad limits are refused naming the field.
func TestRetentionOfExecutions(t *testing.T) {
	t.Parallel()
	s := start(t, options{prune: true})
	s.ok("job", "create", "poll", "--every", "1h", "--keep-executions", "2", "--keep-failed-executions", "3",
		"--", "sh", "-c", `test "$JETCRON_PARAMS" != '{"fail":"yes"}'`)
	require.Contains(t, s.ok("job", "get", "poll", "-o", "json"), `"failed_executions": 3`)
	var ok, failed []string
	for i := range 5 {
		id := strings.TrimSpace(s.ok("job", "run", "poll"))
		require.Equal(t, job.StateSucceeded, s.waitState(id, 30*time.Second, job.StateSucceeded, job.StateFailed).State)
		ok = append(ok, id)
		if i < 4 {
			id = strings.TrimSpace(s.ok("job", "run", "poll", "--param", "fail=yes"))
			require.Equal(t, job.StateFailed, s.waitState(id, 30*time.Second, job.StateSucceeded, job.StateFailed).State)
			failed = append(failed, id)
		}
	}
	natstest.Eventually(t, 15*time.Second, func() bool {
		return s.cli("exec", "get", ok[2]).code != 0 && s.cli("exec", "get", failed[0]).code != 0
	}, "the oldest runs of each kind are deleted")
	for _, id := range append(ok[3:], failed[1:]...) {
		s.ok("exec", "get", id) // kept
	}
	list := s.ok("exec", "list", "poll")
	require.Equal(t, 5, strings.Count(list, "poll-"), list)

	// A job's slots: the pruned ones show as such in the ledger, none
	// unaccounted.
	s.ok("job", "create", "tick", "--every", "1s", "--keep-executions", "2", "--", "true")
	var l ledger.Ledger
	natstest.Eventually(t, 20*time.Second, func() bool {
		require.NoError(t, json.Unmarshal([]byte(s.ok("job", "audit", "tick", "--since", "1m", "-o", "json")), &l))
		return l.Fired[ledger.FiredPruned] >= 2
	}, "slots pruned")
	require.Zero(t, l.Fired[ledger.FiredUnaccounted], "%+v", l)
	t.Logf("audit of tick:\n%s", s.ok("job", "audit", "tick", "--since", "1m"))

	for args, field := range map[string]string{
		"--keep-executions 3 --keep-failed-executions 2": "retention.failed_executions",
		"--keep-executions -1":                           "retention.executions",
		"--keep-history 1h --keep-failed-history 1m":     "retention.failed_history",
		"--keep-failed-history 1h":                       "retention.failed_history",
	} {
		r := s.cli(append(append([]string{"job", "create", "bad", "--every", "1h"}, strings.Fields(args)...), "--", "true")...)
		require.NotZero(t, r.code, args)
		require.Contains(t, r.err, field, args)
	}
	require.NotZero(t, s.cli("job", "get", "bad").code, "nothing stored")
}
