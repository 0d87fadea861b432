package failure_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
)

// TestBadInputOnTheWire publishes work items and events that no jetcron
// role wrote: not JSON, an unknown schema version, no job or a job without
// its definition, over the size limit (in the body or in the headers).
// Every work item is terminated on its first delivery and recorded as
// rejected with its reason; events that are not jetcron's are skipped by
// every reader; no scheduler or worker restarts, and jobs keep running.
func TestBadInputOnTheWire(t *testing.T) {
	s := start(t, options{schedulers: 1, workers: 2, concurrency: 4})
	w := watchPIDs(s.sink)
	defer w.close()
	s.createJobs("tick", 3, time.Second, 10*time.Millisecond)
	from := time.Now().Add(time.Second)
	pids := map[*proc]int{}
	for _, p := range append(append([]*proc{}, s.scheds...), s.workers...) {
		pids[p] = p.pid()
	}

	valid := s.probeJob("ghost", time.Second, 0, false)
	valid = valid.WithDefaults()
	// Each item is its own execution, so that each rejection is its own
	// event (events are deduplicated by execution and kind).
	base, n := time.Now().UTC().Truncate(time.Second), 0
	work := func(mut func(*job.Work)) []byte {
		n++
		slot := base.Add(time.Duration(n) * time.Second)
		w := job.Work{V: job.WorkVersion, ID: job.ExecutionID("ghost", slot), Job: "ghost", ScheduledAt: slot, Trigger: job.TriggerSchedule, Spec: valid}
		mut(&w)
		data, err := json.Marshal(w)
		require.NoError(t, err)
		return data
	}
	type bad struct {
		name   string
		data   []byte
		header int // bytes of a header value
		reason string
	}
	huge := strings.Repeat("x", 1<<20)
	cases := []bad{
		{name: "not JSON", data: []byte("{not json"), reason: "not valid JSON"},
		{name: "empty", data: nil, reason: "not valid JSON"},
		{name: "a JSON array", data: []byte(`[1,2,3]`), reason: "not valid JSON"},
		{name: "unknown schema version", data: work(func(w *job.Work) { w.V = 99 }), reason: "unknown schema version 99"},
		{name: "no version", data: []byte(`{"id":"x-20260101T000000Z","job":"x"}`), reason: "unknown schema version 0"},
		{name: "no job", data: work(func(w *job.Work) { w.Job = "" }), reason: "carries job"},
		{name: "a job without its definition", data: work(func(w *job.Work) { w.Spec = job.Spec{} }), reason: "carries job"},
		{name: "a job with another job's definition", data: work(func(w *job.Work) { w.Spec.Name = "tick0" }), reason: "carries job"},
		{name: "an execution of another job", data: work(func(w *job.Work) { w.ID = job.ExecutionID("tick0", time.Now()) }), reason: "carries job"},
		{name: "an enqueued run under a scheduled slot's ID", data: work(func(w *job.Work) { w.Trigger = job.TriggerEnqueue }), reason: "scheduled slot's id"},
		{name: "a malformed execution ID", data: work(func(w *job.Work) { w.ID = "../../etc/passwd" }), reason: "execution id"},
		{name: "an invalid definition", data: work(func(w *job.Work) { w.Spec.Task.Command = nil }), reason: "invalid definition"},
		{name: "a body over 1 MiB", data: work(func(w *job.Work) { w.Params = map[string]string{"x": huge} }), reason: "exceeds the limit"},
		// JetStream refuses headers over 64 KiB itself: a body just under
		// the limit with 60 KB of headers is over it.
		{name: "headers and body over 1 MiB", data: work(func(w *job.Work) { w.Params = map[string]string{"x": huge[:1<<20-20_000]} }), header: 60_000, reason: "headers included"},
	}
	ctx := t.Context()
	for i, c := range cases {
		m := nats.NewMsg(s.names.WorkSubject("default", "ghost", fmt.Sprintf("ghost-20260101T0000%02dZ", i), false))
		m.Data = c.data
		if c.header > 0 {
			m.Header.Set("X-Padding", strings.Repeat("h", c.header))
		}
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := s.js.PublishMsg(pctx, m)
		cancel()
		require.NoError(t, err, c.name)
	}
	// Events that no jetcron role wrote.
	for i, data := range []string{"{not json", `{"v":99,"kind":"succeeded","job":"tick0"}`, `{"v":1}`, `{"v":1,"kind":"from_the_future","job":"tick0","time":"2026-01-01T00:00:00Z"}`, huge} {
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := s.js.Publish(pctx, fmt.Sprintf("%s.events.tick0.junk%d.succeeded", s.names.Namespace(), i), []byte(data))
		cancel()
		require.NoError(t, err)
	}

	var rejected []event.Event
	natstest.Eventually(t, 60*time.Second, func() bool {
		rejected = rejected[:0]
		for _, e := range s.events() {
			if e.Kind == event.Rejected {
				rejected = append(rejected, e)
			}
		}
		n, err := s.workPending()
		return err == nil && n == 0 && len(rejected) == len(cases)
	}, "every bad work item is rejected and gone")
	for _, c := range cases {
		found := false
		for _, e := range rejected {
			found = found || strings.Contains(e.Reason, c.reason)
		}
		require.True(t, found, "%s: rejected with a reason containing %q", c.name, c.reason)
	}
	cons, err := s.js.Consumer(ctx, s.names.WorkStream(), s.names.WorkConsumer("default"))
	require.NoError(t, err)
	info, err := cons.Info(ctx)
	require.NoError(t, err)
	require.Zero(t, info.NumRedelivered, "each was terminated on its first delivery")
	require.Zero(t, info.NumAckPending)
	var rejects float64
	for _, a := range s.wHealth {
		rejects += metrics(t, a)["jetcron_worker_rejected_total"]
	}
	require.Equal(t, float64(len(cases)), rejects)

	pace(6 * time.Second) // jobs keep firing after the bad input
	s.stopFiring()
	r := s.check(fmt.Sprintf("%d bad work items and 5 foreign events among 3 jobs every 1s", len(cases)), from, w)
	restarts := 0
	for p, pid := range pids {
		if p.pid() != pid || p.starts != 1 {
			restarts++
			r.problem("%s restarted", p.name)
		}
	}
	r.figure("bad work items rejected on first delivery", "%d of %d (redelivered %d)", len(rejected), len(cases), info.NumRedelivered)
	r.figure("scheduler and worker restarts", "%d", restarts)
	r.require(t)
	require.Zero(t, restarts)
}
