package schedule_test

import (
	"testing"
	"time"
	_ "time/tzdata" // tests must pass on machines without zoneinfo

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/schedule"
)

// loc loads an IANA zone or fails the test.
func loc(t testing.TB, name string) *time.Location {
	t.Helper()
	l, err := schedule.LoadLocation(name)
	require.NoError(t, err)
	return l
}

// parse parses spec in zone or fails the test.
func parse(t testing.TB, spec, zone string) *schedule.Cron {
	t.Helper()
	c, err := schedule.ParseCron(spec, loc(t, zone))
	require.NoError(t, err)
	return c
}

// rfc parses an RFC 3339 timestamp or fails the test.
func rfc(t testing.TB, s string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, s)
	require.NoError(t, err)
	return ts
}

// firesN returns the first n fire instants after from, formatted in RFC 3339
// in the schedule's zone. A zero Next ends the list early.
func firesN(s schedule.Schedule, from time.Time, n int) []string {
	var out []string
	for range n {
		from = s.Next(from)
		if from.IsZero() {
			break
		}
		out = append(out, from.Format(time.RFC3339))
	}
	return out
}

// firesBetween returns every fire instant in (from, to].
func firesBetween(s schedule.Schedule, from, to time.Time) []time.Time {
	var out []time.Time
	for {
		from = s.Next(from)
		if from.IsZero() || from.After(to) {
			return out
		}
		out = append(out, from)
	}
}
