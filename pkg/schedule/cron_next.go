package schedule

import (
	"cmp"
	"time"
)

// Next searches instants in [minNext, maxNext); outside it Next returns the
// zero Time.
var (
	minNext = time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC)
	maxNext = time.Date(9990, time.January, 1, 0, 0, 0, 0, time.UTC)
)

// maxSegments bounds the number of zone segments one Next call visits. Real
// zones change offset at most a few times a year, so the 5-year horizon is
// reached long before this; it only guards against a misbehaving zone.
const maxSegments = 1000

// Next returns the first fire instant strictly after t under jetcron's DST
// rule (see the package documentation), in the Cron's location. It returns
// the zero Time when nothing fires within 5 years after t, or when t is
// outside years 1 to 9989.
//
// Next walks the zone's constant-offset segments forward from t. In each
// segment it searches the matching wall-clock times field by field. On
// entering a segment, a fixed-time spec first fires at the segment's start
// if a matching wall time was lost in the spring-forward gap just before
// it, and skips the wall times that a fall-back repeats (they already
// fired, in the previous segment). A wildcard spec does neither.
func (c *Cron) Next(t time.Time) time.Time {
	if t.Before(minNext) || !t.Before(maxNext) {
		return time.Time{}
	}
	loc := cmp.Or(c.loc, time.UTC)                  // the zero Cron (which never fires) has none
	end := horizon(t).Truncate(time.Second)         // last instant searched
	cur := t.Truncate(time.Second).Add(time.Second) // first candidate instant
	for range maxSegments {
		seg := segmentAt(cur, loc)

		from := wallOf(cur, seg.offset)
		if c.fixed {
			if cur.Equal(seg.start) {
				if gapFrom, gapTo, ok := gapBefore(seg, loc); ok {
					if _, ok := c.nextWall(gapFrom, gapTo); ok {
						return cur.In(loc) // lost walls fire once, at the transition
					}
				}
			}
			if skip, ok := repeatEnd(seg, loc); ok && from.Before(skip) {
				from = skip // first occurrences fired in the previous segment
			}
		}
		limit := end.Add(time.Second)
		if !seg.end.IsZero() && seg.end.Before(limit) {
			limit = seg.end
		}
		if w, ok := c.nextWall(from, wallOf(limit, seg.offset)); ok {
			return instantOf(w, seg.offset).In(loc)
		}

		if seg.end.IsZero() || seg.end.After(end) || !seg.end.After(cur) {
			return time.Time{}
		}
		cur = seg.end
	}
	return time.Time{}
}
