package schedule_test

import (
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/schedule"
)

var fuzzZoneNames = []string{
	"UTC", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "America/Santiago",
	"Asia/Tehran", "Asia/Kathmandu", "Pacific/Chatham", "America/Havana", "Asia/Beirut",
	"America/Scoresbysund", "Pacific/Apia",
}

// nextBudget is the failure threshold for one Next call. The contract is
// 10 ms; the fuzz targets allow 50 ms so that -race and a busy machine do
// not make them flaky.
const nextBudget = 50 * time.Millisecond

func FuzzParseCron(f *testing.F) {
	longList := make([]string, 0, 2000)
	for i := 0; len(strings.Join(longList, ",")) < 5000; i++ {
		longList = append(longList, strconv.Itoa(i%60))
	}
	seeds := []string{
		// robfig/cron v3 panics on these.
		"TZ=", "TZ=0", "TZ=TZ=TZ=", "CRON_TZ=UTC", "TZ=UTC", "CRON_TZ=",
		// Never or rarely fire.
		"0 0 31 2 *", "0 0 30 2 *", "0 0 31 4 *", "0 0 29 2 *", "59 59 23 31 12 *",
		// Invalid.
		"*/0 * * * *", "@every 0s", "@every 1ns", "@every", "@", "", " ", ",", "-", "/", "*/", "*-", "1-",
		"?", "? ? ? ? ?", "* * * * * * *", "99999999999999999999 * * * *", "-1 * * * *",
		strings.Join(longList, ",") + " * * * *",
		// Typical.
		"* * * * *", "* * * * * *", "*/15 * * * *", "30 2 * * *", "30 1 * * *", "0 9 * * 1-5",
		"0 0 13 * FRI", "0 0 1 JAN,JUL ?", "@yearly", "@monthly", "@weekly", "@daily", "@hourly",
		"0,15,30 2 * * *", "*/7 1-3 * * *", "0 0 1-31 * 1", "5-10/2 */3 * * *",
	}
	times := []int64{
		0, 1772953200, 1793512800, 1774746000, 1792890000, // 2026 DST transitions in New York and Berlin
		-62135596800, 253402300799, 1 << 40, -1 << 40, // year 1, year 9999, out of range
	}
	for i, s := range seeds {
		f.Add(s, uint8(i), times[i%len(times)])
	}
	// Last UTC day of a leap year past the zone tables, where Go's
	// ZoneBounds misreports the current segment (golang/go#81583).
	f.Add("0 12 31 12 *", uint8(2), int64(2240546400)) // Europe/Berlin, 2040-12-31T06:00Z
	f.Add("*/15 * * * *", uint8(4), int64(2240546400)) // America/Santiago

	zones := make([]*time.Location, len(fuzzZoneNames))
	for i, name := range fuzzZoneNames {
		zones[i] = loc(f, name)
	}

	f.Fuzz(func(t *testing.T, spec string, zone uint8, unix int64) {
		l := zones[int(zone)%len(zones)]
		c, err := schedule.ParseCron(spec, l)
		if err != nil {
			var pe *schedule.ParseError
			require.ErrorAs(t, err, &pe)
			require.Nil(t, c)
			require.NotEmpty(t, pe.Field)
			require.NotEmpty(t, pe.Msg)
			return
		}
		require.NotEmpty(t, c.Describe())
		again, err := schedule.ParseCron(c.String(), l)
		require.NoError(t, err)
		require.Equal(t, c.String(), again.String())

		from := time.Unix(unix, 0).UTC()
		start := time.Now()
		next := c.Next(from)
		elapsed := time.Since(start)
		require.Less(t, elapsed, nextBudget, "Next(%s) of %q in %s", from, spec, l)
		if next.IsZero() {
			return
		}
		require.True(t, next.After(from), "Next(%s) = %s", from, next)
		require.Equal(t, l, next.Location())
		require.True(t, next.Equal(c.Next(next.Add(-time.Nanosecond))), "Next is not consistent at %s", next)
	})
}

// minUnix and maxUnix bound the instants FuzzEveryNext uses: years 1 to 9999.
const (
	minUnix = -62135596800
	maxUnix = 253402300799
)

// fuzzInstant maps arbitrary integers onto an instant in years 1 to 9999.
func fuzzInstant(sec, nsec int64) time.Time {
	span := int64(maxUnix - minUnix)
	s := minUnix + (sec%span+span)%span
	ns := (nsec%1e9 + 1e9) % 1e9
	return time.Unix(s, ns).UTC()
}

// nanos returns t as nanoseconds since the Unix epoch, exactly.
func nanos(t time.Time) *big.Int {
	n := new(big.Int).Mul(big.NewInt(t.Unix()), big.NewInt(1e9))
	return n.Add(n, big.NewInt(int64(t.Nanosecond())))
}

func FuzzEveryNext(f *testing.F) {
	f.Add(int64(time.Minute), int64(0), int64(0), int64(1772953200), int64(0))
	f.Add(int64(5*time.Minute), int64(1767225600), int64(250_000_000), int64(1767225599), int64(999_999_999))
	f.Add(int64(1), int64(0), int64(0), int64(0), int64(0))
	f.Add(int64(0), int64(0), int64(0), int64(0), int64(0))
	f.Add(int64(-1), int64(0), int64(0), int64(0), int64(0))
	f.Add(int64(1<<63-1), int64(minUnix), int64(0), int64(maxUnix), int64(0))
	f.Add(int64(7*time.Second), int64(0), int64(0), int64(16725225600), int64(0))
	f.Add(int64(3*time.Hour), int64(maxUnix), int64(0), int64(minUnix), int64(1))

	f.Fuzz(func(t *testing.T, interval, anchorSec, anchorNsec, fromSec, fromNsec int64) {
		e := schedule.Every{Anchor: fuzzInstant(anchorSec, anchorNsec), Interval: time.Duration(interval)}
		from := fuzzInstant(fromSec, fromNsec)
		next := e.Next(from)
		if interval <= 0 {
			require.True(t, next.IsZero())
			return
		}
		require.False(t, next.IsZero())
		require.True(t, next.After(from), "Next(%s) = %s", from, next)

		anchor := e.Anchor
		if anchor.IsZero() {
			anchor = time.Unix(0, 0)
		}
		iv := big.NewInt(interval)
		sinceAnchor := new(big.Int).Sub(nanos(next), nanos(anchor))
		require.Zero(t, new(big.Int).Mod(sinceAnchor, iv).Sign(), "%s is not on the grid", next)
		gap := new(big.Int).Sub(nanos(next), nanos(from))
		require.LessOrEqual(t, gap.Cmp(iv), 0, "Next(%s) = %s skips a fire instant", from, next)
	})
}
