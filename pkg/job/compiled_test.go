package job_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/job"
)

func TestCompiledSharesOnlyWhatIsTheSame(t *testing.T) {
	t.Parallel()
	from := time.Date(2026, 12, 5, 10, 30, 0, 0, time.UTC)
	plain := job.Schedule{Cron: "0 9 * * *"}
	withItems := job.Schedule{Cron: "0 9 * * *", Schedules: []job.ScheduleItem{{Every: job.Duration(time.Hour)}}}
	zoned := job.Schedule{Cron: "0 9 * * *", TZ: "Europe/Paris"}
	start := from.Add(48 * time.Hour)
	bounded := job.Schedule{Cron: "0 9 * * *", Start: &start}

	var c job.Compiled
	for _, order := range [][]job.Schedule{{plain, withItems, zoned, bounded}, {withItems, bounded, zoned, plain}} {
		for _, s := range order {
			got, err := c.Compile(s)
			require.NoError(t, err)
			want, err := s.Compile()
			require.NoError(t, err)
			require.Equal(t, want.Next(from), got.Next(from), "%+v", s)
		}
	}

	a, err := c.Compile(plain)
	require.NoError(t, err)
	b, err := c.Compile(job.Schedule{Cron: "0 9 * * *"})
	require.NoError(t, err)
	require.Same(t, a, b, "the same spec and zone share one compiled schedule")
}
