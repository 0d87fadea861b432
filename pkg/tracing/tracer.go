package tracing

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Options configure a Tracer.
type Options struct {
	// Namespace is the jetcron namespace: part of every derived ID.
	Namespace string
	// Service is the service name of the role (jetcron-scheduler,
	// jetcron-worker); OTEL_SERVICE_NAME overrides it.
	Service string
	// Version is the service version.
	Version string
	// EndpointURL is the OTLP/HTTP traces URL (http://host:4318/v1/traces).
	// Empty: the exporter reads the OTEL_EXPORTER_OTLP_* variables.
	EndpointURL string
	// BatchTimeout is the longest a finished span waits to be sent.
	// Defaults to OTEL_BSP_SCHEDULE_DELAY, or 5s.
	BatchTimeout time.Duration
}

// Tracer records the spans of executions. A nil *Tracer records nothing.
type Tracer struct {
	ns string
	tp *sdktrace.TracerProvider
	tr trace.Tracer
}

// ErrConfig marks a tracing configuration jetcron cannot use.
var ErrConfig = errors.New("tracing configuration")

// Configured reports whether the environment asks for traces to be
// exported: an OTLP endpoint is set and neither OTEL_SDK_DISABLED nor
// OTEL_TRACES_EXPORTER=none turns it off.
func Configured() bool {
	if strings.EqualFold(os.Getenv("OTEL_SDK_DISABLED"), "true") || os.Getenv("OTEL_TRACES_EXPORTER") == "none" {
		return false
	}
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// FromEnv returns a Tracer exporting over OTLP/HTTP when the environment
// configures it (Configured), and nil otherwise.
func FromEnv(ctx context.Context, o Options) (*Tracer, error) {
	if !Configured() {
		return nil, nil
	}
	for _, v := range []string{"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"} {
		if p := os.Getenv(v); p != "" && p != "http/protobuf" {
			return nil, fmt.Errorf("%w: %s=%q: jetcron exports traces over OTLP/HTTP only (http/protobuf)", ErrConfig, v, p)
		}
	}
	return New(ctx, o)
}

// New returns a Tracer exporting to o.EndpointURL, or where the
// OTEL_EXPORTER_OTLP_* variables say. Spans are sent in batches from a
// bounded queue: a slow or absent collector drops spans, it never slows a
// run or the scheduler.
func New(ctx context.Context, o Options) (*Tracer, error) {
	var opts []otlptracehttp.Option
	if o.EndpointURL != "" {
		opts = append(opts, otlptracehttp.WithEndpointURL(o.EndpointURL))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: OTLP exporter: %v", ErrConfig, err)
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(
			attribute.String("service.name", o.Service),
			attribute.String("service.version", o.Version),
			attribute.String("jetcron.namespace", o.Namespace)),
		resource.WithFromEnv())
	if err != nil {
		return nil, fmt.Errorf("%w: resource: %v", ErrConfig, err)
	}
	var batch []sdktrace.BatchSpanProcessorOption
	if o.BatchTimeout > 0 {
		batch = append(batch, sdktrace.WithBatchTimeout(o.BatchTimeout))
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp, batch...),
		sdktrace.WithResource(res),
		sdktrace.WithIDGenerator(idGenerator{}),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())),
	)
	return &Tracer{ns: o.Namespace, tp: tp, tr: tp.Tracer("github.com/jetcron/jetcron")}, nil
}

// Enabled reports whether t exports spans.
func (t *Tracer) Enabled() bool { return t != nil }

// Shutdown sends the spans still queued and stops the exporter.
func (t *Tracer) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.tp.Shutdown(ctx)
}

// Slot records the root span of an execution: from its slot (or when it
// was requested) until the work item was stored. A follow-up run's span
// links to the trace of the execution that requested it (parent).
func (t *Tracer) Slot(exec, jobName, trigger, parent string, slot, stored time.Time, attrs ...attribute.KeyValue) {
	if t == nil {
		return
	}
	var links []trace.Link
	if parent != "" {
		links = append(links, trace.Link{SpanContext: SlotContext(t.ns, parent)})
		attrs = append(attrs, attribute.String("jetcron.parent_id", parent))
	}
	ctx := withIDs(context.Background(), TraceID(t.ns, exec), SlotSpanID(t.ns, exec))
	attrs = append(attrs,
		attribute.String("jetcron.job", jobName),
		attribute.String("jetcron.execution_id", exec),
		attribute.String("jetcron.trigger", trigger),
		attribute.String("jetcron.slot", slot.UTC().Format(time.RFC3339Nano)),
		attribute.Int64("jetcron.lateness_ms", stored.Sub(slot).Milliseconds()))
	_, span := t.tr.Start(ctx, "jetcron.slot "+jobName, trace.WithNewRoot(), trace.WithTimestamp(slot),
		trace.WithSpanKind(trace.SpanKindProducer), trace.WithAttributes(attrs...), trace.WithLinks(links...))
	span.End(trace.WithTimestamp(stored))
}

// StartAttempt starts the span of attempt number attempt of exec under
// parent (the work item's traceparent, or SlotContext). Its span ID is
// derived (AttemptSpanID: every worker of the same attempt arrives at the
// same) whether t exports or not, so the returned
// context and TRACEPARENT are the same either way; with a nil t the span
// records nothing.
func (t *Tracer) StartAttempt(ctx context.Context, parent trace.SpanContext, exec, jobName string, attempt int, start time.Time, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	if t == nil {
		sc := trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: parent.TraceID(), SpanID: AttemptSpanID(parent.TraceID(), exec, attempt), TraceFlags: parent.TraceFlags(),
		})
		return trace.ContextWithSpanContext(ctx, sc), trace.SpanFromContext(trace.ContextWithSpanContext(ctx, sc))
	}
	forced := withIDs(trace.ContextWithRemoteSpanContext(ctx, parent), parent.TraceID(), AttemptSpanID(parent.TraceID(), exec, attempt))
	attrs = append(attrs,
		attribute.String("jetcron.job", jobName),
		attribute.String("jetcron.execution_id", exec),
		attribute.Int("jetcron.attempt", attempt))
	_, span := t.tr.Start(forced, "jetcron.attempt "+jobName, trace.WithTimestamp(start),
		trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(attrs...))
	// Children get IDs of their own: the context handed on does not carry
	// the forced IDs.
	return trace.ContextWithSpan(ctx, span), span
}

// Span records a finished child span of the span in ctx (claim, run,
// record), when t exports.
func (t *Tracer) Span(ctx context.Context, name string, start, end time.Time, attrs ...attribute.KeyValue) {
	if t == nil || !trace.SpanContextFromContext(ctx).IsValid() {
		return
	}
	_, span := t.tr.Start(ctx, name, trace.WithTimestamp(start), trace.WithAttributes(attrs...))
	span.End(trace.WithTimestamp(end))
}
