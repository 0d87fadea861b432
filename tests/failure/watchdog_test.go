package failure_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/alert"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/streamio"
)

// TestFrozenLeaderIsNoticed freezes the leader with SIGSTOP while it still
// holds a long lease: it fires nothing and says nothing. The other
// replica's watchdog, which does not lead, raises an unaccounted alert
// naming the job and a slot of the freeze before the lease ends; once it
// has taken over and caught the slots up, the job is ok again.
func TestFrozenLeaderIsNoticed(t *testing.T) {
	const freezeLease = 12 * time.Second
	s := start(t, options{schedulers: 2, workers: 1, lease: freezeLease, schedulerArgs: []string{"--watchdog-interval", "300ms"}})
	spec := s.probeJob("watched", time.Second, 10*time.Millisecond, false)
	spec.Expect = job.Expect{StartWithin: job.Duration(time.Second)}
	s.create(spec, 10*time.Millisecond, true)
	natstest.Eventually(t, 30*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		v, err := s.client.GetJob(ctx, "watched")
		return err == nil && v.Health != nil && v.Health.Health == alert.OK && !v.Health.LastSuccess.IsZero()
	}, "the job runs and is ok")

	p, frozenIdx := s.leaderProc()
	require.NotNil(t, p)
	frozen, _, ok := s.leaderRecord()
	require.True(t, ok)
	frozenAt := time.Now()
	p.signal(syscall.SIGSTOP)
	t.Cleanup(func() { p.signal(syscall.SIGCONT) })

	var found alert.Alert
	natstest.Eventually(t, freezeLease, func() bool {
		for _, a := range s.alerts("watched") {
			if a.Health == alert.Unaccounted {
				found = a
				return true
			}
		}
		return false
	}, "an unaccounted alert while the frozen leader holds its lease")
	require.NotEqual(t, frozen.ID, found.Detector, "the replica that does not lead noticed")
	require.True(t, found.Slot.After(frozenAt.Add(-2*time.Second)), "slot %s, frozen at %s", found.Slot, frozenAt)
	require.True(t, found.Time.Before(frozenAt.Add(freezeLease)), "noticed at %s, before the lease of the frozen leader ended", found.Time)
	rec, _, ok := s.leaderRecord()
	require.True(t, ok)
	require.Equal(t, frozen.ID, rec.ID, "the frozen leader still held the lease when the alert was raised")
	t.Logf("frozen at %s; slot %s unaccounted, alert at %s by %s (%s after the freeze)", frozenAt.Format(time.TimeOnly), found.Slot.Format(time.TimeOnly),
		found.Time.Format(time.TimeOnly), found.Detector, found.Time.Sub(frozenAt).Round(time.Millisecond))

	natstest.Eventually(t, 3*freezeLease, func() bool {
		as := s.alerts("watched")
		return len(as) > 0 && as[len(as)-1].Health == alert.OK && as[len(as)-1].Previous != ""
	}, "the job is ok again once the other replica leads and catches up")
	p.signal(syscall.SIGCONT)

	// The replica that watched exports the job's health and lateness, and
	// the leading gauge the documented alert rule reads.
	m := metrics(t, s.sHealth[1-frozenIdx])
	require.Contains(t, m, `jetcron_job_health{jetcron_job="watched"}`)
	require.Positive(t, m[`jetcron_slot_lateness_seconds_count{jetcron_job="watched"}`])
	require.Contains(t, m, `jetcron_job_last_success_timestamp_seconds{jetcron_job="watched"}`)
	require.Contains(t, m, "jetcron_scheduler_leading")
	s.stopFiring()
}

// alerts reads a job's alerts, oldest first.
func (s *system) alerts(name string) []alert.Alert {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msgs, err := streamio.DirectBatch(ctx, s.nc, streamio.DirectRequest{Stream: s.names.AlertsStream(), Filter: s.names.AlertSubject(name), Seq: 1, Batch: 1000})
	if err != nil {
		return nil
	}
	var out []alert.Alert
	for _, m := range msgs {
		if a, err := alert.Decode(m.Data); err == nil {
			out = append(out, a)
		}
	}
	return out
}
