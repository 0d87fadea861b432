package schedule_test

import (
	"slices"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/stretchr/testify/require"
)

// This file holds a slow, literal implementation of the DST rule, used as
// an oracle. It shares only robfig's field parser with the package: field
// matching, the zone walk and the rule itself are written independently,
// by enumerating every wall-clock time in a window.

// transition is one change of UTC offset.
type transition struct {
	at            time.Time
	before, after int64 // offsets in seconds east of UTC
}

// transitionsBetween lists loc's offset changes in [from, to].
func transitionsBetween(loc *time.Location, from, to time.Time) []transition {
	var out []transition
	for cur := from; ; {
		_, end := cur.In(loc).ZoneBounds()
		if end.IsZero() || end.After(to) {
			return out
		}
		_, before := end.Add(-time.Second).In(loc).Zone()
		_, after := end.In(loc).Zone()
		if before != after {
			out = append(out, transition{after: int64(after), at: end, before: int64(before)})
		}
		cur = end
	}
}

// refMatches reports whether naive wall clock w matches the masks.
func refMatches(s *cron.SpecSchedule, w time.Time) bool {
	const star = 1 << 63
	bit := func(mask uint64, v int) bool { return mask&(1<<uint(v)) != 0 }
	if !bit(s.Second, w.Second()) || !bit(s.Minute, w.Minute()) || !bit(s.Hour, w.Hour()) || !bit(s.Month, int(w.Month())) {
		return false
	}
	dom, dow := bit(s.Dom, w.Day()), bit(s.Dow, int(w.Weekday()))
	if s.Dom&star != 0 || s.Dow&star != 0 {
		return dom && dow
	}
	return dom || dow
}

// referenceFires returns every fire instant in (from, to] of spec in loc,
// by the rule in doc.go applied to each wall-clock time one by one.
func referenceFires(t testing.TB, spec string, fixed bool, loc *time.Location, from, to time.Time) []time.Time {
	t.Helper()
	p := cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	sched, err := p.Parse(spec)
	require.NoError(t, err)
	masks, ok := sched.(*cron.SpecSchedule)
	require.True(t, ok)

	step := time.Second
	if masks.Second == 1 { // only second 0
		step = time.Minute
	}
	const pad = 26 * time.Hour // covers every UTC offset
	trs := transitionsBetween(loc, from.Add(-2*pad), to.Add(2*pad))
	offsets := map[int64]bool{}
	_, off := from.In(loc).Zone()
	offsets[int64(off)] = true
	for _, tr := range trs {
		offsets[tr.before], offsets[tr.after] = true, true
	}

	set := map[int64]bool{}
	wallStart := time.Unix(from.Unix(), 0).UTC().Add(-pad).Truncate(step)
	wallEnd := time.Unix(to.Unix(), 0).UTC().Add(pad)
	for w := wallStart; w.Before(wallEnd); w = w.Add(step) {
		if !refMatches(masks, w) {
			continue
		}
		var instants []int64
		for o := range offsets {
			i := w.Unix() - o
			if _, got := time.Unix(i, 0).In(loc).Zone(); int64(got) == o {
				instants = append(instants, i)
			}
		}
		slices.Sort(instants)
		switch {
		case len(instants) == 0 && fixed: // lost in a gap: fire at the transition
			for _, tr := range trs {
				if tr.after > tr.before && w.Unix() >= tr.at.Unix()+tr.before && w.Unix() < tr.at.Unix()+tr.after {
					set[tr.at.Unix()] = true
					break
				}
			}
		case len(instants) > 1 && fixed: // repeated: first occurrence only
			set[instants[0]] = true
		default:
			for _, i := range instants {
				set[i] = true
			}
		}
	}

	var out []time.Time
	for i := range set {
		if ts := time.Unix(i, 0); ts.After(from) && !ts.After(to) {
			out = append(out, ts)
		}
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

// formatAll formats instants as RFC 3339 in loc, for readable diffs.
func formatAll(ts []time.Time, loc *time.Location) []string {
	out := make([]string, len(ts))
	for i, ts := range ts {
		out[i] = ts.In(loc).Format(time.RFC3339)
	}
	return out
}

func TestReferenceOracle(t *testing.T) {
	t.Parallel()

	// The oracle itself must agree with the hand-written DST table.
	ny := loc(t, "America/New_York")
	got := referenceFires(t, "*/15 * * * *", false, ny, rfc(t, "2026-11-01T00:45:00-04:00"), rfc(t, "2026-11-01T02:00:00-05:00"))
	require.Equal(t, []string{
		"2026-11-01T01:00:00-04:00", "2026-11-01T01:15:00-04:00", "2026-11-01T01:30:00-04:00", "2026-11-01T01:45:00-04:00",
		"2026-11-01T01:00:00-05:00", "2026-11-01T01:15:00-05:00", "2026-11-01T01:30:00-05:00", "2026-11-01T01:45:00-05:00",
		"2026-11-01T02:00:00-05:00",
	}, formatAll(got, ny))

	got = referenceFires(t, "30 2 * * *", true, ny, rfc(t, "2026-03-07T12:00:00-05:00"), rfc(t, "2026-03-09T12:00:00-04:00"))
	require.Equal(t, []string{"2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"}, formatAll(got, ny))
}
