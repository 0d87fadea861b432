package worker

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/tracing"
)

// traceHeader is the W3C header the scheduler sets on a work item when it
// exports traces.
const traceHeader = "traceparent"

// startTrace starts the attempt's span under the work item's traceparent —
// when it belongs to this execution's trace — or the slot's derived
// context, and records the claim (received → claimed) as its first child.
// The span context, and so the run's TRACEPARENT, is the same whether the
// worker exports traces or not (package tracing).
func (x *execution) startTrace(claimed time.Time) {
	w := x.w
	parent := tracing.SlotContext(w.names.Namespace(), x.work.ID)
	if sc, ok := tracing.ParseTraceparent(x.msg.Headers().Get(traceHeader)); ok && sc.TraceID() == parent.TraceID() {
		parent = sc
	}
	x.traceCtx, x.span = w.cfg.Tracer.StartAttempt(context.Background(), parent, x.work.ID, x.work.Job, x.attempt, x.received,
		attribute.String("jetcron.worker", w.cfg.ID),
		attribute.Int("jetcron.delivery", x.delivery),
		attribute.String("jetcron.queue", x.work.Spec.Queue),
		attribute.String("jetcron.task", string(x.work.Spec.Task.Kind)))
	x.traceparent = tracing.Traceparent(trace.SpanContextFromContext(x.traceCtx))
	w.cfg.Tracer.Span(x.traceCtx, "jetcron.claim", x.received, claimed)
}

// endTrace records the run (started → ended) and the recording of its
// result (ended → now) and ends the attempt's span with the outcome.
func (x *execution) endTrace(o outcome, ended time.Time) {
	if x.span == nil {
		return
	}
	w := x.w
	now := w.cfg.Clock.Now()
	state := string(o.state)
	switch {
	case o.superseded:
		state = "superseded"
	case state == "":
		state = "interrupted"
	}
	attrs := []attribute.KeyValue{attribute.String("jetcron.state", state)}
	if o.exitCode != nil {
		attrs = append(attrs, attribute.Int("jetcron.exit_code", *o.exitCode))
	}
	w.cfg.Tracer.Span(x.traceCtx, "jetcron.run", x.startedAt, ended, attrs...)
	w.cfg.Tracer.Span(x.traceCtx, "jetcron.record", ended, now)
	x.span.SetAttributes(attrs...)
	if o.state != job.StateSucceeded && o.state != "" {
		x.span.SetStatus(codes.Error, o.err)
	}
	x.span.End(trace.WithTimestamp(now))
}

// traceFollowUps notes on the attempt's span the follow-up runs it
// requested (each is a trace of its own, linked back to this one).
func (x *execution) traceFollowUps(ids []string) {
	if x.span != nil && len(ids) > 0 {
		x.span.AddEvent("jetcron.followups", trace.WithAttributes(attribute.StringSlice("jetcron.execution_ids", ids)))
	}
}
