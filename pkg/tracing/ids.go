package tracing

import (
	"crypto/sha256"
	"strconv"

	"go.opentelemetry.io/otel/trace"
)

// TraceID is the trace of execution exec in namespace ns.
func TraceID(ns, exec string) trace.TraceID {
	sum := sha256.Sum256([]byte("jetcron\x00" + ns + "\x00" + exec))
	var id trace.TraceID
	copy(id[:], sum[:])
	return id
}

// spanID derives the ID of one span of an execution from a scope (the
// namespace, or the trace).
func spanID(ns, exec, part string) trace.SpanID {
	sum := sha256.Sum256([]byte("jetcron\x00" + ns + "\x00" + exec + "\x00" + part))
	var id trace.SpanID
	copy(id[:], sum[:])
	return id
}

// SlotSpanID is the span of an execution's slot: the root of its trace.
func SlotSpanID(ns, exec string) trace.SpanID { return spanID(ns, exec, "slot") }

// AttemptSpanID is the span of one attempt of an execution in trace tid.
func AttemptSpanID(tid trace.TraceID, exec string, attempt int) trace.SpanID {
	return spanID(tid.String(), exec, "attempt-"+strconv.Itoa(attempt))
}

// SlotContext is the span context of an execution's slot, as a remote
// parent: what an attempt hangs under when the work item carries no
// traceparent.
func SlotContext(ns, exec string) trace.SpanContext {
	return trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    TraceID(ns, exec),
		SpanID:     SlotSpanID(ns, exec),
		TraceFlags: trace.FlagsSampled,
		Remote:     true,
	})
}

// Traceparent formats a span context as a W3C traceparent header value.
func Traceparent(sc trace.SpanContext) string {
	return "00-" + sc.TraceID().String() + "-" + sc.SpanID().String() + "-" + sc.TraceFlags().String()
}

// ParseTraceparent reads a W3C traceparent header value (version 00); ok is
// false for anything else.
func ParseTraceparent(v string) (sc trace.SpanContext, ok bool) {
	if len(v) != 55 || v[:3] != "00-" || v[35] != '-' || v[52] != '-' {
		return trace.SpanContext{}, false
	}
	tid, err := trace.TraceIDFromHex(v[3:35])
	if err != nil {
		return trace.SpanContext{}, false
	}
	sid, err := trace.SpanIDFromHex(v[36:52])
	if err != nil {
		return trace.SpanContext{}, false
	}
	var flags trace.TraceFlags
	switch v[53:] {
	case "00":
	case "01":
		flags = trace.FlagsSampled
	default:
		return trace.SpanContext{}, false
	}
	return trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: flags, Remote: true}), true
}
