package history

import (
	"slices"
	"time"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/schedule"
)

// PreviewFires is how many fire times a preview compares.
const PreviewFires = 10

// Fires compares the next fire times of a definition before and after a
// change, each as RFC 3339 in the schedule's zone. A disabled job, or a
// missing one, fires never.
type Fires struct {
	Before []string `json:"before"`
	After  []string `json:"after"`
	// Changed reports whether the lists differ.
	Changed bool `json:"changed"`
}

// CompareFires returns the next n fire times from now of before and after.
func CompareFires(before, after *job.Spec, now time.Time, n int) Fires {
	f := Fires{Before: nextFires(before, now, n), After: nextFires(after, now, n)}
	f.Changed = !slices.Equal(f.Before, f.After)
	return f
}

func nextFires(s *job.Spec, now time.Time, n int) []string {
	if s == nil || s.Disabled {
		return []string{}
	}
	c, err := s.Schedule.Compile()
	if err != nil {
		return []string{}
	}
	out := schedule.NextTimes(c, s.Schedule.Location(), now, n)
	if out == nil {
		return []string{}
	}
	return out
}
