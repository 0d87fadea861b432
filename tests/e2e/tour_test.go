package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
)

// TestTour is the README's five-minute tour, through the command line.
func TestTour(t *testing.T) {
	t.Parallel()
	s := start(t, options{})

	out := s.ok("job", "create", "hello", "--every", "1s", "--", "echo", "hello")
	require.Contains(t, out, "job hello created")
	s.ok("job", "create", "nightly", "--cron", "0 30 2 * * *", "--tz", "Europe/Berlin", "--", "date")

	x := s.waitFor("hello", 15*time.Second, job.StateSucceeded)
	require.Equal(t, 0, *x.ExitCode)
	require.Equal(t, "hello\n", s.ok("exec", "logs", x.ID), "the complete output of the run")
	require.Contains(t, s.ok("exec", "list", "hello"), x.ID)

	var got struct {
		X job.Execution
	}
	require.NoError(t, json.Unmarshal([]byte(s.ok("exec", "get", x.ID, "-o", "json")), &got.X))
	require.Equal(t, x.ID, got.X.ID)
	for _, field := range []string{`"id"`, `"job"`, `"state"`, `"scheduled_at"`, `"attempt"`, `"started_at"`, `"finished_at"`, `"exit_code"`, `"worker"`, `"log_url"`, `"error"`} {
		require.Contains(t, s.ok("exec", "get", x.ID, "-o", "json"), field)
	}

	var nightly api.JobView
	require.NoError(t, json.Unmarshal([]byte(s.ok("job", "get", "nightly", "-o", "json")), &nightly))
	require.Len(t, nightly.Next, 5)
	for _, n := range nightly.Next {
		ts, err := time.Parse(time.RFC3339, n)
		require.NoError(t, err)
		loc, _ := time.LoadLocation("Europe/Berlin")
		require.Equal(t, "02:30:00", ts.In(loc).Format("15:04:05"), n)
		require.True(t, strings.HasSuffix(n, "+01:00") || strings.HasSuffix(n, "+02:00"), "RFC 3339 with the zone's offset: %s", n)
	}
	require.Contains(t, s.ok("job", "list"), "nightly")
	// A page of the list, in name order: "hello" sorts before "nightly".
	var page []api.JobView
	require.NoError(t, json.Unmarshal([]byte(s.ok("job", "list", "--limit", "1", "--after", "hello", "-o", "json")), &page))
	require.Len(t, page, 1)
	require.Equal(t, "nightly", page[0].Name)

	// Pause with a reason: no new slot fires; the reason shows.
	s.ok("job", "disable", "hello", "--reason", "maintenance window")
	require.Contains(t, s.ok("job", "get", "hello"), "disabled: maintenance window")
	time.Sleep(1500 * time.Millisecond) // let an in-flight slot settle
	n := len(s.executions("hello"))
	time.Sleep(2500 * time.Millisecond) // a disabled every-1s job: nothing may appear in this span
	require.Equal(t, n, len(s.executions("hello")), "a disabled job does not fire")
	s.ok("job", "enable", "hello")
	natstest.Eventually(t, 10*time.Second, func() bool { return len(s.executions("hello")) > n }, "enabled again, it fires")

	// Run now, with a param.
	id := strings.TrimSpace(s.ok("job", "run", "nightly", "--param", "who=tour"))
	x = s.waitState(id, 15*time.Second, job.StateSucceeded)
	require.Equal(t, job.TriggerManual, x.Trigger)
	require.Equal(t, map[string]string{"who": "tour"}, x.Params)

	// Delete: the definition goes, the history stays.
	s.ok("job", "delete", "hello")
	r := s.cli("job", "get", "hello")
	require.Equal(t, 3, r.code, r.err)
	require.Contains(t, r.err, "not found")
	require.NotEmpty(t, s.executions("hello"))
}

func TestScriptTask(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	dir := t.TempDir()
	path := filepath.Join(dir, "fetch.sh")
	require.NoError(t, os.WriteFile(path, []byte("echo \"job=$JETCRON_JOB attempt=$JETCRON_ATTEMPT params=$JETCRON_PARAMS\"\necho to-stderr >&2\n"), 0o600))
	s.ok("job", "create", "fetch", "--every", "1h", "--script", path, "--interpreter", "bash", "--param", "page=1")
	id := strings.TrimSpace(s.ok("job", "run", "fetch"))
	x := s.waitState(id, 15*time.Second, job.StateSucceeded, job.StateFailed)
	require.Equal(t, job.StateSucceeded, x.State, x.Error)
	require.Equal(t, "job=fetch attempt=1 params={\"page\":\"1\"}\nto-stderr\n", s.ok("exec", "logs", id))
}

func TestEnvironmentIsScrubbed(t *testing.T) {
	t.Setenv("JETCRON_TEST_SECRET", "do-not-leak") // the worker's own environment
	s := start(t, options{})
	s.ok("job", "create", "env", "--every", "1h", "--env", "GREETING=hi", "--", "env")
	id := strings.TrimSpace(s.ok("job", "run", "env"))
	s.waitState(id, 15*time.Second, job.StateSucceeded)
	out := s.ok("exec", "logs", id)
	require.Contains(t, out, "GREETING=hi")
	require.Contains(t, out, "JETCRON_EXECUTION_ID="+id)
	require.Contains(t, out, "JETCRON_SCHEDULED_AT=")
	require.Contains(t, out, "TRACEPARENT=00-")
	require.NotContains(t, out, "do-not-leak")
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		k, _, _ := strings.Cut(line, "=")
		allowed := strings.HasPrefix(k, "JETCRON_") || k == "GREETING" || k == "PATH" || k == "HOME" || k == "TMPDIR" || k == "LANG" || k == "TRACEPARENT"
		require.True(t, allowed, "unexpected variable %s", k)
	}
}
