package scheduler

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/natstest"
)

// TestStateCASOnOneAndThreeReplicas proves the cursor fencing on a single
// server (conflict code 10071) and on an R3 cluster (10164): a leader of an
// older term cannot overwrite a cursor that a newer term wrote, and a
// conflict with our own term's write keeps the newer cursor.
func TestStateCASOnOneAndThreeReplicas(t *testing.T) {
	t.Parallel()
	for _, replicas := range []int{1, 3} {
		t.Run(map[int]string{1: "R1", 3: "R3"}[replicas], func(t *testing.T) {
			t.Parallel()
			var nc *nats.Conn
			if replicas == 1 {
				nc = natstest.Connect(t, natstest.RunJetStream(t))
			} else {
				nc = natstest.ConnectCluster(t, natstest.RunCluster(t, 3))
			}
			js := natstest.JetStream(t, nc)
			topo := natstest.Topology(t)
			topo.Replicas = replicas
			natstest.Ensure(t, js, topo)
			ctx := t.Context()
			kv, err := js.KeyValue(ctx, topo.Names().StateBucket())
			require.NoError(t, err)
			info, err := kv.Status(ctx)
			require.NoError(t, err)
			require.Equal(t, replicas, info.(*jetstream.KeyValueBucketStatus).StreamInfo().Config.Replicas)

			t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
			old := newStateStore(kv, 5)
			e := old.get("nightly")
			e.rt.LastSlot = t0
			old.markDirty("nightly")
			require.NoError(t, old.flush(ctx, nc, js))

			// A newer leader loads the state and advances the cursor.
			newer := newStateStore(kv, 7)
			require.NoError(t, newer.load(ctx))
			require.Equal(t, t0, newer.get("nightly").rt.LastSlot)
			newer.get("nightly").rt.LastSlot = t0.Add(time.Minute)
			newer.markDirty("nightly")
			require.NoError(t, newer.flush(ctx, nc, js))

			// The old leader wakes up and tries to record a fire: fenced.
			e.rt.LastSlot = t0.Add(2 * time.Minute)
			old.markDirty("nightly")
			err = old.flush(ctx, nc, js)
			require.ErrorIs(t, err, errStale)

			// The same term with a stale revision (its own earlier write whose
			// answer was lost) keeps the newer cursor, never moves it back.
			again := newStateStore(kv, 7)
			ae := again.get("nightly")
			ae.rev = 1 // stale on purpose
			ae.rt.LastSlot = t0.Add(30 * time.Second)
			again.markDirty("nightly")
			require.NoError(t, again.flush(ctx, nc, js))
			check := newStateStore(kv, 0)
			require.NoError(t, check.load(ctx))
			require.Equal(t, t0.Add(time.Minute), check.get("nightly").rt.LastSlot, "the cursor never moves backwards")
			// A get may be answered by a replica that has not applied the
			// last write yet (direct gets on R3): wait for it to catch up.
			natstest.Eventually(t, 10*time.Second, func() bool {
				cur, err := kv.Get(ctx, "nightly")
				return err == nil && cur.Revision() == check.get("nightly").rev
			}, "the stored revision is the one the state loaded")

			// The raw conflicts: a stale revision is 10071 everywhere; on a
			// replicated stream, writes racing for one key are refused with
			// 10164 before the proposal. The client maps both onto the same
			// errors, which is all our code matches.
			_, err = kv.Update(ctx, "nightly", []byte(`{}`), 1)
			require.ErrorIs(t, err, jetstream.ErrKeyRevisionMismatch)
			var stale *jetstream.APIError
			require.True(t, errors.As(err, &stale))
			codes := map[jetstream.ErrorCode]int{stale.ErrorCode: 1}
			for round := 0; round < 50 && (replicas == 1 && round < 5 || replicas > 1 && codes[jetstream.JSErrCodeStreamWrongLastSequenceConstant] == 0); round++ {
				key := fmt.Sprintf("race%d", round)
				rev, err := kv.Create(ctx, key, []byte(`{}`))
				require.NoError(t, err)
				const racers = 16
				type result struct {
					create bool
					err    error
				}
				results := make(chan result, 2*racers)
				var wg sync.WaitGroup
				for range racers {
					wg.Go(func() {
						_, err := kv.Update(ctx, key, []byte(`{"x":1}`), rev)
						results <- result{err: err}
					})
					wg.Go(func() {
						_, err := kv.Create(ctx, key+"-new", []byte(`{}`))
						results <- result{create: true, err: err}
					})
				}
				wg.Wait()
				close(results)
				updated, created := 0, 0
				for r := range results {
					switch {
					case r.err == nil && r.create:
						created++
						continue
					case r.err == nil:
						updated++
						continue
					}
					var apiErr *jetstream.APIError
					require.True(t, errors.As(r.err, &apiErr), "%v", r.err)
					codes[apiErr.ErrorCode]++
					if r.create {
						require.ErrorIs(t, r.err, jetstream.ErrKeyExists)
					} else {
						require.ErrorIs(t, r.err, jetstream.ErrKeyRevisionMismatch)
					}
				}
				require.Equal(t, 1, updated, "exactly one racing update wins")
				require.Equal(t, 1, created, "exactly one racing create wins")
			}
			t.Logf("conflict codes seen on R%d: %v", replicas, codes)
			require.NotZero(t, codes[jetstream.JSErrCodeStreamWrongLastSequence])
			if replicas > 1 {
				require.NotZero(t, codes[jetstream.JSErrCodeStreamWrongLastSequenceConstant], "R3 reports racing writes as 10164")
			} else {
				require.Zero(t, codes[jetstream.JSErrCodeStreamWrongLastSequenceConstant])
			}
		})
	}
}
