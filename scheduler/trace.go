package scheduler

import (
	"go.opentelemetry.io/otel/attribute"

	"github.com/jetcron/jetcron/pkg/job"
)

// traceSlot records an execution's slot span (package tracing) once its
// work item is stored, when the scheduler exports traces: from the slot,
// or the time a run was requested for, until now.
func (r *leaderRun) traceSlot(w *job.Work) {
	t := r.s.cfg.Tracer
	if t == nil {
		return
	}
	t.Slot(w.ID, w.Job, string(w.Trigger), w.ParentID, w.ScheduledAt, r.now(),
		attribute.String("jetcron.queue", w.Spec.Queue),
		attribute.Int64("jetcron.revision", int64(w.Revision)),
		attribute.String("jetcron.scheduler", r.s.cfg.ID))
}
