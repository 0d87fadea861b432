package apiservice

import (
	"context"
	"time"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
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
	v.Next = NextTimes(spec.Schedule, s.cfg.Clock.Now(), n)
	return v
}

// NextTimes returns the next n fire times of a schedule after from, as
// RFC 3339 strings with the offset of the schedule's zone.
func NextTimes(sc job.Schedule, from time.Time, n int) []string {
	compiled, err := sc.Compile()
	if err != nil {
		return nil
	}
	loc := sc.Location()
	var out []string
	t := from
	for range n {
		t = compiled.Next(t)
		if t.IsZero() {
			break
		}
		out = append(out, t.In(loc).Format(time.RFC3339))
	}
	return out
}
