package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestBadInput: every bad input gets a clear message naming the field, a
// non-zero exit, and changes nothing.
func TestBadInput(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	s.ok("job", "create", "exists", "--every", "1h", "--", "true")
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	dir := t.TempDir()
	script := filepath.Join(dir, "s.py")
	require.NoError(t, os.WriteFile(script, []byte("print(1)\n"), 0o600))

	cases := []struct {
		name    string
		args    []string
		code    int
		mention []string
		job     string // must not exist afterwards
	}{
		{"NameWithDot", []string{"job", "create", "a.b", "--every", "1m", "--", "true"}, 2, []string{"NAME", "'.'"}, ""},
		{"NameWithStar", []string{"job", "create", "a*", "--every", "1m", "--", "true"}, 2, []string{"NAME", "'*'"}, ""},
		{"NameWithGreater", []string{"job", "create", "a>", "--every", "1m", "--", "true"}, 2, []string{"NAME", "'>'"}, ""},
		{"NameWithSpace", []string{"job", "create", "a b", "--every", "1m", "--", "true"}, 2, []string{"NAME", "space"}, ""},
		{"NameWithDollar", []string{"job", "create", "$JS", "--every", "1m", "--", "true"}, 2, []string{"NAME", "'$'"}, ""},
		{"NameNonASCII", []string{"job", "create", "héllo", "--every", "1m", "--", "true"}, 2, []string{"NAME", "non-ASCII"}, ""},
		{"NameTooLong", []string{"job", "create", strings.Repeat("x", 129), "--every", "1m", "--", "true"}, 2, []string{"NAME", "129"}, ""},
		{"UnparseableCron", []string{"job", "create", "c1", "--cron", "61 * * * *", "--", "true"}, 2, []string{"--cron", "minute"}, "c1"},
		{"CronNeverFires", []string{"job", "create", "c2", "--cron", "0 0 30 2 *", "--", "true"}, 2, []string{"--cron", "never fires"}, "c2"},
		{"EveryTooShort", []string{"job", "create", "e1", "--every", "500ms", "--", "true"}, 2, []string{"--every", "1s"}, "e1"},
		{"EveryZero", []string{"job", "create", "e2", "--every", "0s", "--", "true"}, 2, []string{"--every"}, "e2"},
		{"UnknownZone", []string{"job", "create", "z1", "--cron", "* * * * *", "--tz", "Mars/Olympus", "--", "true"}, 2, []string{"--tz", "Mars/Olympus"}, "z1"},
		{"AtInThePast", []string{"job", "create", "a1", "--at", past, "--", "true"}, 2, []string{"--at", "past"}, "a1"},
		{"UnknownInterpreter", []string{"job", "create", "i1", "--every", "1m", "--script", script, "--interpreter", "cobol"}, 2, []string{"--interpreter", "cobol"}, "i1"},
		{"MissingScript", []string{"job", "create", "m1", "--every", "1m", "--script", filepath.Join(dir, "nope.py"), "--interpreter", "python3"}, 2, []string{"--script", "nope.py"}, "m1"},
		{"NoTask", []string{"job", "create", "t1", "--every", "1m"}, 2, []string{"task"}, "t1"},
		{"NoSchedule", []string{"job", "create", "t2", "--", "true"}, 2, []string{"schedule"}, "t2"},
		{"ExistsWithoutUpdate", []string{"job", "create", "exists", "--every", "1m", "--", "false"}, 4, []string{"exists", "--update"}, ""},
		{"DisableMissing", []string{"job", "disable", "ghost"}, 3, []string{"ghost", "not found"}, ""},
		{"RunMissing", []string{"job", "run", "ghost"}, 3, []string{"ghost", "not found"}, ""},
		{"BadParam", []string{"job", "create", "p1", "--every", "1m", "--param", "novalue", "--", "true"}, 2, []string{"--param", "K=V"}, "p1"},
		{"BadOutput", []string{"job", "list", "-o", "yaml"}, 2, []string{"-o"}, ""},
		{"NegativeLimit", []string{"job", "list", "--limit", "-1"}, 2, []string{"--limit"}, ""},
		{"BadAfter", []string{"job", "list", "--after", "a b"}, 2, []string{"after"}, ""},
		{"BadExecID", []string{"exec", "get", "not an id"}, 2, []string{"execution id"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := s.cli(tc.args...)
			require.Equal(t, tc.code, r.code, "stderr: %s", r.err)
			for _, m := range tc.mention {
				require.Contains(t, r.err, m)
			}
			require.True(t, strings.HasPrefix(r.err, "jetcron: "), r.err)
			require.Empty(t, r.out)
			if tc.job != "" {
				require.Equal(t, 3, s.cli("job", "get", tc.job).code, "nothing was created")
			}
		})
	}
	// The existing job was not changed by the refused create.
	require.Contains(t, s.ok("job", "get", "exists"), "true")
}
