package claim_test

import (
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/worker/internal/claim"
)

// TestClaimOnOneAndThreeReplicas runs the claim protocol on a single server
// and on an R3 cluster, whose revision conflicts are reported with other
// error codes (10071 against 10071 or 10164).
func TestClaimOnOneAndThreeReplicas(t *testing.T) {
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
			kv, err := js.KeyValue(ctx, topo.Names().ClaimsBucket())
			require.NoError(t, err)
			now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
			const id = "nightly-20260301T120000Z"

			// Eight copies of one execution (eight messages: a slot published
			// again after the stream forgot its ID) reach eight workers at
			// once: one message wins, every other copy is a duplicate.
			type got struct {
				c   *claim.Claim
				out claim.Outcome
				err error
			}
			results := make(chan got, 8)
			var wg sync.WaitGroup
			for i := range 8 {
				wg.Go(func() {
					c, out, err := claim.Acquire(ctx, kv, id, uint64(7+i), 1, "w"+string(rune('a'+i)), now)
					results <- got{c, out, err}
				})
			}
			wg.Wait()
			close(results)
			var owner *claim.Claim
			counts := map[claim.Outcome]int{}
			for r := range results {
				require.NoError(t, r.err, "a racing copy is decided, not left in doubt")
				counts[r.out]++
				if r.out == claim.Acquired {
					owner = r.c
				}
			}
			require.Equal(t, 1, counts[claim.Acquired], "exactly one attempt owns the execution: %v", counts)
			require.Equal(t, 7, counts[claim.Duplicate], "every other copy is a duplicate: %v", counts)
			require.NotNil(t, owner)
			seq := owner.Record().Seq

			// The owner's worker freezes; the message is redelivered as attempt
			// 2 and takes the claim over.
			next, out, err := claim.Acquire(ctx, kv, id, seq, 2, "other", now.Add(time.Minute))
			require.NoError(t, err)
			require.Equal(t, claim.TookOver, out)
			require.Equal(t, 1, next.Previous.Attempt)

			// The frozen attempt wakes up: every write is fenced.
			require.ErrorIs(t, owner.Renew(ctx, now.Add(2*time.Minute)), claim.ErrSuperseded)
			require.ErrorIs(t, owner.Finish(ctx, "succeeded", now.Add(2*time.Minute)), claim.ErrSuperseded)
			require.ErrorIs(t, owner.Failed(ctx, now.Add(2*time.Minute)), claim.ErrSuperseded)

			// A late delivery of attempt 1 is stale; attempt 2 finishes; a copy
			// delivered afterwards is acked without running.
			_, out, err = claim.Acquire(ctx, kv, id, seq, 1, "late", now.Add(2*time.Minute))
			require.NoError(t, err)
			require.Equal(t, claim.Stale, out)
			require.NoError(t, next.Finish(ctx, "succeeded", now.Add(3*time.Minute)))
			_, out, err = claim.Acquire(ctx, kv, id, seq, 3, "again", now.Add(4*time.Minute))
			require.NoError(t, err)
			require.Equal(t, claim.Finished, out)
			_, out, err = claim.Acquire(ctx, kv, id, seq+100, 1, "copy", now.Add(4*time.Minute))
			require.NoError(t, err)
			require.Equal(t, claim.Duplicate, out)

			status, err := kv.Status(ctx)
			require.NoError(t, err)
			require.Equal(t, replicas, status.(*jetstream.KeyValueBucketStatus).StreamInfo().Config.Replicas)
		})
	}
}
