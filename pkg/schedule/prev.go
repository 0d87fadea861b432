package schedule

import "time"

// maxPrevWalk bounds the fire instants Prev steps over.
const maxPrevWalk = 1_000_000

// Prev returns the last fire instant of s strictly before t, or the zero
// Time if there is none within HorizonYears before t. It looks back in
// doubling steps until a step holds a fire instant, then walks forward
// through that step with Next.
func Prev(s Schedule, t time.Time) time.Time {
	if s == nil {
		return time.Time{}
	}
	limit := t.AddDate(-HorizonYears, 0, 0)
	for d := time.Second; ; d *= 2 {
		from := t.Add(-d)
		if from.Before(limit) {
			from = limit
		}
		n := s.Next(from.Add(-time.Nanosecond)) // the first at or after from
		if !n.IsZero() && n.Before(t) {
			prev := n
			for range maxPrevWalk {
				next := s.Next(prev)
				if next.IsZero() || !next.Before(t) {
					break
				}
				prev = next
			}
			return prev
		}
		if !from.After(limit) {
			return time.Time{}
		}
	}
}
