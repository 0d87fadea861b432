package schedule

import (
	"math/rand/v2"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/stretchr/testify/require"
)

// TestSegmentAtContainsT checks segmentAt's invariants, including the last
// UTC day of leap years past the zones' transition tables, where Go's
// ZoneBounds reports bounds that do not contain t.
func TestSegmentAtContainsT(t *testing.T) {
	t.Parallel()

	zones := []string{"UTC", "Europe/Berlin", "America/New_York", "America/Santiago", "Australia/Lord_Howe", "Pacific/Chatham", "Africa/Casablanca"}
	for i, zone := range zones {
		t.Run(zone, func(t *testing.T) {
			t.Parallel()
			loc, err := LoadLocation(zone)
			require.NoError(t, err)

			instants := []time.Time{
				time.Date(2040, 12, 31, 0, 0, 0, 0, time.UTC),
				time.Date(2040, 12, 31, 12, 0, 0, 0, time.UTC),
				time.Date(2040, 12, 31, 23, 59, 59, 0, time.UTC),
				time.Date(2041, 1, 1, 0, 0, 0, 0, time.UTC),
				time.Date(2400, 12, 31, 6, 0, 0, 0, time.UTC),
			}
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			for range 2000 {
				instants = append(instants, time.Unix(rng.Int64N(253_000_000_000), 0))
			}
			for _, ts := range instants {
				seg := segmentAt(ts, loc)
				require.Equal(t, offsetAt(ts, loc), seg.offset, "at %s", ts)
				if !seg.start.IsZero() {
					require.False(t, seg.start.After(ts), "start %s after %s", seg.start, ts)
					require.Equal(t, seg.offset, offsetAt(seg.start, loc), "at %s", ts)
				}
				if !seg.end.IsZero() {
					require.True(t, seg.end.After(ts), "end %s not after %s", seg.end, ts)
					require.Equal(t, seg.offset, offsetAt(seg.end.Add(-time.Second), loc), "at %s", ts)
				}
			}
		})
	}
}

func TestProbeSegmentFindsTransitions(t *testing.T) {
	t.Parallel()

	ny, err := LoadLocation("America/New_York")
	require.NoError(t, err)
	ts := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC) // EST, 6 hours after fall-back
	seg := probeSegment(ts, ny, offsetAt(ts, ny))
	require.Equal(t, time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC), seg.start.UTC())
	require.Equal(t, ts.Add(probeSpan), seg.end) // no change within probeSpan

	ts = time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC) // EST, 7 hours before spring-forward
	seg = probeSegment(ts, ny, offsetAt(ts, ny))
	require.Equal(t, time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC), seg.end.UTC())
	require.Equal(t, ts.Add(-probeSpan), seg.start)
}
