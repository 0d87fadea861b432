package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
)

// span is when an execution ran.
type span struct {
	id         string
	start, end time.Time
}

func spans(xs []job.Execution) []span {
	var out []span
	for _, x := range xs {
		if x.StartedAt != nil && x.FinishedAt != nil {
			out = append(out, span{x.ID, *x.StartedAt, *x.FinishedAt})
		}
	}
	slices.SortFunc(out, func(a, b span) int { return a.start.Compare(b.start) })
	return out
}

func overlapping(ss []span) bool {
	for i := 1; i < len(ss); i++ {
		if ss[i].start.Before(ss[i-1].end) {
			return true
		}
	}
	return false
}

func countState(xs []job.Execution, st job.State) int {
	n := 0
	for _, x := range xs {
		if x.State == st {
			n++
		}
	}
	return n
}

// TestOverlapPolicies runs a job that lasts longer than its interval under
// each policy.
func TestOverlapPolicies(t *testing.T) {
	t.Parallel()
	s := start(t, options{concurrency: 8})
	for _, p := range []string{"delay", "skip", "allow", "replace"} {
		s.ok("job", "create", "ov-"+p, "--every", "1s", "--overlap", p, "--", "sleep", "2.5")
	}

	t.Run("Skip", func(t *testing.T) {
		t.Parallel()
		natstest.Eventually(t, 20*time.Second, func() bool {
			xs := s.executions("ov-skip")
			return countState(xs, job.StateSucceeded) >= 2 && countState(xs, job.StateSkipped) >= 2
		}, "runs and skipped slots")
		xs := s.executions("ov-skip")
		require.False(t, overlapping(spans(xs)), "skip: never two at once")
		for _, x := range xs {
			if x.State == job.StateSkipped {
				require.Contains(t, x.Error, "overlap skip")
			}
		}
	})
	t.Run("Delay", func(t *testing.T) {
		t.Parallel()
		var delayed job.Execution
		natstest.Eventually(t, 20*time.Second, func() bool {
			for _, x := range s.executions("ov-delay") {
				if x.State == job.StateSucceeded && strings.Contains(strings.Join(x.Notes, " "), "delayed") {
					delayed = x
					return true
				}
			}
			return false
		}, "a slot that found the job running waited and ran later")
		require.Greater(t, delayed.StartedAt.Sub(delayed.ScheduledAt), time.Second, "it waited for the running one")
		xs := s.executions("ov-delay")
		require.False(t, overlapping(spans(xs)), "delay: never two at once")
		require.Positive(t, countState(xs, job.StateSkipped), "only one waits; later slots are skipped")
	})
	t.Run("Allow", func(t *testing.T) {
		t.Parallel()
		natstest.Eventually(t, 20*time.Second, func() bool { return overlapping(spans(s.executions("ov-allow"))) }, "allow: runs overlap")
	})
	t.Run("Replace", func(t *testing.T) {
		t.Parallel()
		var replaced job.Execution
		natstest.Eventually(t, 20*time.Second, func() bool {
			for _, x := range s.executions("ov-replace") {
				if x.State == job.StateCancelled {
					replaced = x
					return true
				}
			}
			return false
		}, "replace cancels the running execution")
		require.Contains(t, replaced.Error, "replaced by")
		require.Equal(t, job.StateCancelled, replaced.State, "a replaced run is not retried")
	})
}

// TestManualTriggers: two triggers in the same second are two runs; a run
// of a running job follows its overlap policy unless forced.
func TestManualTriggers(t *testing.T) {
	t.Parallel()
	s := start(t, options{concurrency: 4})
	s.ok("job", "create", "manual", "--every", "1h", "--overlap", "skip", "--", "sleep", "3")
	a := strings.TrimSpace(s.ok("job", "run", "manual"))
	b := strings.TrimSpace(s.ok("job", "run", "manual"))
	require.NotEqual(t, a, b, "two runs requested in the same second are two runs")
	xb := s.waitState(b, 15*time.Second, job.StateSkipped, job.StateSucceeded)
	require.Equal(t, job.StateSkipped, xb.State, "the second run found the first one running (overlap skip)")
	require.Contains(t, xb.Error, "--force")

	s.waitState(a, 15*time.Second, job.StateRunning)
	d := strings.TrimSpace(s.ok("job", "run", "manual", "--force"))
	xd := s.waitState(d, 15*time.Second, job.StateSucceeded)
	xa := s.waitState(a, 15*time.Second, job.StateSucceeded)
	require.True(t, overlapping(spans([]job.Execution{xa, xd})), "--force runs alongside the running one")
}
