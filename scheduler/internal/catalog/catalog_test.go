package catalog

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/job"
)

// TestDecodePendingRefusesASlotID: the pending bucket may be written by
// another path than the API; a run under a slot's id (or claiming to be a
// slot) is refused, while a cancel request for a delayed slot is not.
func TestDecodePendingRefusesASlotID(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	slotID := job.ExecutionID("victim", at)
	enc := func(p job.Pending) []byte { b, _ := json.Marshal(p); return b }

	_, err := DecodePending(slotID, enc(job.Pending{ID: slotID, Job: "victim", At: at, Trigger: job.TriggerEnqueue}))
	require.ErrorContains(t, err, "scheduled slot")
	_, err = DecodePending(slotID, enc(job.Pending{ID: slotID, Job: "victim", At: at, Trigger: job.TriggerSchedule}))
	require.Error(t, err)
	adhoc := job.AdHocExecutionID("victim", at)
	_, err = DecodePending(adhoc, enc(job.Pending{ID: adhoc, Job: "victim", At: at, Trigger: job.TriggerSchedule}))
	require.ErrorContains(t, err, "only the schedule")

	p, err := DecodePending(adhoc, enc(job.Pending{ID: adhoc, Job: "victim", At: at, Trigger: job.TriggerEnqueue}))
	require.NoError(t, err)
	require.Equal(t, adhoc, p.ID)
	_, err = DecodePending(slotID, enc(job.Pending{ID: slotID, Job: "victim", At: at, Trigger: job.TriggerSchedule, Cancel: "stop"}))
	require.NoError(t, err, "a cancel request may name a delayed slot")
}
