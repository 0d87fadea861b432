package schedule_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// propertyZones mixes 1-hour and 30-minute shifts, transitions at midnight,
// negative DST (Dublin), odd offsets (Kathmandu, Chatham), zones that
// dropped or changed DST during 2020-2030 (Tehran, Apia, Scoresbysund) and
// zones without DST.
var propertyZones = []string{
	"UTC",
	"America/New_York",
	"America/St_Johns",
	"America/Santiago",
	"America/Havana",
	"America/Asuncion",
	"America/Scoresbysund",
	"Europe/Berlin",
	"Europe/Dublin",
	"Africa/Casablanca",
	"Africa/Cairo",
	"Asia/Beirut",
	"Asia/Tehran",
	"Asia/Kathmandu",
	"Asia/Kolkata",
	"Australia/Lord_Howe",
	"Australia/Sydney",
	"Antarctica/Troll",
	"Pacific/Chatham",
	"Pacific/Apia",
}

var (
	propertyFrom = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	propertyTo   = time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)
)

// TestCronNextMatchesReference compares Next with the literal oracle in
// reference_test.go around every offset change in 2020-2030.
func TestCronNextMatchesReference(t *testing.T) {
	t.Parallel()

	specs := []string{
		"30 2 * * *", "30 1 * * *", "0 0 * * *", "30 23 * * *", "0,15,30 2 * * *", "0 2,3 * * *",
		"*/15 * * * *", "0 * * * *", "*/7 0-3,22-23 * * *", "0 9 * * 1-5", "45 0-2 * * *",
	}
	for _, zone := range propertyZones {
		t.Run(zone, func(t *testing.T) {
			t.Parallel()
			l := loc(t, zone)
			trs := transitionsBetween(l, propertyFrom, propertyTo)
			windows := [][2]time.Time{{propertyFrom, propertyFrom.Add(48 * time.Hour)}} // for zones without DST
			for _, tr := range trs {
				windows = append(windows, [2]time.Time{tr.at.Add(-26 * time.Hour), tr.at.Add(26 * time.Hour)})
			}
			for _, spec := range specs {
				c := parse(t, spec, zone)
				for _, w := range windows {
					want := formatAll(referenceFires(t, spec, c.FixedTime(), l, w[0], w[1]), l)
					got := formatAll(firesBetween(c, w[0], w[1]), l)
					require.Equal(t, want, got, "%s in %s from %s", spec, zone, w[0])
				}
			}
			// A seconds spec, in a narrower window.
			c := parse(t, "*/20 */10 * * * *", zone)
			for _, tr := range trs {
				from, to := tr.at.Add(-2*time.Hour), tr.at.Add(2*time.Hour)
				want := formatAll(referenceFires(t, c.String(), c.FixedTime(), l, from, to), l)
				require.Equal(t, want, formatAll(firesBetween(c, from, to), l), "%s in %s", c, zone)
			}
		})
	}
}

// TestCronNextDailyOncePerLocalDay checks that fixed-time daily specs fire
// exactly once on every local calendar day of 2020-2030 in every zone, and
// that Next is strictly increasing. A fire at a spring-forward transition
// counts for the day on which the gap starts: in America/Scoresbysund,
// 2025-03-29 23:00 jumps to 03-30 00:00, so "30 23 * * *" fires for
// 03-29 at 03-30T00:00-01:00.
func TestCronNextDailyOncePerLocalDay(t *testing.T) {
	t.Parallel()

	specs := []struct {
		spec         string
		hour, minute int
	}{
		{spec: "30 2 * * *", hour: 2, minute: 30},
		{spec: "0 0 * * *", hour: 0, minute: 0},
		{spec: "30 23 * * *", hour: 23, minute: 30},
		{spec: "15 1 * * *", hour: 1, minute: 15},
	}
	for _, zone := range propertyZones {
		for _, sp := range specs {
			t.Run(zone+"/"+sp.spec, func(t *testing.T) {
				t.Parallel()
				c := parse(t, sp.spec, zone)
				l := c.Location()
				from := time.Date(2020, 1, 1, 12, 0, 0, 0, l)
				to := time.Date(2030, 12, 31, 12, 0, 0, 0, l)

				// day returns the local day a fire counts for.
				day := func(n time.Time) string {
					if n.Hour() == sp.hour && n.Minute() == sp.minute {
						return n.Format(time.DateOnly)
					}
					_, before := n.Add(-time.Second).Zone()
					_, after := n.Zone()
					require.Greater(t, after, before, "%s fires at %s, which is not a spring-forward transition", sp.spec, n)
					return n.In(time.FixedZone("", before)).Format(time.DateOnly) // where the gap starts
				}
				spec := sp.spec

				prev := c.Next(from)
				require.False(t, prev.IsZero())
				for n := c.Next(prev); n.Before(to); n = c.Next(n) {
					require.True(t, n.After(prev), "%s in %s: Next(%s) = %s", spec, zone, prev, n)
					pd, err := time.Parse(time.DateOnly, day(prev))
					require.NoError(t, err)
					require.Equal(t, pd.AddDate(0, 0, 1).Format(time.DateOnly), day(n),
						"%s in %s after %s", spec, zone, prev.Format(time.RFC3339))
					prev = n
				}
			})
		}
	}
}

// TestCronNextConsistent checks, from random instants, that Next is
// strictly after t, that Next(Next(t)-1ns) == Next(t), and that every
// instant in [t, Next(t)) has the same Next.
func TestCronNextConsistent(t *testing.T) {
	t.Parallel()

	specs := []string{
		"30 2 * * *", "30 1 * * *", "*/15 * * * *", "0 */2 * * *", "0 9 * * 1-5", "0 0 29 2 *",
		"0 0 13 * FRI", "*/20 * 1-3 * * *", "@weekly", "59 59 23 31 12 *",
	}
	span := propertyTo.Sub(propertyFrom)
	for i, zone := range propertyZones {
		t.Run(zone, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(uint64(i), 42))
			for _, spec := range specs {
				c := parse(t, spec, zone)
				for range 200 {
					from := propertyFrom.Add(time.Duration(rng.Int64N(int64(span))))
					n := c.Next(from)
					require.False(t, n.IsZero(), "%s in %s from %s", spec, zone, from)
					require.True(t, n.After(from))
					require.True(t, n.Equal(c.Next(n.Add(-time.Nanosecond))), "%s in %s at %s", spec, zone, n)
					mid := from.Add(time.Duration(rng.Int64N(int64(n.Sub(from)))))
					require.True(t, n.Equal(c.Next(mid)), "%s in %s from %s and %s", spec, zone, from, mid)
				}
			}
		})
	}
}
