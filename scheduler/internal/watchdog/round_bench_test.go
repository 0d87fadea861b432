package watchdog

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/jetcron/jetcron/pkg/clock"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/streamio"
)

// BenchmarkRoundOfAnOutage20k measures the round in which 20,000 jobs
// every second turn unaccounted at once (no leader fires them: an outage):
// 20,000 alerts appended and 20,000 states written, fsync always.
func BenchmarkRoundOfAnOutage20k(b *testing.B) {
	const jobs = 20_000
	for b.Loop() {
		nc, js, topo := setup(b)
		now := time.Now().UTC().Truncate(time.Second)
		fake := clock.NewFake(now)
		msgs := make([]*nats.Msg, jobs)
		for i := range msgs {
			name := fmt.Sprintf("tick-%05d", i)
			spec, err := job.Spec{Name: name, Schedule: job.Schedule{Every: job.Duration(time.Second)},
				Task:      job.Task{Kind: job.TaskCommand, Command: []string{"true"}},
				CreatedAt: now, EnabledAt: now, Expect: job.Expect{StartWithin: job.Duration(2 * time.Second)}}.Normalize()
			if err != nil {
				b.Fatal(err)
			}
			data, err := json.Marshal(spec)
			if err != nil {
				b.Fatal(err)
			}
			msgs[i] = &nats.Msg{Subject: "$KV." + topo.Names().JobsBucket() + "." + name, Data: data}
		}
		for _, a := range streamio.Pipelined(b.Context(), nc, js, msgs) {
			if a.Err != nil {
				b.Fatal(a.Err)
			}
		}
		w := New(nc, js, Config{Topology: topo, Detector: "a", Interval: time.Hour, Clock: fake})
		if err := w.Start(b.Context()); err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(b.Context(), 10*time.Minute)
		if err := w.Check(ctx); err != nil { // the first states
			b.Fatal(err)
		}
		fake.Advance(5 * time.Second)
		start := time.Now()
		if err := w.Check(ctx); err != nil {
			b.Fatal(err)
		}
		round := time.Since(start)
		cancel()
		_ = w.Stop(context.Background())
		b.ReportMetric(round.Seconds(), "round-s")
		b.ReportMetric(jobs/round.Seconds(), "changes/s")
	}
}
