package worker_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/topology"
)

// testSlot is the slot the tests that publish their own work items use.
var testSlot = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// publishSlot publishes the work item of spec's testSlot to the default
// queue, as a leader would, and returns it with its stream sequence.
func publishSlot(t *testing.T, js jetstream.JetStream, names topology.Names, spec job.Spec) (job.Work, uint64) {
	t.Helper()
	spec = spec.WithDefaults()
	w := job.Work{V: job.WorkVersion, ID: job.ExecutionID(spec.Name, testSlot), Job: spec.Name, ScheduledAt: testSlot, Trigger: job.TriggerSchedule, Spec: spec}
	data, err := json.Marshal(w)
	require.NoError(t, err)
	ack, err := js.Publish(t.Context(), names.WorkSubject(job.DefaultQueue, spec.Name, w.ID, false), data)
	require.NoError(t, err)
	return w, ack.Sequence
}
