package job_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/job"
)

func TestParseConcurrencyKey(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]job.ConcurrencyKey{
		"backup":    {Key: "backup", Limit: 1},
		"backup:1":  {Key: "backup", Limit: 1},
		"wh_2:3":    {Key: "wh_2", Limit: 3},
		"a-b:10000": {Key: "a-b", Limit: 10000},
	} {
		got, err := job.ParseConcurrencyKey(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"", ":1", "backup:0", "backup:-2", "backup:x", "backup:", "back up", "a.b", "backup:10001", "k:1:2", strings.Repeat("k", 129)} {
		_, err := job.ParseConcurrencyKey(in)
		var fe *job.FieldError
		require.True(t, errors.As(err, &fe), "%q: %v", in, err)
		require.Equal(t, "concurrency_key", fe.Field, in)
		require.ErrorIs(t, err, job.ErrInvalid)
	}
}

func TestCheckpointSupersedes(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	cur := &job.Checkpoint{LastSuccessSlot: t0, Execution: "x-a", Attempt: 2}
	require.True(t, (&job.Checkpoint{LastSuccessSlot: t0.Add(time.Hour), Execution: "x-b", Attempt: 1}).Supersedes(cur), "a newer slot")
	require.False(t, (&job.Checkpoint{LastSuccessSlot: t0.Add(-time.Hour), Execution: "x-c", Attempt: 5}).Supersedes(cur), "an older slot finishing late")
	require.False(t, (&job.Checkpoint{LastSuccessSlot: t0, Execution: "x-a", Attempt: 1}).Supersedes(cur), "a stale attempt")
	require.True(t, (&job.Checkpoint{LastSuccessSlot: t0, Execution: "x-a", Attempt: 3}).Supersedes(cur), "a later attempt")
	require.True(t, (&job.Checkpoint{LastSuccessSlot: t0}).Supersedes(nil), "the first")
	require.ErrorContains(t, job.ValidateCheckpointValue(strings.Repeat("a", job.MaxCheckpointBytes+1)), "at most 65536")
	require.ErrorContains(t, job.ValidateCheckpointValue("a\x00b"), "NUL")
	require.NoError(t, job.ValidateCheckpointValue(`{"offset": 42}`))
}
