package schedule

import "time"

// segment is a maximal run of instants [start, end) during which a zone
// keeps one UTC offset, as reported by time.Time.ZoneBounds. Within a
// segment, wall clock and instant map one to one: wall = instant + offset.
// A zero start or end means the segment is unbounded on that side.
type segment struct {
	start, end time.Time
	offset     int64 // seconds east of UTC
}

// segmentAt returns the segment of loc that contains instant t, which must
// be a whole second.
//
// It trusts time.Time.ZoneBounds only when the bounds contain t. Past the
// end of a zone's transition table, Go (as of 1.26) reports bounds ending
// at December 31 00:00 UTC in leap years, so for the last UTC day of, e.g.,
// 2040 the reported segment ends before t (golang/go#81583). Then the
// bounds are found by probing offsets instead.
func segmentAt(t time.Time, loc *time.Location) segment {
	lt := t.In(loc)
	_, off := lt.Zone()
	start, end := lt.ZoneBounds()
	if (start.IsZero() || !start.After(t)) && (end.IsZero() || end.After(t)) {
		return segment{end: end, offset: int64(off), start: start}
	}
	return probeSegment(t, loc, int64(off))
}

// Probing assumes that offset changes are more than probeStep apart, which
// holds for every zone in the IANA database.
const (
	probeStep = time.Hour
	probeSpan = 48 * time.Hour
)

// probeSegment finds the offset changes of loc within probeSpan of t by
// sampling every probeStep and bisecting to the second. Where there is no
// change within probeSpan, it uses t±probeSpan as bounds: a boundary with
// the same offset on both sides is harmless to Next.
func probeSegment(t time.Time, loc *time.Location, off int64) segment {
	seg := segment{end: t.Add(probeSpan), offset: off, start: t.Add(-probeSpan)}
	for p := t; p.Before(t.Add(probeSpan)); p = p.Add(probeStep) {
		if offsetAt(p.Add(probeStep), loc) != off {
			seg.end = bisect(p, p.Add(probeStep), loc, off)
			break
		}
	}
	for p := t; p.After(t.Add(-probeSpan)); p = p.Add(-probeStep) {
		if offsetAt(p.Add(-probeStep), loc) != off {
			seg.start = bisect(p.Add(-probeStep), p, loc, offsetAt(p.Add(-probeStep), loc))
			break
		}
	}
	return seg
}

// bisect returns the first instant in (lo, hi] whose offset differs from
// off, given that lo has offset off and hi does not.
func bisect(lo, hi time.Time, loc *time.Location, off int64) time.Time {
	for hi.Sub(lo) > time.Second {
		mid := lo.Add(hi.Sub(lo) / 2).Truncate(time.Second)
		if offsetAt(mid, loc) == off {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// offsetAt returns loc's UTC offset, in seconds, at instant t.
func offsetAt(t time.Time, loc *time.Location) int64 {
	_, off := t.In(loc).Zone()
	return int64(off)
}

// wallOf returns the wall clock of instant t in a zone at offset off, as a
// "naive" time: a UTC Time whose fields are the local fields. Naive times
// have no DST, so field arithmetic on them is exact.
func wallOf(t time.Time, off int64) time.Time {
	return time.Unix(t.Unix()+off, 0).UTC()
}

// instantOf is the inverse of wallOf: the instant at which a zone at offset
// off shows the naive wall clock w.
func instantOf(w time.Time, off int64) time.Time {
	return time.Unix(w.Unix()-off, 0)
}

// prevOffset returns the offset in force just before seg starts, and false
// when seg has no start (it reaches back to the beginning of time).
func prevOffset(seg segment, loc *time.Location) (int64, bool) {
	if seg.start.IsZero() {
		return 0, false
	}
	return offsetAt(seg.start.Add(-time.Second), loc), true
}

// repeatEnd returns, for a segment that starts with a fall-back transition
// (the offset decreased), the end of the repeated wall-clock interval
// [seg.start+offset, seg.start+previous offset). Walls before it have
// already occurred once, in the previous segment. ok is false when the
// segment does not start with a fall-back.
func repeatEnd(seg segment, loc *time.Location) (time.Time, bool) {
	prev, ok := prevOffset(seg, loc)
	if !ok || prev <= seg.offset {
		return time.Time{}, false
	}
	return wallOf(seg.start, prev), true
}

// gapBefore returns, for a segment that starts with a spring-forward
// transition (the offset increased), the missing wall-clock interval
// [from, to): wall times that never occur. ok is false otherwise.
func gapBefore(seg segment, loc *time.Location) (from, to time.Time, ok bool) {
	prev, ok := prevOffset(seg, loc)
	if !ok || prev >= seg.offset {
		return time.Time{}, time.Time{}, false
	}
	return wallOf(seg.start, prev), wallOf(seg.start, seg.offset), true
}
