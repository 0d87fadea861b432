package apiservice

import (
	"context"
	"time"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/calendar"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/schedule"
)

// view builds the API's view of a job with its next five fire times.
func (s *Service) view(_ context.Context, spec job.Spec, rev uint64) api.JobView {
	return s.viewN(spec, rev, 5)
}

func (s *Service) viewN(spec job.Spec, rev uint64, n int) api.JobView {
	// Secrets are masked in every view; the worker gets the real values.
	v := api.JobView{Spec: spec.Redacted(), Revision: rev, Status: api.StatusActive, Describe: spec.Schedule.Describe()}
	if spec.Disabled {
		v.Status = api.StatusDisabled
		return v
	}
	if len(spec.SkipCalendars) > 0 {
		v.Next, v.NextSkipped = s.nextSlots(spec, n)
		return v
	}
	v.Next = nextTimes(spec.Schedule, s.cfg.Clock.Now(), n)
	return v
}

// nextTimes returns the next n fire times of a job's schedule after from,
// as RFC 3339 strings with the offset of the schedule's zone; none when the
// schedule does not compile.
func nextTimes(sc job.Schedule, from time.Time, n int) []string {
	compiled, err := sc.Compile()
	if err != nil {
		return nil
	}
	return schedule.NextTimes(compiled, sc.Location(), from, n)
}

// nextSlots returns the next n fire times of a job that names calendars,
// and the slots between them its calendars skip.
func (s *Service) nextSlots(spec job.Spec, n int) ([]string, []calendar.Slot) {
	compiled, err := spec.Schedule.Compile()
	if err != nil {
		return nil, nil
	}
	slots := calendar.Next(compiled, spec.Schedule.Location(), s.cfg.Clock.Now(), n, s.calendarSet(spec.SkipCalendars), spec.SkipCalendars)
	var skipped []calendar.Slot
	for _, sl := range slots {
		if sl.Skipped != "" {
			skipped = append(skipped, sl)
		}
	}
	return calendar.Runs(slots), skipped
}
