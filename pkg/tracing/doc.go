// Package tracing gives every execution one OpenTelemetry trace: the slot
// (fire → publish, in the scheduler), each attempt (claim → run → record,
// in the worker) and the follow-ups an attempt requested.
//
// An execution's trace ID and the span IDs of its slot and attempts are
// derived from the namespace and the execution ID (SHA-256), not drawn at
// random. Every process that touches the execution — the leader that fires
// it, a new leader after a failover, the worker of a redelivered attempt —
// arrives at the same IDs without asking anyone, so an execution's spans
// form one trace whoever recorded them, and a run's TRACEPARENT is known
// even when nothing exports. The scheduler also sends the slot span as a
// W3C `traceparent` header on the work item when it exports traces, for
// consumers of the work stream that read it; the worker prefers that header
// and falls back to the derived parent.
//
// Traces are exported over OTLP/HTTP when the standard variables configure
// an endpoint (OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, with OTEL_EXPORTER_OTLP_HEADERS and
// the rest of the OTLP exporter's variables; OTEL_SERVICE_NAME overrides
// the role's service name; OTEL_SDK_DISABLED=true or
// OTEL_TRACES_EXPORTER=none turn it off). Without one, a nil *Tracer
// records nothing and costs nothing on the hot paths.
package tracing
