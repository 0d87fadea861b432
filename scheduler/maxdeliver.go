package scheduler

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/streamio"
)

// maxDeliveries is the advisory JetStream publishes when a message has been
// delivered MaxDeliver times and will not be delivered again.
type maxDeliveries struct {
	Stream     string `json:"stream"`
	Consumer   string `json:"consumer"`
	StreamSeq  uint64 `json:"stream_seq"`
	Deliveries uint64 `json:"deliveries"`
}

// watchMaxDeliveries settles work messages that ran out of deliveries
// without a result — every attempt was lost with its worker, so no worker
// recorded a failure and terminated the message. Such a message would stay
// in the work-queue stream forever (and, for an exclusive job, block it):
// the leader records the execution as failed and removes the message.
func (r *leaderRun) watchMaxDeliveries(ctx context.Context) error {
	subject := "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + r.s.names.WorkStream() + ".*"
	sub, err := r.s.nc.Subscribe(subject, func(m *nats.Msg) {
		var adv maxDeliveries
		if json.Unmarshal(m.Data, &adv) != nil || adv.StreamSeq == 0 {
			return
		}
		r.bg.Add(1)
		go func() {
			defer r.bg.Done()
			r.settleExhausted(ctx, adv)
		}()
	})
	if err != nil {
		return fmt.Errorf("subscribe to max-deliveries advisories: %w", err)
	}
	context.AfterFunc(ctx, func() { _ = sub.Unsubscribe() })
	return nil
}

func (r *leaderRun) settleExhausted(ctx context.Context, adv maxDeliveries) {
	if !r.lease.Valid() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	msgs, err := streamio.DirectBatch(ctx, r.s.nc, streamio.DirectRequest{Stream: r.s.names.WorkStream(), Seq: adv.StreamSeq, Batch: 1})
	if err != nil || len(msgs) == 0 || msgs[0].Seq != adv.StreamSeq {
		return // already gone: a worker settled it
	}
	var w job.Work
	if err := json.Unmarshal(msgs[0].Data, &w); err == nil && w.ID != "" {
		if x, err := event.NewReader(r.s.nc, r.s.js, r.s.names).Get(ctx, w.ID); err != nil || !x.State.Final() {
			reason := fmt.Sprintf("gave up after %d deliveries: the last attempts ended without a result (their workers were lost)", adv.Deliveries)
			_, err := r.events.pub.Publish(ctx, event.Event{Kind: event.Failed, Job: w.Job, Execution: w.ID, Time: r.now(), Attempt: int(adv.Deliveries), Error: reason})
			if err != nil {
				r.log.WarnContext(ctx, "cannot record an exhausted execution; leaving its message", "execution_id", w.ID, "error", err)
				return
			}
		}
	}
	stream, err := r.s.js.Stream(ctx, r.s.names.WorkStream())
	if err == nil {
		err = stream.DeleteMsg(ctx, adv.StreamSeq)
	}
	if err != nil {
		r.log.WarnContext(ctx, "cannot remove an exhausted work message", "seq", adv.StreamSeq, "error", err)
		return
	}
	r.log.WarnContext(ctx, "removed a work message that ran out of deliveries", "execution_id", w.ID, "deliveries", adv.Deliveries)
}
