package retention_test

import (
	"context"
	"testing"
	"time"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/retention"
)

// readOnly is the events stream as a dry prune reads it.
type readOnly struct{ *event.Reader }

func (readOnly) PurgeExecution(context.Context, string, string) error { return nil }
func (readOnly) Record(context.Context, event.Event) error            { return nil }

// BenchmarkPruneAJobThatKeepsTen measures what a leader's prune round
// spends on one job that keeps its last ten executions and has nothing to
// delete (ten executions, three events each, in a real events stream): a
// round that pruned every such job paid it for each.
func BenchmarkPruneAJobThatKeepsTen(b *testing.B) {
	env := natstest.Ensured(b)
	pub := event.NewPublisher(env.JS, env.Topo.Names())
	base := time.Now().Add(-24 * time.Hour).Truncate(time.Hour)
	for i := range 10 {
		slot := base.Add(time.Duration(i) * time.Hour)
		id := job.ExecutionID("j", slot)
		for _, e := range []event.Event{
			{Kind: event.Scheduled, Job: "j", Execution: id, Time: slot, ScheduledAt: event.Slot(slot)},
			{Kind: event.Started, Job: "j", Execution: id, Time: slot, Attempt: 1, Worker: "w"},
			{Kind: event.Succeeded, Job: "j", Execution: id, Time: slot.Add(time.Second), Attempt: 1},
		} {
			if _, err := pub.Publish(b.Context(), e); err != nil {
				b.Fatal(err)
			}
		}
	}
	evs := readOnly{event.NewReader(env.NC, env.JS, env.Topo.Names())}
	spec := job.Spec{Name: "j", Retention: &job.Retention{Executions: 10}}
	for b.Loop() {
		p, err := retention.PruneExecutions(b.Context(), evs, spec, time.Now(), retention.DefaultFloor, true)
		if err != nil || len(p.Deleted) != 0 || p.Kept != 10 {
			b.Fatalf("%+v %v", p, err)
		}
	}
}
