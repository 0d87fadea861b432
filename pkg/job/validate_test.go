package job

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func validSpec() Spec {
	return Spec{
		Name:     "hello",
		Schedule: Schedule{Every: Duration(2 * time.Second)},
		Task:     Task{Kind: TaskCommand, Command: []string{"echo", "hello"}},
	}
}

func TestValidateNames(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"a", "hello", "Hello_World-1", strings.Repeat("x", 128)} {
		require.NoError(t, ValidateName(name), name)
	}
	bad := map[string]string{
		"":                       "empty",
		"a.b":                    `'.'`,
		"*":                      `'*'`,
		">":                      `'>'`,
		"a b":                    "a space",
		"$JS":                    `'$'`,
		"é":                      "non-ASCII",
		"a\tb":                   "control character",
		"a\x00b":                 "control character",
		"../x":                   `'.'`,
		"a/b":                    `'/'`,
		strings.Repeat("x", 129): "129 characters",
	}
	for name, want := range bad {
		err := ValidateName(name)
		require.Error(t, err, "%q", name)
		require.Contains(t, err.Error(), want, "%q", name)
	}
}

func TestValidateSpec(t *testing.T) {
	t.Parallel()
	past := time.Now().Add(-time.Hour)
	cases := []struct {
		name  string
		edit  func(*Spec)
		field string
	}{
		{"NameWithDot", func(s *Spec) { s.Name = "a.b" }, "name"},
		{"NameTooLong", func(s *Spec) { s.Name = strings.Repeat("n", 129) }, "name"},
		{"NoSchedule", func(s *Spec) { s.Schedule = Schedule{} }, "schedule"},
		{"TwoSchedules", func(s *Spec) { s.Schedule.Cron = "* * * * *" }, "schedule"},
		{"UnparseableCron", func(s *Spec) { s.Schedule = Schedule{Cron: "61 * * * *"} }, "schedule.cron"},
		{"CronNeverFires", func(s *Spec) { s.Schedule = Schedule{Cron: "0 0 30 2 *"} }, "schedule.cron"},
		{"EveryTooShort", func(s *Spec) { s.Schedule.Every = Duration(500 * time.Millisecond) }, "schedule.every"},
		{"EveryNegative", func(s *Spec) { s.Schedule.Every = Duration(-time.Second) }, "schedule.every"},
		{"UnknownZone", func(s *Spec) { s.Schedule = Schedule{Cron: "* * * * *", TZ: "Mars/Olympus"} }, "schedule.tz"},
		{"EndBeforeStart", func(s *Spec) {
			a, b := time.Now(), time.Now().Add(-time.Hour)
			s.Schedule.Start, s.Schedule.End = &a, &b
		}, "schedule.end"},
		{"NoTask", func(s *Spec) { s.Task = Task{} }, "task"},
		{"EmptyCommand", func(s *Spec) { s.Task.Command = nil }, "task.command"},
		{"UnknownInterpreter", func(s *Spec) {
			s.Task = Task{Kind: TaskScript, Interpreter: "cobol", Script: &ScriptRef{Key: ScriptKey(strings.Repeat("a", 64)), SHA256: strings.Repeat("a", 64)}}
		}, "task.interpreter"},
		{"ScriptWithoutRef", func(s *Spec) { s.Task = Task{Kind: TaskScript, Interpreter: "bash"} }, "task.script"},
		{"HTTPNotHTTP", func(s *Spec) { s.Task = Task{Kind: TaskHTTP, HTTP: &HTTPRequest{URL: "ftp://x"}} }, "task.http.url"},
		{"HeaderWithColon", func(s *Spec) {
			s.Task = Task{Kind: TaskHTTP, HTTP: &HTTPRequest{URL: "https://x", Headers: map[string]string{"a:b": "c"}}}
		}, "task.http.headers"},
		{"UnknownOverlap", func(s *Spec) { s.Overlap = "sometimes" }, "overlap"},
		{"UnknownCatchUpPolicy", func(s *Spec) { s.CatchUp.Policy = "most" }, "catchup.policy"},
		{"CatchUpTooLong", func(s *Spec) { s.CatchUp.Window = Duration(48 * time.Hour) }, "catchup.window"},
		{"NegativeRetries", func(s *Spec) { s.Retry.Retries = -1 }, "retry.retries"},
		{"BackoffMaxBelowInitial", func(s *Spec) { s.Retry.Backoff, s.Retry.BackoffMax = Duration(time.Minute), Duration(time.Second) }, "retry.backoff_max"},
		{"NegativeTimeout", func(s *Spec) { s.Timeout = Duration(-time.Second) }, "timeout"},
		{"NegativeCompletions", func(s *Spec) { s.Completions = -1 }, "completions"},
		{"JitterNotBelowInterval", func(s *Spec) { s.Jitter = Duration(2 * time.Second) }, "jitter"},
		{"BadQueue", func(s *Spec) { s.Queue = "a.b" }, "queue"},
		{"ReservedEnv", func(s *Spec) { s.Env = map[string]string{"JETCRON_JOB": "x"} }, "env"},
		{"BadEnvName", func(s *Spec) { s.Env = map[string]string{"1X": "x"} }, "env"},
		{"BadParam", func(s *Spec) { s.Params = map[string]string{"a b": "x"} }, "params"},
		{"BadExitCode", func(s *Spec) { s.Retry.OnExit = []int{0} }, "retry.on_exit"},
		{"RetriesOverMax", func(s *Spec) { s.Retry.Retries = MaxRetries + 1 }, "retry.retries"},
		{"NegativeBackoff", func(s *Spec) { s.Retry.Backoff = Duration(-time.Second) }, "retry.backoff"},
		{"NegativeKillGrace", func(s *Spec) { s.KillGrace = Duration(-time.Second) }, "kill_grace"},
		{"NegativeCatchUp", func(s *Spec) { s.CatchUp.Window = Duration(-time.Second) }, "catchup.window"},
		{"NegativeJitter", func(s *Spec) { s.Jitter = Duration(-time.Second) }, "jitter"},
		{"DescriptionTooLong", func(s *Spec) { s.Description = strings.Repeat("d", MaxDescriptionLen+1) }, "description"},
		{"DisabledReasonTooLong", func(s *Spec) { s.DisabledReason = strings.Repeat("d", MaxDescriptionLen+1) }, "disabled_reason"},
		{"BadLabelKey", func(s *Spec) { s.Labels = map[string]string{"-x": "y"} }, "labels"},
		{"EnvNotSecretRef", func(s *Spec) { s.Env = map[string]string{"X": "${secret:}"} }, "env"},
		{"TaskArgNUL", func(s *Spec) { s.Task.Args = []string{"\x00"} }, "task.args"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := validSpec()
			tc.edit(&s)
			err := s.Validate()
			require.Error(t, err)
			require.ErrorIs(t, err, ErrInvalid)
			var fe *FieldError
			require.True(t, errors.As(err, &fe), "%v", err)
			fields := []string{}
			for _, u := range unwrapAll(err) {
				var f *FieldError
				if errors.As(u, &f) {
					fields = append(fields, f.Field)
				}
			}
			require.Contains(t, fields, tc.field, "%v", err)
			require.NotContains(t, err.Error(), "--", "a definition's error speaks of fields, not flags")
		})
	}
	s := validSpec()
	require.NoError(t, s.Validate())
	s.Schedule = Schedule{At: &past}
	require.NoError(t, s.Validate(), "the past is only refused for new schedules")
	err := s.CheckFuture(time.Now())
	require.ErrorIs(t, err, ErrInvalid)
	require.Equal(t, []string{"schedule.at"}, fieldsOf(t, err))
	s.Schedule = Schedule{Every: Duration(time.Hour), End: &past}
	require.Equal(t, []string{"schedule.end"}, fieldsOf(t, s.CheckFuture(time.Now())))
}

func unwrapAll(err error) []error {
	if es, ok := err.(FieldErrors); ok {
		out := make([]error, len(es))
		for i := range es {
			out[i] = es[i]
		}
		return out
	}
	return []error{err}
}

func TestExecutionID(t *testing.T) {
	t.Parallel()
	slot := time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC)
	id := ExecutionID("my-job_1", slot)
	require.Equal(t, "my-job_1-20260308T073000Z", id)
	j, s, err := ParseExecutionID(id)
	require.NoError(t, err)
	require.Equal(t, "my-job_1", j)
	require.Equal(t, slot, s)

	adhoc := AdHocExecutionID("a-b", slot)
	require.NotEqual(t, adhoc, AdHocExecutionID("a-b", slot), "two runs in one second are two runs")
	j, _, err = ParseExecutionID(adhoc)
	require.NoError(t, err)
	require.Equal(t, "a-b", j)

	for _, bad := range []string{"", "nojob", "a-2026", "a.b-20260308T073000Z", "a-20260308T073000Z_", "a-20260308T073000Z_A", "a-20260308T073000Z_x.y"} {
		_, _, err := ParseExecutionID(bad)
		require.Error(t, err, bad)
	}
}

func TestScheduleBoundsAndDescribe(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(10 * time.Second)
	s := Schedule{Every: Duration(3 * time.Second), Start: &start, End: &end}
	c, err := s.Compile()
	require.NoError(t, err)
	var got []time.Time
	for t0 := start.Add(-time.Hour); ; {
		t0 = c.Next(t0)
		if t0.IsZero() {
			break
		}
		got = append(got, t0)
	}
	require.Equal(t, []time.Time{start, start.Add(3 * time.Second), start.Add(6 * time.Second), start.Add(9 * time.Second)}, got)
	require.NotEmpty(t, Schedule{Cron: "30 2 * * *", TZ: "Europe/Berlin"}.Describe())
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{"5m": 5 * time.Minute, "1h30m": 90 * time.Minute, "7d": 7 * 24 * time.Hour, "1d12h": 36 * time.Hour} {
		got, err := ParseDuration(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "x", "5", "1dd", "d"} {
		_, err := ParseDuration(bad)
		require.Error(t, err, bad)
	}
	require.Equal(t, "5m", Duration(5*time.Minute).String())
	require.Equal(t, "1h30m", Duration(90*time.Minute).String())
}

func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"a", "a.b", "*", ">", "a b", "\t", "\n", "\r", "\x00", "$JS.API", "_kv_x", "../x", `a\b`, "é", "", strings.Repeat("x", 10_000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidateName(s) != nil {
			return
		}
		// Anything accepted is a single subject token that is also a KV key
		// and a file name.
		require.NotEmpty(t, s)
		require.LessOrEqual(t, len(s), MaxNameLen)
		for _, r := range s {
			require.True(t, nameRune(r), "%q", s)
		}
		id := ExecutionID(s, time.Unix(0, 0))
		j, _, err := ParseExecutionID(id)
		require.NoError(t, err)
		require.Equal(t, s, j, "the execution ID round-trips the name")
	})
}

func FuzzScheduleValidate(f *testing.F) {
	for _, s := range []string{"* * * * *", "0 30 2 * * *", "@daily", "TZ=", "TZ=0", "TZ=TZ=TZ=", "CRON_TZ=UTC", "0 0 31 2 *", "*/0 * * * *", "@every 0s", "@every 1ns", "61 * * * *"} {
		f.Add(s, "UTC", int64(0))
	}
	f.Add("30 2 * * *", "America/New_York", int64(1))
	f.Fuzz(func(t *testing.T, cron, tz string, every int64) {
		s := validSpec()
		s.Schedule = Schedule{Cron: cron, TZ: tz}
		if every != 0 {
			s.Schedule = Schedule{Every: Duration(every), TZ: tz}
		}
		start := time.Now()
		err := s.Validate()
		if err != nil {
			require.ErrorIs(t, err, ErrInvalid)
			return
		}
		c, err := s.Schedule.Compile()
		require.NoError(t, err)
		from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		next := c.Next(from)
		require.True(t, next.IsZero() || next.After(from))
		require.Less(t, time.Since(start), 2*time.Second)
	})
}

func TestSlotAndAdHocIDsAreDisjoint(t *testing.T) {
	t.Parallel()
	slot := time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC)
	require.True(t, IsSlotID(ExecutionID("my_job-x", slot)))
	for _, id := range []string{AdHocExecutionID("my_job-x", slot), DerivedExecutionID("my_job-x", slot, "f0abc")} {
		require.False(t, IsSlotID(id), id)
		require.NoError(t, ValidateAdHocID(id, "my_job-x"))
	}
	require.ErrorContains(t, ValidateAdHocID(ExecutionID("a", slot), "a"), "scheduled slot")
	require.ErrorContains(t, ValidateAdHocID(AdHocExecutionID("b", slot), "a"), "not an id of job")
}

func TestDurationOverflowIsRefused(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"213504d", "106752d", "106751d24h", "9999999999h", "2562048h", "99999999999999999999s", "1d9223372036s"} {
		_, err := ParseDuration(s)
		require.ErrorContains(t, err, "out of range", s)
	}
	d, err := ParseDuration("106751d")
	require.NoError(t, err)
	require.Equal(t, 106751*24*time.Hour, d)
	_, err = ParseDuration("5x")
	require.ErrorContains(t, err, "invalid duration")
	var v Duration
	require.ErrorContains(t, v.UnmarshalJSON([]byte("1e300")), "out of range")
	require.ErrorContains(t, v.UnmarshalText([]byte("213504d")), "out of range")
	require.NoError(t, v.UnmarshalJSON([]byte("90")))
	require.Equal(t, 90*time.Second, v.D())
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	s := validSpec()
	n, err := s.Normalize()
	require.NoError(t, err)
	require.Equal(t, s.WithDefaults(), n)
	n2, err := n.Normalize()
	require.NoError(t, err)
	require.Equal(t, n, n2, "a stored definition is unchanged by the check at the next edge")

	s.Overlap = "sometimes"
	n, err = s.Normalize()
	require.ErrorIs(t, err, ErrInvalid)
	require.Equal(t, []string{"overlap"}, fieldsOf(t, err))
	require.Empty(t, n.Queue, "no defaults on an invalid definition")
}

// TestFieldErrorsMatchErrInvalid: one problem or several, wrapped or not,
// a definition's error is ErrInvalid and yields its *FieldError.
func TestFieldErrorsMatchErrInvalid(t *testing.T) {
	t.Parallel()
	one := validSpec()
	one.Overlap = "x"
	two := one
	two.Jitter = Duration(-time.Second)
	for _, s := range []Spec{one, two} {
		err := fmt.Errorf("work message carries an invalid definition: %w", s.Validate())
		require.ErrorIs(t, err, ErrInvalid)
		require.NotErrorIs(t, err, ErrNotFound)
		var fe *FieldError
		require.ErrorAs(t, err, &fe)
		require.Equal(t, "overlap", fe.Field)
	}
}
