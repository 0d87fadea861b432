package topology_test

import (
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/streamio"
	"github.com/jetcron/jetcron/pkg/topology"
)

// KeyValueStreamConfig is the configuration the client makes for each of
// jetcron's buckets: creating it over a bucket the client made is a no-op
// (the server refuses a create whose configuration differs).
func TestKeyValueStreamConfigMatchesClient(t *testing.T) {
	t.Parallel()
	js := natstest.JetStream(t, natstest.Connect(t, natstest.RunJetStream(t)))
	for _, replicas := range []int{0, 1} {
		topo := natstest.Topology(t)
		topo.Namespace += strconv.Itoa(replicas)
		topo.Replicas = replicas
		for _, kv := range topo.KeyValueConfigs() {
			_, err := js.CreateKeyValue(t.Context(), kv)
			require.NoError(t, err, kv.Bucket)
			_, err = js.CreateStream(t.Context(), topology.KeyValueStreamConfig(kv))
			require.NoError(t, err, "%s: the stream differs from the client's", kv.Bucket)
		}
	}
}

// Ensure lets the state and claims buckets take atomic batches, also on a
// bucket an older version made, and a second Ensure changes nothing.
func TestEnsureBucketsTakeAtomicBatches(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"state", "claims", "health"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			topo := natstest.Topology(t)
			bucket := map[string]string{"state": topo.Names().StateBucket(), "claims": topo.Names().ClaimsBucket(),
				"health": topo.Names().HealthBucket()}[name]
			testBucketTakesAtomicBatches(t, topo, bucket)
		})
	}
}

func testBucketTakesAtomicBatches(t *testing.T, topo topology.Config, bucket string) {
	nc := natstest.Connect(t, natstest.RunJetStream(t))
	js := natstest.JetStream(t, nc)
	for _, kv := range topo.KeyValueConfigs() {
		if kv.Bucket == bucket {
			_, err := js.CreateKeyValue(t.Context(), kv) // as an older version made it
			require.NoError(t, err)
		}
	}
	natstest.Ensure(t, js, topo)
	st, err := js.Stream(t.Context(), "KV_"+bucket)
	require.NoError(t, err)
	require.True(t, st.CachedInfo().Config.AllowAtomicPublish)

	var updates atomic.Int64
	sub, err := nc.Subscribe("$JS.API.STREAM.UPDATE.>", func(*nats.Msg) { updates.Add(1) })
	require.NoError(t, err)
	require.NoError(t, nc.Flush())
	natstest.Ensure(t, js, topo)
	require.NoError(t, nc.Flush())
	require.NoError(t, sub.Unsubscribe())
	require.Zero(t, updates.Load(), "ensuring an ensured namespace updates nothing")

	// Revision-checked writes commit together, and a stale one refuses all.
	kv, err := js.KeyValue(t.Context(), bucket)
	require.NoError(t, err)
	rev, err := kv.Put(t.Context(), "a", []byte("1"))
	require.NoError(t, err)
	write := func(key string, expect uint64) *nats.Msg {
		m := nats.NewMsg("$KV." + bucket + "." + key)
		m.Data = []byte("2")
		m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(expect, 10))
		return m
	}
	ack, err := streamio.AtomicBatch(t.Context(), nc, []*nats.Msg{write("a", rev), write("b", 0)})
	require.NoError(t, err)
	require.Equal(t, 2, ack.Count)
	_, err = streamio.AtomicBatch(t.Context(), nc, []*nats.Msg{write("c", 0), write("a", rev)})
	require.Error(t, err)
	_, err = kv.Get(t.Context(), "c")
	require.ErrorIs(t, err, jetstream.ErrKeyNotFound, "a refused batch stores nothing")
}

// An events stream an older version made denies purges, which NATS cannot
// lift: Ensure keeps it so instead of failing (per-job retention then says
// it cannot delete); a new one allows purges and denies deletes.
func TestEnsureKeepsAnOlderEventsStreamsDenyPurge(t *testing.T) {
	t.Parallel()
	js := natstest.JetStream(t, natstest.Connect(t, natstest.RunJetStream(t)))
	older, newer := natstest.Topology(t), natstest.Topology(t)
	older.Namespace += "old"
	sc := older.EventsStreamConfig()
	sc.DenyPurge = true
	_, err := js.CreateStream(t.Context(), sc)
	require.NoError(t, err)
	for _, topo := range []topology.Config{older, newer} {
		natstest.Ensure(t, js, topo)
	}
	st, err := js.Stream(t.Context(), older.Names().EventsStream())
	require.NoError(t, err)
	require.True(t, st.CachedInfo().Config.DenyPurge)
	st, err = js.Stream(t.Context(), newer.Names().EventsStream())
	require.NoError(t, err)
	require.False(t, st.CachedInfo().Config.DenyPurge)
	require.True(t, st.CachedInfo().Config.DenyDelete)
}
