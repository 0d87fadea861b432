package leader_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/leader"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/topology"
)

// A lease left by an earlier run of a candidate (it was killed and did not
// resign) is taken over at once by the same ID with ReclaimOwn, with a term
// above the old one; without ReclaimOwn, or by another ID, it is left to
// expire.
func TestElectorReclaimsItsOwnLease(t *testing.T) {
	t.Parallel()
	b := setup(t, 30*time.Second) // far longer than the test: nothing expires
	old, err := json.Marshal(leader.Record{ID: "dev", PID: 1})
	require.NoError(t, err)
	oldTerm, err := b.kv.Create(t.Context(), topology.LeaderKey, old)
	require.NoError(t, err)

	other := b.candidate(t, "other", candidateOptions{reclaimOwn: true})
	other.start(t, b)
	watchers := b.watchers(t)
	plain := b.candidate(t, "dev", candidateOptions{})
	plain.start(t, b)
	select {
	case <-other.leads:
		t.Fatal("a candidate took over a lease held by another ID")
	case <-plain.leads:
		t.Fatal("a candidate without ReclaimOwn took over its own ID's lease")
	case <-time.After(2 * time.Second): // several polls
	}
	require.Equal(t, oldTerm, b.entry(t).Revision(), "the lease is untouched")
	// One ID runs once at a time: that is what makes reclaiming safe.
	require.NoError(t, plain.el.Stop(t.Context()))
	// Its watch goes away a moment after Stop: the next start counts new
	// watchers from what is left (else the gone one hides the new one).
	natstest.Eventually(t, 10*time.Second, func() bool { return b.watchers(t) == watchers }, "the stopped candidate's watch is gone")

	reclaimer := b.candidate(t, "dev", candidateOptions{reclaimOwn: true})
	start := time.Now()
	reclaimer.start(t, b)
	l := reclaimer.waitLead(t, 5*time.Second)
	t.Logf("reclaimed in %s", time.Since(start).Round(time.Millisecond))
	require.Greater(t, l.Term(), oldTerm, "the new term is above the old one")
	require.True(t, l.Valid())
	ent := b.entry(t)
	require.Equal(t, l.Term(), ent.Revision())
	require.Equal(t, "dev", b.holder(t))
	require.NotEqual(t, 1, record(t, ent.Value()).PID, "the record is the new run's")
}
