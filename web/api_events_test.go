package web_test

import (
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/web"
)

func TestEventStream(t *testing.T) {
	t.Parallel()
	s := start(t, options{})

	// Live: a job's events as they happen, and only that job's.
	live := s.stream("/api/v1/events?job=streamed")
	other := s.stream("/api/v1/events")
	s.createJob(job.Spec{Name: "noise", Schedule: every(time.Hour), Task: command("true")})
	s.createJob(job.Spec{Name: "streamed", Schedule: every(time.Hour), Task: command("echo", "hi")})
	created := live.until(t, func(e web.Event) bool { return true })
	require.Equal(t, event.JobCreated, created.Kind, "the first event of the job is its creation, not noise's")
	require.Equal(t, "streamed", created.Job)
	id := s.run("streamed")
	// The execution's events, in stream order. Its scheduled event may
	// follow its started or even its succeeded event: the leader records a
	// slot once the work stream holds it, and a worker may already have
	// taken it by then. So read until both are in.
	var seen []web.Event
	var started, done web.Event
	live.until(t, func(e web.Event) bool {
		require.Equal(t, "streamed", e.Job, "the stream is filtered by job")
		require.Equal(t, id, e.Execution)
		seen = append(seen, e)
		switch {
		case e.Kind == event.Started:
			started = e
		case e.Kind.Final():
			done = e
		}
		return done.Seq != 0 && slices.ContainsFunc(seen, func(e web.Event) bool { return e.Kind == event.Scheduled })
	})
	require.Equal(t, event.Succeeded, done.Kind)
	require.NotZero(t, started.Seq)
	other.until(t, func(e web.Event) bool { return e.Kind == event.Succeeded && e.Execution == id })
	seqs := func(es []web.Event) []uint64 {
		out := make([]uint64, len(es))
		for i, e := range es {
			out[i] = e.Seq
		}
		return out
	}
	read := func(st *sse, n int) []uint64 {
		var got []uint64
		for range n {
			got = append(got, st.until(t, func(web.Event) bool { return true }).Seq)
		}
		return got
	}

	// Replays: from a sequence, after a Last-Event-ID, since a while ago.
	replay := s.stream("/api/v1/events?job=streamed&from=1")
	require.Equal(t, created.Seq, replay.until(t, func(web.Event) bool { return true }).Seq)
	after := slices.DeleteFunc(slices.Clone(seen), func(e web.Event) bool { return e.Seq <= started.Seq })
	resumed := s.stream("/api/v1/events?execution="+id, "Last-Event-ID", strconv.FormatUint(started.Seq, 10))
	require.Equal(t, seqs(after), read(resumed, len(after)), "a reconnecting client continues after its last event")
	since := s.stream("/api/v1/events?execution=" + id + "&since=1h")
	require.Equal(t, seqs(seen), read(since, len(seen)), "since replays every event of the last hour")

	for _, c := range []struct {
		query, field string
		header       []string
	}{
		{"?job=bad%20name", "job", nil},
		{"?execution=nope", "execution", nil},
		{"?job=noise&execution=" + id, "execution", nil},
		{"?from=first", "from", nil},
		{"?since=yesterday", "since", nil},
		{"", "Last-Event-ID", []string{"Last-Event-ID", "abc"}},
	} {
		r := s.call(http.MethodGet, "/api/v1/events"+c.query, nil, c.header...)
		require.Equal(t, http.StatusBadRequest, r.status, c.query)
		require.Equal(t, c.field, r.apiError(t).Field, c.query)
	}
	require.Equal(t, http.StatusMethodNotAllowed, s.call(http.MethodPost, "/api/v1/events", nil).status)
}

// TestRecentRuns: the jobs list sums up each job's last runs, current as
// soon as the event that changed them is out.
func TestRecentRuns(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	s.createJob(job.Spec{Name: "mixed", Schedule: every(time.Hour), Overlap: job.OverlapAllow,
		Task: command("sh", "-c", `test "$(echo "$JETCRON_PARAMS" | grep -c fail)" = 0`)})
	get := func() web.Job {
		r := s.call(http.MethodGet, "/api/v1/jobs/mixed", nil)
		require.Equal(t, http.StatusOK, r.status)
		var j web.Job
		r.json(t, &j)
		return j
	}
	require.Nil(t, get().Runs.Last, "cached before any run")

	events := s.stream("/api/v1/events?job=mixed")
	ok := s.run("mixed")
	events.until(t, func(e web.Event) bool { return e.Execution == ok && e.Kind.Final() })
	// The event is out: the summary already has it (the hub applies an
	// event to the summaries before it sends it to streams).
	j := get()
	require.Equal(t, ok, j.Runs.Last.ID)
	require.Equal(t, job.StateSucceeded, j.Runs.Last.State)

	r := s.call(http.MethodPost, "/api/v1/jobs/mixed/run", map[string]any{"params": map[string]string{"mode": "fail"}})
	require.Equal(t, http.StatusAccepted, r.status)
	var bad struct {
		ExecutionID string `json:"execution_id"`
	}
	r.json(t, &bad)
	events.until(t, func(e web.Event) bool { return e.Execution == bad.ExecutionID && e.Kind.Final() })
	j = get()
	require.Equal(t, bad.ExecutionID, j.Runs.Last.ID)
	require.Equal(t, job.StateFailed, j.Runs.Last.State)
	require.Equal(t, 2, j.Runs.Ended)
	require.Equal(t, 1, j.Runs.Succeeded)
	require.InDelta(t, 0.5, *j.Runs.SuccessRate, 1e-9)
	require.Equal(t, []string{bad.ExecutionID, ok}, []string{j.Runs.Recent[0].ID, j.Runs.Recent[1].ID}, "newest first")

	// The list agrees, and filters by the last run's state.
	r = s.call(http.MethodGet, "/api/v1/jobs?state=failed", nil)
	require.Equal(t, http.StatusOK, r.status)
	var js []web.Job
	r.json(t, &js)
	require.Len(t, js, 1)
	require.Equal(t, "mixed", js[0].Name)
	require.Equal(t, j.Runs, js[0].Runs)
}
