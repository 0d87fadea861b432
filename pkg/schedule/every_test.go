package schedule_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/schedule"
)

func TestEveryNext(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name  string
		every schedule.Every
		from  string
		want  []string // RFC 3339 with nanoseconds, in UTC
	}{
		{
			name: "ZeroAnchorIsEpoch", every: schedule.Every{Interval: 5 * time.Minute}, from: "2026-01-01T10:02:30Z",
			want: []string{"2026-01-01T10:05:00Z", "2026-01-01T10:10:00Z"},
		},
		{
			name: "StrictlyAfterFireInstant", every: schedule.Every{Interval: 5 * time.Minute}, from: "2026-01-01T10:05:00Z",
			want: []string{"2026-01-01T10:10:00Z"},
		},
		{
			name: "OneNanosecondBefore", every: schedule.Every{Interval: 5 * time.Minute}, from: "2026-01-01T10:04:59.999999999Z",
			want: []string{"2026-01-01T10:05:00Z"},
		},
		{
			name: "Anchored", every: schedule.Every{Anchor: time.Date(2026, 1, 1, 0, 17, 0, 0, time.UTC), Interval: time.Hour}, from: "2026-03-01T12:00:00Z",
			want: []string{"2026-03-01T12:17:00Z", "2026-03-01T13:17:00Z"},
		},
		{
			name: "BeforeAnchor", every: schedule.Every{Anchor: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Interval: 90 * time.Minute}, from: "2025-12-31T21:00:00Z",
			want: []string{"2025-12-31T22:30:00Z", "2026-01-01T00:00:00Z", "2026-01-01T01:30:00Z"},
		},
		{
			name: "SubSecondAnchor", every: schedule.Every{Anchor: time.Date(2026, 1, 1, 0, 0, 0, 250_000_000, time.UTC), Interval: 2 * time.Second}, from: "2026-01-01T00:00:03Z",
			want: []string{"2026-01-01T00:00:04.25Z", "2026-01-01T00:00:06.25Z"},
		},
		{
			name: "SubSecondInterval", every: schedule.Every{Interval: 300 * time.Millisecond}, from: "2026-01-01T00:00:00Z",
			want: []string{"2026-01-01T00:00:00.3Z", "2026-01-01T00:00:00.6Z"},
		},
		{
			name: "IgnoresDST", every: schedule.Every{Interval: time.Hour}, from: "2026-11-01T05:30:00Z",
			want: []string{"2026-11-01T06:00:00Z", "2026-11-01T07:00:00Z"},
		},
		{
			name: "FarFromAnchor", every: schedule.Every{Interval: 7 * time.Second}, from: "2500-01-01T00:00:00Z",
			want: []string{"2500-01-01T00:00:01Z", "2500-01-01T00:00:08Z"}, // 16725225600 s since 1970 = 7*2389317942 + 6
		},
		{
			name: "FarBeforeAnchor", every: schedule.Every{Interval: 7 * time.Second}, from: "1500-01-01T00:00:00Z",
			want: []string{"1500-01-01T00:00:04Z"}, // -14831769600 s = 7*(-2118824229) + 3
		},
		{
			name: "LongInterval", every: schedule.Every{Interval: 200 * 365 * 24 * time.Hour}, from: "2026-01-01T00:00:00Z",
			want: []string{"2169-11-13T00:00:00Z"}, // 1970-01-01 + 73000 days
		},
		{name: "ZeroInterval", every: schedule.Every{}, from: "2026-01-01T00:00:00Z", want: nil},
		{name: "NegativeInterval", every: schedule.Every{Interval: -time.Second}, from: "2026-01-01T00:00:00Z", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			from := rfc(t, tt.from)
			var got []string
			for range max(len(tt.want), 1) {
				from = tt.every.Next(from)
				if from.IsZero() {
					break
				}
				got = append(got, from.UTC().Format(time.RFC3339Nano))
			}
			require.Equal(t, tt.want, got)
		})
	}
}

func TestEveryNextKeepsLocation(t *testing.T) {
	t.Parallel()

	berlin := loc(t, "Europe/Berlin")
	got := schedule.Every{Interval: time.Minute}.Next(time.Date(2026, 1, 1, 12, 0, 30, 0, berlin))
	require.Equal(t, "2026-01-01T12:01:00+01:00", got.Format(time.RFC3339))
}

func TestEveryDescribe(t *testing.T) {
	t.Parallel()

	tests := []struct {
		interval time.Duration
		want     string
	}{
		{interval: time.Second, want: "every second"},
		{interval: 2 * time.Second, want: "every 2 seconds"},
		{interval: 90 * time.Second, want: "every 1m30s"},
		{interval: time.Minute, want: "every minute"},
		{interval: 5 * time.Minute, want: "every 5 minutes"},
		{interval: time.Hour, want: "every hour"},
		{interval: 90 * time.Minute, want: "every 1h30m"},
		{interval: 24 * time.Hour, want: "every 24 hours"},
		{interval: time.Hour + time.Second, want: "every 1h0m1s"},
		{interval: 1500 * time.Millisecond, want: "every 1.5s"},
		{interval: 0, want: "never"},
		{interval: -time.Minute, want: "never"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, schedule.Every{Interval: tt.interval}.Describe())
		})
	}
}
