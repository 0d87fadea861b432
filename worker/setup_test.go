package worker

import (
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/natstest"
)

// A worker that tries to open its stores before they exist tries again
// later and then has working stores, not a nil one behind a non-nil
// interface (its first run dereferenced it).
func TestOpenAgainAfterTheStoresAppear(t *testing.T) {
	t.Parallel()
	srv := natstest.RunJetStream(t)
	nc := natstest.Connect(t, srv)
	topo := natstest.Topology(t)
	w, err := New(nc, Config{Topology: topo, WorkDir: natstest.WorkDir(t)})
	require.NoError(t, err)

	js, err := jetstream.New(nc)
	require.NoError(t, err)
	w.js = js
	for _, kv := range topo.KeyValueConfigs() {
		if kv.Bucket == topo.Names().ClaimsBucket() || kv.Bucket == topo.Names().CheckpointsBucket() {
			_, err := js.CreateKeyValue(t.Context(), kv)
			require.NoError(t, err)
		}
	}
	require.Error(t, w.open(t.Context()), "the buckets are there, the object stores not yet")

	natstest.Ensure(t, js, topo)
	require.NoError(t, w.open(t.Context()))
	require.NotPanics(t, func() { _ = w.cfg.Logs.URL("k") })
	require.NotPanics(t, func() { _ = w.scripts.URL("k") })
}
