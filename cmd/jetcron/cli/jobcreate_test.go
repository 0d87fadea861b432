package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestJobCreateNamesTheFlag: `job create` refuses a bad definition before
// it uses the network, with the validator's message under the flag that
// sets the field and the field itself.
func TestJobCreateNamesTheFlag(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	small := filepath.Join(dir, "small.sh")
	require.NoError(t, os.WriteFile(small, []byte("echo hi\n"), 0o600))
	big := filepath.Join(dir, "big.sh")
	f, err := os.Create(big)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(10<<20+1))
	require.NoError(t, f.Close())
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)

	cases := []struct {
		name string
		args []string
		want string // flag (field): part of the message
	}{
		{"NameWithDot", []string{"a.b", "--every", "1m", "--", "true"}, "NAME (name): "},
		{"EveryTooShort", []string{"j", "--every", "500ms", "--", "true"}, "--every (schedule.every): 500ms is shorter than the minimum of 1s"},
		{"EveryNegative", []string{"j", "--every", "-5s", "--", "true"}, "--every (schedule.every): -5s is shorter"},
		{"EveryZero", []string{"j", "--every", "0s", "--", "true"}, "--every (schedule.every): 0s would leave it unset"},
		{"EveryNotADuration", []string{"j", "--every", "soon", "--", "true"}, "--every (schedule.every): invalid duration"},
		{"NoSchedule", []string{"j", "--", "true"}, "--cron/--every/--at (schedule): set exactly one"},
		{"CronNeverFires", []string{"j", "--cron", "0 0 30 2 *", "--", "true"}, "--cron (schedule.cron): "},
		{"UnknownZone", []string{"j", "--cron", "* * * * *", "--tz", "Mars/Olympus", "--", "true"}, "--tz (schedule.tz): "},
		{"AtInThePast", []string{"j", "--at", past, "--", "true"}, "--at (schedule.at): " + past + " is in the past"},
		{"NegativeTimeout", []string{"j", "--every", "1m", "--timeout", "-1s", "--", "true"}, "--timeout (timeout): must be positive"},
		{"ZeroTimeout", []string{"j", "--every", "1m", "--timeout", "0s", "--", "true"}, "--timeout (timeout): 0s would leave it unset"},
		{"NegativeKillGrace", []string{"j", "--every", "1m", "--kill-grace", "-1s", "--", "true"}, "--kill-grace (kill_grace): must be positive"},
		{"CatchUpTooLong", []string{"j", "--every", "1m", "--catchup", "2d", "--", "true"}, "--catchup (catchup.window): "},
		{"UnknownCatchUpPolicy", []string{"j", "--every", "1m", "--catchup-policy", "most", "--", "true"}, "--catchup-policy (catchup.policy): "},
		{"JitterNotBelowInterval", []string{"j", "--every", "1m", "--jitter", "1m", "--", "true"}, "--jitter (jitter): "},
		{"NegativeRetries", []string{"j", "--every", "1m", "--retries", "-1", "--", "true"}, "--retries (retry.retries): must not be negative"},
		{"BackoffMaxBelowInitial", []string{"j", "--every", "1m", "--retries", "1", "--backoff", "1m:10s", "--", "true"}, "--backoff (retry.backoff_max): 10s is below"},
		{"BackoffWithoutMax", []string{"j", "--every", "1m", "--backoff", "10s:", "--", "true"}, "--backoff (retry.backoff): "},
		{"BadExitCode", []string{"j", "--every", "1m", "--retry-on-exit", "0", "--", "true"}, "--retry-on-exit (retry.on_exit): "},
		{"ZeroCompletions", []string{"j", "--every", "1m", "--completions", "0", "--", "true"}, "--completions (completions): 0 would leave it unset"},
		{"NegativeCompletions", []string{"j", "--every", "1m", "--completions", "-2", "--", "true"}, "--completions (completions): must not be negative"},
		{"UnknownOverlap", []string{"j", "--every", "1m", "--overlap", "sometimes", "--", "true"}, "--overlap (overlap): "},
		{"BadQueue", []string{"j", "--every", "1m", "--queue", "a.b", "--", "true"}, "--queue (queue): "},
		{"ReservedEnv", []string{"j", "--every", "1m", "--env", "JETCRON_JOB=x", "--", "true"}, "--env (env): "},
		{"BadParam", []string{"j", "--every", "1m", "--param", "a b=x", "--", "true"}, "--param (params): "},
		{"BadLabel", []string{"j", "--every", "1m", "--label", "-x=y", "--", "true"}, "--label (labels): "},
		{"NoTask", []string{"j", "--every", "1m"}, "-- ARGV/--script/--http-url/--handler (task): is required"},
		{"ScriptWithoutInterpreter", []string{"j", "--every", "1m", "--script", small}, "--interpreter (task.interpreter): is required"},
		{"UnknownInterpreter", []string{"j", "--every", "1m", "--script", small, "--interpreter", "cobol"}, `--interpreter (task.interpreter): unknown interpreter "cobol"`},
		{"ScriptTooLarge", []string{"j", "--every", "1m", "--script", big, "--interpreter", "bash"}, "--script (task.script.size): 10485761 bytes is over the limit of 10485760"},
		{"URLNotHTTP", []string{"j", "--every", "1m", "--http-url", "ftp://x"}, "--http-url (task.http.url): "},
		{"BadMethod", []string{"j", "--every", "1m", "--http-url", "https://x", "--http-method", "GE T"}, "--http-method (task.http.method): "},
		{"NegativeHTTPTimeout", []string{"j", "--every", "1m", "--http-url", "https://x", "--http-timeout", "-1s"}, "--http-timeout (task.http.timeout): must be positive"},
		{"HandlerWithDot", []string{"j", "--every", "1m", "--handler", "a.b"}, "--handler (task.handler): "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var out, errb bytes.Buffer
			// Nothing listens on port 1: a check that went to the network
			// would fail with another exit code.
			args := append([]string{"jetcron", "--nats", "nats://127.0.0.1:1", "job", "create"}, tc.args...)
			code := Run(t.Context(), Deps{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader("")}, args)
			require.Equal(t, exitUsage, code, "stderr: %s", errb.String())
			require.Contains(t, errb.String(), "jetcron: invalid job: ")
			require.Contains(t, errb.String(), tc.want)
			require.Empty(t, out.String())
		})
	}
}

// TestApplyNamesTheFileField: `apply` names a field as the file writes
// it, never by a flag of `job create`.
func TestApplyNamesTheFileField(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "big.py"), bytes.Repeat([]byte("#"), 10<<20+1), 0o600))
	cases := []struct {
		name string
		yaml string
		want string
	}{
		{"Overlap", "{name: a, schedule: {every: 1h}, overlap: sometimes, task: {kind: command, command: [\"true\"]}}", "job a: overlap: unknown policy"},
		{"Every", "{name: a, schedule: {every: 10ms}, task: {kind: command, command: [\"true\"]}}", "job a: schedule.every: 10ms is shorter"},
		{"Command", "{name: a, schedule: {every: 1h}, task: {kind: command}}", "job a: task.command: must name a program"},
		{"ScriptFileTooLarge", "{name: a, schedule: {every: 1h}, task: {interpreter: python3, script_file: big.py}}", "job a: task.script_file: 10485761 bytes is over the limit of 10485760"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseJobsFile([]byte(tc.yaml), dir)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
			require.NotContains(t, err.Error(), "--")
		})
	}
}

// TestFieldTerms: a definition's field is named by its flag for `job
// create` and as written in a file for `apply`; a field without a flag
// keeps its own name.
func TestFieldTerms(t *testing.T) {
	t.Parallel()
	require.Equal(t, "--every (schedule.every): too short", flagTerms("schedule.every", "too short"))
	require.Equal(t, "disabled_reason: too long", flagTerms("disabled_reason", "too long"))
	require.Equal(t, "schedule.every: too short", fileTerms("schedule.every", "too short"))
}
