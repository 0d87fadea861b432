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
	// Dropped and Added are the instants, up to the end of the shorter
	// horizon of the two lists, that fire only before, or only after.
	Dropped []string `json:"dropped,omitempty"`
	Added   []string `json:"added,omitempty"`
}

// CompareFires returns the next n fire times from now of before and after.
func CompareFires(before, after *job.Spec, now time.Time, n int) Fires {
	f := Fires{Before: nextFires(before, now, n), After: nextFires(after, now, n)}
	f.Changed = !slices.Equal(f.Before, f.After)
	if f.Changed {
		f.Dropped, f.Added = onlyIn(f.Before, f.After, n), onlyIn(f.After, f.Before, n)
	}
	return f
}

// onlyIn returns the instants of a that b lacks, up to the horizon both
// lists cover (a list shorter than the n asked for ends its schedule: its
// horizon is unbounded).
func onlyIn(a, b []string, n int) []string {
	parse := func(xs []string) []time.Time {
		out := make([]time.Time, 0, len(xs))
		for _, x := range xs {
			if t, err := time.Parse(time.RFC3339, x); err == nil {
				out = append(out, t)
			}
		}
		return out
	}
	ta, tb := parse(a), parse(b)
	horizon := func(ts []time.Time) time.Time {
		if len(ts) < n || len(ts) == 0 {
			return time.Unix(1<<62, 0)
		}
		return ts[len(ts)-1]
	}
	end := horizon(ta)
	if h := horizon(tb); h.Before(end) {
		end = h
	}
	var out []string
	for i, t := range ta {
		if t.After(end) {
			break
		}
		if !slices.ContainsFunc(tb, t.Equal) {
			out = append(out, a[i])
		}
	}
	return out
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
