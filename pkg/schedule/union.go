package schedule

import "time"

// Union fires at every instant of any of its schedules. Instants that two
// or more schedules share are one fire instant: Next returns each instant
// once, so a job with several specs gets one slot per instant.
type Union []Schedule

// Next returns the earliest of the schedules' next instants strictly after
// t, or the zero Time when none fires again.
func (u Union) Next(t time.Time) time.Time {
	var best time.Time
	for _, s := range u {
		n := s.Next(t)
		if n.IsZero() {
			continue
		}
		if best.IsZero() || n.Before(best) {
			best = n
		}
	}
	return best
}

var _ Schedule = Union{}
