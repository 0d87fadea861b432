package watchdog

import (
	"time"

	"github.com/jetcron/jetcron/pkg/alert"
	"github.com/jetcron/jetcron/pkg/health"
)

// heldState is a job's stored health state as its activity holds it: what
// a round reads of it and carries into the next state it writes (the job's
// name, the schema version, the detector and the write's time are set
// anew on every write), its times in Unix nanoseconds and its health
// sharing the constants' bytes. 88 bytes where a health.State is 200: every
// job that has run has one, on every replica.
type heldState struct {
	health                   alert.Health
	reason, execution        string
	since, slot, lastSuccess int64 // Unix nanoseconds; 0: the zero time
	seq                      uint64
	failures                 int
}

// holdState is s as an activity holds it.
func holdState(s health.State) heldState {
	return heldState{health: canonical(s.Health, priority), reason: s.Reason, execution: s.Execution,
		since: nanos(s.Since), slot: nanos(s.Slot), lastSuccess: nanos(s.LastSuccess), seq: s.Seq, failures: s.ConsecutiveFailures}
}

// state is the stored state h holds, of job name.
func (h *heldState) state(name string) health.State {
	return health.State{Job: name, Health: h.health, Since: fromNanos(h.since), Reason: h.reason, Slot: fromNanos(h.slot),
		Execution: h.execution, ConsecutiveFailures: h.failures, LastSuccess: fromNanos(h.lastSuccess), Seq: h.seq}
}

// slotTime is the held state's slot.
func (h *heldState) slotTime() time.Time { return fromNanos(h.slot) }

// nanos is t in Unix nanoseconds, 0 for the zero time.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromNanos is the UTC time of n Unix nanoseconds, the zero time for 0.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
