package worker_test

import (
	"context"
	"encoding/json"
	"sort"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/worker"
)

// TestWorkersAreMicroServices: every worker is an instance of the NATS
// micro service "<ns>-worker" (what `nats micro ls` and `nats micro info`
// show), with its id, concurrency and kinds in its metadata, its queues
// and slots in its stats, and a status endpoint; a stopped worker is gone.
func TestWorkersAreMicroServices(t *testing.T) {
	t.Parallel()
	env := natstest.Ensured(t)
	names := env.Topo.Names()
	start := func(id string, slots int, kinds ...job.TaskKind) *worker.Worker {
		w, err := worker.New(natstest.Connect(t, env.Srv), worker.Config{ID: id, Topology: env.Topo, Concurrency: slots,
			AllowKinds: kinds, WorkDir: natstest.WorkDir(t)})
		require.NoError(t, err)
		require.NoError(t, w.Start(t.Context()))
		t.Cleanup(func() { _ = w.Stop(context.Background()) })
		return w
	}
	start("w-one", 3)
	two := start("w-two", 5, job.TaskCommand)
	nc := natstest.Connect(t, env.Srv)

	infos := func() map[string]micro.Info {
		out := map[string]micro.Info{}
		inbox := nats.NewInbox()
		sub, err := nc.SubscribeSync(inbox)
		require.NoError(t, err)
		defer sub.Unsubscribe()
		require.NoError(t, nc.PublishRequest("$SRV.INFO."+names.WorkerServiceName(), inbox, nil))
		for {
			m, err := sub.NextMsg(300 * time.Millisecond)
			if err != nil {
				return out
			}
			var info micro.Info
			require.NoError(t, json.Unmarshal(m.Data, &info))
			out[info.Metadata["worker_id"]] = info
		}
	}
	natstest.Eventually(t, 10*time.Second, func() bool { return len(infos()) == 2 }, "both workers answer")
	all := infos()
	require.Equal(t, "3", all["w-one"].Metadata["concurrency"])
	require.Equal(t, "command", all["w-two"].Metadata["kinds"])
	require.Equal(t, worker.Version, all["w-two"].Version)
	subjects := map[string]string{}
	for _, e := range all["w-two"].Endpoints {
		subjects[e.Name] = e.Subject + " " + e.QueueGroup
	}
	require.Equal(t, map[string]string{
		"status": names.WorkerStatusSubject("w-two") + " q",
		"logs":   names.LogStoreSubject() + " " + names.WorkerServiceName() + "-logs",
	}, subjects, "a status endpoint of its own, and the stored-log endpoint every worker shares")

	msg, err := nc.Request(names.WorkerStatusSubject("w-two"), nil, 5*time.Second)
	require.NoError(t, err)
	var status job.WorkerInfo
	require.NoError(t, json.Unmarshal(msg.Data, &status))
	require.Equal(t, "w-two", status.ID)
	require.Equal(t, 5, status.Slots)
	queues := append([]string(nil), status.Queues...)
	sort.Strings(queues)
	require.Equal(t, []string{job.DefaultQueue}, queues)

	msg, err = nc.Request("$SRV.STATS."+names.WorkerServiceName()+"."+all["w-two"].ID, nil, 5*time.Second)
	require.NoError(t, err)
	var stats micro.Stats
	require.NoError(t, json.Unmarshal(msg.Data, &stats))
	require.Len(t, stats.Endpoints, 2)
	for _, e := range stats.Endpoints {
		require.JSONEq(t, `{"queues":["default"],"slots":5,"busy":0}`, string(e.Data), e.Name)
	}

	require.NoError(t, two.Stop(context.Background()))
	natstest.Eventually(t, 10*time.Second, func() bool { _, ok := infos()["w-two"]; return !ok && len(infos()) == 1 }, "a stopped worker is no longer listed")
}
