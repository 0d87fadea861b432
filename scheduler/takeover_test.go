package scheduler_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
)

// TestTakeoverWithDelayedRunKeepsFiring is the restart wedge: a leader that
// took over state holding a delayed run (overlap delay, waiting for its
// job's running execution) computed no wake-up time at all and fired
// nothing for any job until something else woke it. Every piece of state a
// new leader loads must give the loop a time to act.
func TestTakeoverWithDelayedRunKeepsFiring(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s1 := b.start(t, "first", nil)
	natstest.Eventually(t, 10*time.Second, s1.Leading)
	b.create(t, everyJob("slow", time.Hour, job.OverlapDelay))
	b.create(t, everyJob("cu", time.Second, job.OverlapAllow))
	natstest.Eventually(t, 10*time.Second, func() bool { return countJob(b.works(t), "cu") >= 2 }, "cu fires")
	require.NoError(t, s1.Stop(t.Context()))

	// What the stopped leader left: slow's next slot waiting for its
	// running execution.
	kv, err := b.js.KeyValue(t.Context(), b.topo.Names().StateBucket())
	require.NoError(t, err)
	slot := time.Now().UTC().Truncate(time.Second)
	var rt job.Runtime
	rt.Buffered = &job.Pending{ID: job.ExecutionID("slow", slot), Job: "slow", At: slot, Slot: slot, Trigger: job.TriggerSchedule}
	data, err := json.Marshal(rt)
	require.NoError(t, err)
	_, err = kv.Put(t.Context(), "slow", data)
	require.NoError(t, err)

	before := countJob(b.works(t), "cu")
	s2 := b.start(t, "second", nil)
	natstest.Eventually(t, 10*time.Second, s2.Leading, "the second replica leads")
	natstest.Eventually(t, 10*time.Second, func() bool { return countJob(b.works(t), "cu") >= before+2 }, "cu fires after the takeover")
	natstest.Eventually(t, 10*time.Second, func() bool {
		for _, w := range b.works(t) {
			if w.ID == rt.Buffered.ID {
				return true
			}
		}
		return false
	}, "the delayed run is published (slow is not running)")
}

func countJob(ws []job.Work, name string) int {
	n := 0
	for _, w := range ws {
		if w.Job == name {
			n++
		}
	}
	return n
}
