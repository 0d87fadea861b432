package watchdog

import (
	"testing"
	"time"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/scheduler/internal/jobdef"
)

// BenchmarkEvaluateHourlyJob is one job's share of a round: the watchdog
// evaluates every job each Interval, so its cost and garbage scale with
// the number of jobs (a million in one scheduler, docs/scaling.md).
func BenchmarkEvaluateHourlyJob(b *testing.B) {
	spec := &job.Spec{Name: "tick", Schedule: job.Schedule{Every: job.Duration(time.Hour)}, CreatedAt: t0, EnabledAt: t0}
	t := newTracker("tick")
	t.define(jobdef.Own(*spec, 1, t0))
	now := t0.Add(90 * time.Minute)
	w := window{since: now.Add(-DefaultWindow), now: now}
	b.ReportAllocs()
	for b.Loop() {
		t.evaluate(w)
	}
}
