package notifier

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/jetcron/jetcron/pkg/alert"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/notify"
	"github.com/jetcron/jetcron/pkg/streamio"
)

// BenchmarkRealertScan200k measures one re-alert scan of a sink that has
// handled 200,000 jobs' alerts, every one still failing and none due yet
// (the scan reads them all to find the due ones), fsync always.
func BenchmarkRealertScan200k(b *testing.B) {
	const jobs = 200_000
	env := natstest.Ensured(b)
	kv, err := env.JS.KeyValue(b.Context(), env.Topo.Names().NotifyBucket())
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	msgs := make([]*nats.Msg, jobs)
	for i := range msgs {
		name := fmt.Sprintf("job-%06d", i)
		st := notify.State{Seq: uint64(i + 1), Sent: now, Alert: alert.Alert{Job: name, Health: alert.Failing, Previous: alert.OK, Time: now}}
		data, err := json.Marshal(st)
		if err != nil {
			b.Fatal(err)
		}
		msgs[i] = &nats.Msg{Subject: "$KV." + kv.Bucket() + "." + notify.StateKey("pager", name), Data: data}
	}
	for _, a := range streamio.Pipelined(b.Context(), env.NC, env.JS, msgs) {
		if a.Err != nil {
			b.Fatal(a.Err)
		}
	}
	n, err := New(env.NC, Config{Topology: env.Topo, ID: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	w := &sinkWorker{name: "pager", queue: make(chan task, 64)}
	w.def.Store(&notify.Sink{Name: "pager", Webhook: "http://127.0.0.1:1/", Realert: job.Duration(time.Hour)})
	for b.Loop() {
		start := time.Now()
		if err := n.realertSink(b.Context(), notify.Store{KV: kv}, w); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "scan-s")
	}
}
