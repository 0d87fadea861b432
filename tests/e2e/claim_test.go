package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
)

// TestSecondCopyAfterAckDoesNotRun: a copy of an execution that reaches
// the work stream after the first was acked — as after a server restart
// that forgot the acked message's ID — is dropped by the claim.
func TestSecondCopyAfterAckDoesNotRun(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	marks := filepath.Join(natstest.SharedDir(t), "runs")
	s.ok("job", "create", "once", "--every", "1h", "--", "sh", "-c", "echo $JETCRON_EXECUTION_ID >> "+marks)
	id := strings.TrimSpace(s.ok("job", "run", "once"))
	s.waitState(id, 15*time.Second, job.StateSucceeded)
	js := natstest.JetStream(t, s.nc)
	natstest.Eventually(t, 5*time.Second, func() bool { return natstest.MsgCount(t, js, s.topo.Names().WorkStream()) == 0 }, "acked")

	// Rebuild the work item and publish it again under a new message ID.
	// Its scheduled event may be recorded after its final one (the leader
	// records a slot once the work stream holds it).
	var sched event.Event
	natstest.Eventually(t, 5*time.Second, func() bool {
		evs, err := s.client.Events(t.Context(), id)
		require.NoError(t, err)
		for _, e := range evs {
			if e.Kind == event.Scheduled {
				sched = e
			}
		}
		return sched.ScheduledAt != nil
	}, "scheduled event")
	spec, err := s.client.GetJob(t.Context(), "once")
	require.NoError(t, err)
	w := job.Work{V: job.WorkVersion, ID: id, Job: "once", ScheduledAt: *sched.ScheduledAt, Trigger: job.TriggerManual, Spec: spec.Spec, Revision: spec.Revision}
	data, err := json.Marshal(w)
	require.NoError(t, err)
	m := nats.NewMsg(s.topo.Names().WorkSubject("default", "once", id, true))
	m.Data = data
	m.Header.Set("Nats-Msg-Id", id+"/replayed")
	_, err = js.PublishMsg(t.Context(), m)
	require.NoError(t, err)

	natstest.Eventually(t, 15*time.Second, func() bool { return natstest.MsgCount(t, js, s.topo.Names().WorkStream()) == 0 }, "the copy is consumed")
	lines, err := os.ReadFile(marks)
	require.NoError(t, err)
	require.Equal(t, id+"\n", string(lines), "the command ran once")
	evs, err := s.client.Events(t.Context(), id)
	require.NoError(t, err)
	started := 0
	for _, e := range evs {
		if e.Kind == event.Started {
			started++
		}
	}
	require.Equal(t, 1, started)
}
