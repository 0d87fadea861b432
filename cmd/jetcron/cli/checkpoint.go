package cli

import (
	"strconv"

	"github.com/jetcron/jetcron/pkg/job"
)

// maxCheckpointShown is how much of a checkpoint value `job get` prints;
// -o json has all of it.
const maxCheckpointShown = 80

// checkpointRows adds a job's last success and checkpoint to `job get`.
func checkpointRows(t *table, cp *job.Checkpoint) {
	if cp == nil {
		return
	}
	last := cp.LastSuccessSlot
	t.row("last success", fmtTime(&last)+" ("+cp.Execution+")")
	v := cp.Value
	if len(v) > maxCheckpointShown {
		v = job.Echo(v[:maxCheckpointShown])
		t.row("checkpoint", strconv.Quote(v)+" (…"+strconv.Itoa(len(cp.Value))+" bytes; -o json shows all)")
		return
	}
	t.row("checkpoint", strconv.Quote(v))
}

// stateText is an execution's state as the tables show it: a scheduled run
// that waits (overlap delay, a concurrency key, a queue's cap) is delayed.
func stateText(x job.Execution) string {
	if x.State == job.StateScheduled && x.Delayed {
		return "delayed"
	}
	return string(x.State)
}
