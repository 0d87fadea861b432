package web

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
)

func ev(kind event.Kind, id string, seq uint64) event.Event {
	return event.Event{Kind: kind, Job: "j", Execution: id, Seq: seq}
}

func exec(id string, st job.State) job.Execution { return job.Execution{ID: id, Job: "j", State: st} }

func states(s RunsSummary) []string {
	out := []string{}
	for _, r := range s.Recent {
		out = append(out, r.ID+":"+string(r.State))
	}
	return out
}

func TestRunCacheAppliesEventsAfterLoad(t *testing.T) {
	t.Parallel()
	c := newRunCache(func(context.Context, string) (runList, error) {
		return runList{exec("b", job.StateRunning), exec("a", job.StateSucceeded)}, nil
	})
	c.apply(ev(event.Succeeded, "z", 1)) // not cached yet: ignored
	s, err := c.summary(t.Context(), "j")
	require.NoError(t, err)
	require.Equal(t, []string{"b:running", "a:succeeded"}, states(s))

	c.apply(ev(event.Failed, "b", 10))
	c.apply(ev(event.Scheduled, "c", 11))
	c.apply(ev(event.Started, "a", 12)) // a late, older event never undoes a final state
	c.apply(ev(event.Started, "d", 14))
	c.apply(ev(event.Scheduled, "d", 15)) // recorded after its start: d is still running
	c.apply(event.Event{Kind: event.JobDisabled, Job: "j"})
	c.apply(ev(event.FollowUp, "c", 13)) // no state
	s, err = c.summary(t.Context(), "j")
	require.NoError(t, err)
	require.Equal(t, []string{"d:running", "c:scheduled", "b:failed", "a:succeeded"}, states(s))
	require.Equal(t, "d", s.Last.ID)
	require.Equal(t, 2, s.Ended)
	require.Equal(t, 1, s.Succeeded)
	require.InDelta(t, 0.5, *s.SuccessRate, 1e-9)
}

func TestRunCacheBuffersEventsDuringLoad(t *testing.T) {
	t.Parallel()
	loading, release := make(chan struct{}), make(chan struct{})
	c := newRunCache(func(context.Context, string) (runList, error) {
		close(loading)
		<-release
		return runList{exec("a", job.StateRunning)}, nil
	})
	done := make(chan RunsSummary)
	go func() {
		s, _ := c.summary(context.Background(), "j")
		done <- s
	}()
	<-loading
	// Events while the load runs: an update of a loaded execution and a
	// new one. Neither may be lost.
	c.apply(ev(event.Succeeded, "a", 5))
	c.apply(ev(event.Scheduled, "b", 6))
	close(release)
	s := <-done
	require.Equal(t, []string{"b:scheduled", "a:succeeded"}, states(s))
}

func TestRunCacheKeepsFifty(t *testing.T) {
	t.Parallel()
	var xs runList
	for i := range recentRuns {
		xs = append(xs, exec(fmt.Sprintf("old%02d", i), job.StateSucceeded))
	}
	c := newRunCache(func(context.Context, string) (runList, error) { return xs, nil })
	_, err := c.summary(t.Context(), "j")
	require.NoError(t, err)
	c.apply(ev(event.Scheduled, "new", 100))
	c.apply(ev(event.Succeeded, "older-than-the-list", 101)) // a late final event of an execution off the list
	s, err := c.summary(t.Context(), "j")
	require.NoError(t, err)
	require.Len(t, s.Recent, recentRuns)
	require.Equal(t, "new", s.Recent[0].ID)
	require.Equal(t, "old48", s.Recent[recentRuns-1].ID, "the oldest fell off")
}

func TestRunCacheRetriesAFailedLoad(t *testing.T) {
	t.Parallel()
	calls := 0
	c := newRunCache(func(context.Context, string) (runList, error) {
		calls++
		if calls == 1 {
			return nil, errors.New("nats is away")
		}
		return runList{exec("a", job.StateFailed)}, nil
	})
	_, err := c.summary(t.Context(), "j")
	require.ErrorContains(t, err, "nats is away")
	s, err := c.summary(t.Context(), "j")
	require.NoError(t, err)
	require.Equal(t, []string{"a:failed"}, states(s))
	require.Zero(t, *s.SuccessRate)

	c.keep([]string{"other"})
	s, err = c.summary(t.Context(), "j")
	require.NoError(t, err)
	require.Equal(t, 3, calls, "a job no longer listed is forgotten and loaded again")
	c.reset()
	_, err = c.summary(t.Context(), "j")
	require.NoError(t, err)
	require.Equal(t, 4, calls)
	require.NotNil(t, s.Last)
}

func TestRunCacheSummariesOfManyJobs(t *testing.T) {
	t.Parallel()
	c := newRunCache(func(_ context.Context, name string) (runList, error) {
		return runList{{ID: name + "-1", Job: name, State: job.StateSucceeded, ScheduledAt: time.Unix(1, 0)}}, nil
	})
	names := make([]string, 40)
	for i := range names {
		names[i] = fmt.Sprintf("job%d", i)
	}
	sums, err := c.summaries(t.Context(), names)
	require.NoError(t, err)
	require.Len(t, sums, 40)
	require.Equal(t, "job7-1", sums["job7"].Last.ID)
}
