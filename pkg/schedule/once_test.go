package schedule_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/schedule"
)

func TestOnce(t *testing.T) {
	t.Parallel()

	at := time.Date(2026, 3, 8, 3, 0, 0, 0, time.UTC)
	o := schedule.Once{At: at}

	tests := []struct {
		name string
		from time.Time
		want time.Time
	}{
		{name: "Before", from: at.Add(-time.Hour), want: at},
		{name: "JustBefore", from: at.Add(-time.Nanosecond), want: at},
		{name: "At", from: at, want: time.Time{}},
		{name: "After", from: at.Add(time.Hour), want: time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, o.Next(tt.from))
		})
	}

	t.Run("Describe", func(t *testing.T) {
		t.Parallel()
		require.Equal(t, "once at 2026-03-08T03:00:00Z", o.Describe())
		tokyo := loc(t, "Asia/Tokyo")
		require.Equal(t, "once at 2026-03-08T12:00:00+09:00", schedule.Once{At: at.In(tokyo)}.Describe())
		require.Equal(t, "never", schedule.Once{}.Describe())
	})
}
