package scheduler

import (
	"context"
	"time"

	"github.com/jetcron/jetcron/pkg/claim"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
)

// skipWait bounds the writes of skipContended and emitFirst, which the
// leader's loop waits for.
const skipWait = 2 * time.Second

// skipContended records e, the skipped event of a pending or delayed run,
// unless a cancel of the run came first. The API cancels such a run while
// the leader may be deciding about it, and each records its own end: the
// run's claim decides which one is its end (pkg/claim End, the write the
// API's cancel makes too). The skip is recorded once the claim says
// skipped; a claim that says cancelled means the cancel came first and
// recorded itself. A claim the leader cannot write (NATS is busy) does
// not hold the skip back: the run is recorded skipped, as it was before
// claims decided it. Only such runs pay the write (slots a job skips
// cannot be cancelled before they exist); it is rare, and the loop waits
// for it.
func (r *leaderRun) skipContended(e event.Event) {
	ctx, cancel := context.WithTimeout(context.Background(), skipWait)
	defer cancel()
	kv := r.claims
	var err error
	if kv == nil {
		if kv, err = r.s.js.KeyValue(ctx, r.s.names.ClaimsBucket()); err == nil {
			r.claims = kv
		}
	}
	var got claim.CancelOutcome
	var rec claim.Record
	if err == nil {
		got, rec, err = claim.End(ctx, kv, e.Execution, 0, string(job.StateSkipped), 0, "scheduler "+r.s.cfg.ID, r.now(), 0)
	}
	switch {
	case err != nil:
		r.log.Warn("recording a run skipped without its claim", "execution_id", e.Execution, "error", err)
	case got == claim.Over && rec.Final != string(job.StateSkipped):
		r.log.Info("not recording a run skipped: it ended first", "execution_id", e.Execution, "final", rec.Final)
		return
	}
	r.emit(e)
}

// emitFirst records e unless its execution has an event of its kind
// already (event.PublishFirst): an end that another role records too. The
// API records the cancel of a delayed run itself and leaves the request
// for the leader to drop the run, which a leader elected after an outage
// longer than the stream's duplicate window would record a second time.
// The loop waits for the write (bounded); a write that fails goes with
// the round's events instead.
func (r *leaderRun) emitFirst(e event.Event) {
	ctx, cancel := context.WithTimeout(context.Background(), skipWait)
	defer cancel()
	if err := r.events.pub.PublishFirst(ctx, e); err != nil {
		r.log.Warn("recording an end with the round's events", "execution_id", e.Execution, "kind", e.Kind, "error", err)
		r.emit(e)
	}
}
