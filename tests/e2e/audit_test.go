package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/ledger"
	"github.com/jetcron/jetcron/pkg/natstest"
)

// TestAudit: a job runs a few slots, is disabled for a few seconds and
// enabled again; its slot ledger shows the runs on time and succeeded, the
// slots of the pause paused under the disabling revision, and nothing
// unaccounted.
func TestAudit(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	s.ok("job", "create", "ticker", "--every", "1s", "--", "true")
	succeeded := func() int {
		n := 0
		for _, x := range s.executions("ticker") {
			if x.State == job.StateSucceeded {
				n++
			}
		}
		return n
	}
	natstest.Eventually(t, 15*time.Second, func() bool { return succeeded() >= 3 }, "three runs succeed")
	disabledAt := time.Now()
	s.ok("job", "disable", "ticker", "--reason", "maintenance")
	// The pause is the scenario: three slots go by while the job is disabled.
	time.Sleep(3500 * time.Millisecond)
	before := succeeded()
	enabledAt := time.Now()
	s.ok("job", "enable", "ticker")
	natstest.Eventually(t, 15*time.Second, func() bool { return succeeded() >= before+2 }, "two more runs succeed")

	var l ledger.Ledger
	require.NoError(t, json.Unmarshal([]byte(s.ok("job", "audit", "ticker", "--since", "1m", "-o", "json")), &l))
	require.Zero(t, l.Fired[ledger.FiredUnaccounted], "no slot unaccounted: %+v", l.Rows)
	require.GreaterOrEqual(t, l.Fired[ledger.FiredPaused], 2, "the pause's slots: %+v", l.Rows)
	require.Equal(t, len(l.Rows), l.Slots)
	var revs []uint64 // the revision of each run of slots by outcome, in order
	ranBefore, ranAfter := 0, 0
	for i, r := range l.Rows {
		require.Equal(t, job.ExecutionID("ticker", r.Slot), r.ExecutionID)
		require.NotZero(t, r.Revision)
		if len(revs) == 0 || (r.Fired == ledger.FiredPaused) != (l.Rows[i-1].Fired == ledger.FiredPaused) {
			revs = append(revs, r.Revision)
		}
		switch {
		case r.Fired == ledger.FiredPaused:
			require.True(t, r.Slot.After(disabledAt.Add(-time.Second)) && r.Slot.Before(enabledAt.Add(time.Second)), "paused slot %s outside the pause", r.Slot)
		case r.Fired == ledger.FiredDue:
			require.Greater(t, i, len(l.Rows)-3, "only the newest slots may be due")
		default:
			require.Equal(t, ledger.FiredOnTime, r.Fired, "slot %s: %+v", r.Slot, r)
			if r.Result != ledger.ResultSucceeded {
				require.Greater(t, i, len(l.Rows)-3, "only the newest runs may not have ended: %+v", r)
			}
			if r.Slot.Before(disabledAt) {
				ranBefore++
			} else {
				ranAfter++
			}
		}
	}
	require.GreaterOrEqual(t, ranBefore, 3)
	require.GreaterOrEqual(t, ranAfter, 2)
	require.Len(t, revs, 3, "runs, pause, runs")
	require.Less(t, revs[0], revs[1], "the pause is a later revision")
	require.Less(t, revs[1], revs[2], "the enable is a later revision")

	table := s.ok("job", "audit", "ticker", "--since", "1m")
	t.Logf("job audit ticker --since 1m:\n%s", table)
	for _, want := range []string{"SLOT", "FIRED", "RESULT", "on_time", "succeeded", "paused", "the job was disabled: maintenance"} {
		require.Contains(t, table, want)
	}

	// Bad input names what is wrong and exits non-zero.
	r := s.cli("job", "audit", "nosuch")
	require.Equal(t, 3, r.code, r.err)
	require.Contains(t, r.err, "nosuch")
	r = s.cli("job", "audit", "ticker", "--since", "yesterday")
	require.Equal(t, 2, r.code, r.err)
	require.Contains(t, r.err, "--since")
	r = s.cli("job", "audit", "ticker", "--since", "1h", "--until", "2h")
	require.Equal(t, 2, r.code, r.err)
	require.True(t, strings.Contains(r.err, "--since") && strings.Contains(r.err, "--until"), r.err)
	r = s.cli("job", "audit", "ticker", "--grace", "-1s")
	require.Equal(t, 2, r.code, r.err)
	require.Contains(t, r.err, "--grace")
}

// TestAuditScheduleChange: a job's schedule changes from every second to
// every two seconds, then the job is deleted; its ledger, read from the
// history the jobs bucket keeps, lists the slots of each revision under
// that revision, none after the deletion, and nothing unaccounted.
func TestAuditScheduleChange(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	s.ok("job", "create", "shifty", "--every", "1s", "--", "true")
	succeeded := func() int {
		n := 0
		for _, x := range s.executions("shifty") {
			if x.State == job.StateSucceeded {
				n++
			}
		}
		return n
	}
	natstest.Eventually(t, 15*time.Second, func() bool { return succeeded() >= 3 }, "three runs succeed")
	changedAt := time.Now()
	s.ok("job", "create", "shifty", "--every", "2s", "--update", "--", "true")
	before := succeeded()
	natstest.Eventually(t, 15*time.Second, func() bool { return succeeded() >= before+2 }, "two runs of the new schedule succeed")
	s.ok("job", "delete", "shifty")
	deletedAt := time.Now()

	var l ledger.Ledger
	require.NoError(t, json.Unmarshal([]byte(s.ok("job", "audit", "shifty", "--since", "1m", "-o", "json")), &l))
	require.Zero(t, l.Fired[ledger.FiredUnaccounted], "no slot unaccounted")
	byRev := map[uint64][]time.Time{}
	var revs []uint64
	for i, r := range l.Rows {
		require.True(t, r.Slot.Before(deletedAt.Add(time.Second)), "no slot after the deletion: %s", r.Slot)
		if _, ok := byRev[r.Revision]; !ok {
			revs = append(revs, r.Revision)
		}
		byRev[r.Revision] = append(byRev[r.Revision], r.Slot)
		if i < len(l.Rows)-1 {
			require.Equal(t, ledger.FiredOnTime, r.Fired, "%+v", r)
			require.Equal(t, ledger.ResultSucceeded, r.Result, "%+v", r)
		}
	}
	require.Len(t, revs, 2, "the slots of two revisions")
	require.GreaterOrEqual(t, len(byRev[revs[0]]), 3)
	require.GreaterOrEqual(t, len(byRev[revs[1]]), 2)
	for i, at := range byRev[revs[0]] {
		require.True(t, at.Before(changedAt.Add(time.Second)))
		if i > 0 {
			require.Equal(t, time.Second, at.Sub(byRev[revs[0]][i-1]))
		}
	}
	for i, at := range byRev[revs[1]] {
		require.True(t, at.After(changedAt.Add(-time.Second)))
		if i > 0 {
			require.Equal(t, 2*time.Second, at.Sub(byRev[revs[1]][i-1]))
		}
	}
}
