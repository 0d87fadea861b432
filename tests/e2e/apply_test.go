package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/job"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

func TestApply(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	dir := t.TempDir()
	writeFile(t, dir, "report.sh", "echo report for $JETCRON_JOB\n")
	v1 := writeFile(t, dir, "jobs.yaml", `
jobs:
  - name: billing-hourly
    labels: {app: billing}
    schedule: {cron: "0 * * * *", tz: Europe/Berlin}
    task: {kind: command, command: [echo, hourly]}
  - name: billing-report
    labels: {app: billing}
    schedule: {every: 1h}
    retry: {retries: 2, backoff: 30s}
    task: {interpreter: bash, script_file: report.sh}
---
name: billing-old
labels: {app: billing}
schedule: {every: 1h}
task: {kind: command, command: ["true"]}
`)
	out := s.ok("apply", "-f", v1)
	require.Contains(t, out, "job billing-hourly created")
	require.Contains(t, out, "job billing-report created")
	require.Contains(t, out, "job billing-old created")
	id := strings.TrimSpace(s.ok("job", "run", "billing-report"))
	s.waitState(id, 15*time.Second, job.StateSucceeded)
	require.Equal(t, "report for billing-report\n", s.ok("exec", "logs", id))

	// Re-applying the same file changes nothing.
	out = s.ok("apply", "-f", v1)
	require.Equal(t, 3, strings.Count(out, "unchanged"), out)

	v2 := writeFile(t, dir, "jobs2.yaml", `
jobs:
  - name: billing-hourly
    labels: {app: billing}
    schedule: {cron: "30 * * * *", tz: Europe/Berlin}
    task: {kind: command, command: [echo, hourly]}
  - name: billing-report
    labels: {app: billing}
    schedule: {every: 1h}
    retry: {retries: 2, backoff: 30s}
    task: {interpreter: bash, script_file: report.sh}
`)
	out = s.ok("apply", "-f", v2, "--prune", "--dry-run")
	require.Contains(t, out, "job billing-hourly updated (schedule) (dry run)")
	require.Contains(t, out, "job billing-old deleted (dry run)")
	require.Contains(t, s.ok("job", "get", "billing-hourly"), "0 * * * *", "a dry run changes nothing")
	require.Equal(t, 0, s.cli("job", "get", "billing-old").code)

	out = s.ok("apply", "-f", v2, "--prune")
	require.Contains(t, out, "job billing-hourly updated (schedule)")
	require.Contains(t, out, "job billing-old deleted")
	require.Contains(t, s.ok("job", "get", "billing-hourly"), "30 * * * *")
	require.Equal(t, 3, s.cli("job", "get", "billing-old").code)

	// The JSON of `job get` applies as it is.
	get := writeFile(t, dir, "get.json", s.ok("job", "get", "billing-hourly", "-o", "json"))
	require.Contains(t, s.ok("apply", "-f", get), "unchanged")
}

func TestApplyBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	dir := t.TempDir()
	cases := map[string]struct {
		yaml    string
		mention []string
	}{
		"UnknownField": {`
name: a1
schedule: {every: 1h}
task: {kind: command, command: ["true"]}
colour: blue
`, []string{"a1", "colour"}},
		"DuplicateName": {`
jobs:
  - {name: a2, schedule: {every: 1h}, task: {kind: command, command: ["true"]}}
  - {name: a2, schedule: {every: 2h}, task: {kind: command, command: ["true"]}}
`, []string{"a2", "more than once"}},
		"OneInvalidJob": {`
jobs:
  - {name: a3, schedule: {every: 1h}, task: {kind: command, command: ["true"]}}
  - {name: a4, schedule: {every: 1h}, overlap: sometimes, task: {kind: command, command: ["true"]}}
`, []string{"a4", "overlap"}},
		"EndBeforeStart": {`
name: a5
schedule: {every: 1h, start: "2030-01-02T00:00:00Z", end: "2030-01-01T00:00:00Z"}
task: {kind: command, command: ["true"]}
`, []string{"a5", "schedule.end"}},
		"BackoffMaxBelowInitial": {`
name: a6
schedule: {every: 1h}
retry: {retries: 1, backoff: 1m, backoff_max: 10s}
task: {kind: command, command: ["true"]}
`, []string{"a6", "retry.backoff_max"}},
		"NotYAML": {"{{{", []string{"document 1"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := s.cli("apply", "-f", writeFile(t, dir, name+".yaml", tc.yaml))
			require.Equal(t, 2, r.code, r.err)
			for _, m := range tc.mention {
				require.Contains(t, r.err, m)
			}
		})
	}
	for _, name := range []string{"a1", "a2", "a3", "a4", "a5", "a6"} {
		require.Equal(t, 3, s.cli("job", "get", name).code, "job %s was created although the file was refused", name)
	}
}
