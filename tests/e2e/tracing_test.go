package e2e

import (
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/tracing"
	"github.com/jetcron/jetcron/worker"
)

// testTracer returns a tracer exporting to url, or nil when url is empty.
func testTracer(t *testing.T, url, ns, service string) *tracing.Tracer {
	t.Helper()
	if url == "" {
		return nil
	}
	tr, err := tracing.New(t.Context(), tracing.Options{Namespace: ns, Service: service, EndpointURL: url, BatchTimeout: 100 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tr.Shutdown(ctx)
	})
	return tr
}

// otlpSpan is one span an OTLP receiver got, with its service.
type otlpSpan struct {
	service string
	*tracepb.Span
}

// otlpReceiver is an OTLP/HTTP traces endpoint that keeps what it gets.
type otlpReceiver struct {
	*httptest.Server
	mu    sync.Mutex
	spans []otlpSpan
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	r := &otlpReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		var msg coltrace.ExportTraceServiceRequest
		if err != nil || req.URL.Path != "/v1/traces" || proto.Unmarshal(body, &msg) != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		for _, rs := range msg.ResourceSpans {
			var service string
			for _, a := range rs.Resource.GetAttributes() {
				if a.Key == "service.name" {
					service = a.Value.GetStringValue()
				}
			}
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					r.spans = append(r.spans, otlpSpan{service: service, Span: s})
				}
			}
		}
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		out, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
		_, _ = w.Write(out)
	}))
	t.Cleanup(r.Close)
	return r
}

// of returns the spans of a trace by name prefix.
func (r *otlpReceiver) of(tid trace.TraceID) map[string]otlpSpan {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]otlpSpan{}
	for _, s := range r.spans {
		if trace.TraceID(s.TraceId) == tid {
			out[strings.Fields(s.Name)[0]] = s
		}
	}
	return out
}

func hexID(b []byte) string { return hex.EncodeToString(b) }

// One trace per execution: the scheduler's slot span, the worker's attempt
// under it with its claim, run and record, and the run's TRACEPARENT naming
// the attempt; a Go handler's context carries the same span.
func TestOneTracePerExecution(t *testing.T) {
	t.Parallel()
	otlp := newOTLPReceiver(t)
	s := start(t, options{traces: otlp.URL + "/v1/traces"})
	ns := s.topo.Namespace

	s.ok("job", "create", "traced", "--every", "1h", "--", "sh", "-c", `echo "tp=$TRACEPARENT"`)
	id := strings.TrimSpace(s.ok("job", "run", "traced"))
	x := s.waitState(id, 30*time.Second, job.StateSucceeded)
	tid := tracing.TraceID(ns, x.ID)
	slot, attempt := tracing.SlotSpanID(ns, x.ID), tracing.AttemptSpanID(tid, x.ID, 1)

	// The run was told its attempt's span.
	logText := s.ok("exec", "logs", x.ID)
	require.Contains(t, logText, "tp=00-"+tid.String()+"-"+attempt.String()+"-01")

	var spans map[string]otlpSpan
	natstest.Eventually(t, 15*time.Second, func() bool {
		spans = otlp.of(tid)
		return len(spans) == 5
	}, "the slot, attempt, claim, run and record spans of %s arrive", x.ID)
	require.Equal(t, "jetcron-scheduler", spans["jetcron.slot"].service)
	require.Equal(t, slot.String(), hexID(spans["jetcron.slot"].SpanId))
	require.Empty(t, spans["jetcron.slot"].ParentSpanId, "the slot is the trace's root")
	require.Equal(t, "jetcron-worker", spans["jetcron.attempt"].service)
	require.Equal(t, attempt.String(), hexID(spans["jetcron.attempt"].SpanId))
	require.Equal(t, slot.String(), hexID(spans["jetcron.attempt"].ParentSpanId))
	for _, child := range []string{"jetcron.claim", "jetcron.run", "jetcron.record"} {
		require.Equal(t, attempt.String(), hexID(spans[child].ParentSpanId), "%s hangs under the attempt", child)
	}
	var state string
	for _, a := range spans["jetcron.run"].Attributes {
		if a.Key == "jetcron.state" {
			state = a.Value.GetStringValue()
		}
	}
	require.Equal(t, "succeeded", state)
}

// A Go handler's context carries the attempt's span, whether or not the
// worker exports traces.
func TestGoHandlerContextCarriesTheAttemptSpan(t *testing.T) {
	t.Parallel()
	s := start(t, options{workers: -1})
	w := s.addWorker(options{})
	got := make(chan trace.SpanContext, 1)
	require.NoError(t, w.Handle("traced", worker.HandlerFunc(func(ctx context.Context, run *worker.Run) error {
		got <- trace.SpanContextFromContext(ctx)
		return nil
	})))
	s.ok("job", "create", "traced-go", "--every", "1h", "--handler", "traced")
	id := strings.TrimSpace(s.ok("job", "run", "traced-go"))
	sc := <-got
	tid := tracing.TraceID(s.topo.Namespace, id)
	require.Equal(t, tid, sc.TraceID())
	require.Equal(t, tracing.AttemptSpanID(tid, id, 1), sc.SpanID())
	require.True(t, sc.IsSampled())
	s.waitState(id, 30*time.Second, job.StateSucceeded)
}
