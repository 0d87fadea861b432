package streamio_test

import (
	"errors"
	"strconv"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/streamio"
)

// Calls of growing size on one stream: fewer than MinAtomicBatch go one
// by one, the others in atomic batches, more of them than are in flight
// at once; every message is stored, in the order given.
func TestPipelinedStoresEverythingInOrder(t *testing.T) {
	t.Parallel()
	const max, few = streamio.MaxAtomicBatch, streamio.MinAtomicBatch - 1
	b := setup(t)
	stream := b.stream(t, streamOptions{atomic: true})
	sp := spyOn(t, b.nc, stream+".>")
	var all []*nats.Msg
	for _, c := range []struct{ n, batched int }{
		{n: few},
		{n: few + 1, batched: few + 1},
		{n: (streamio.BatchesInFlight+2)*max + few, batched: (streamio.BatchesInFlight + 2) * max},
	} {
		msgs := makeMsgs(stream, c.n)
		acks := streamio.Pipelined(t.Context(), b.nc, b.js, msgs)
		for i, a := range acks {
			require.Equal(t, streamio.Ack{Seq: uint64(len(all) + i + 1)}, a, "message %d of %d", i, c.n)
		}
		batched, single := sp.counts(t)
		require.Equal(t, [2]int{c.batched, c.n - c.batched}, [2]int{batched, single}, "messages in batches and one by one, of %d", c.n)
		requireNoBatchHeaders(t, msgs)
		all = append(all, msgs...)
	}
	stored := b.readAll(t, stream)
	require.Len(t, stored, len(all))
	for i, m := range stored {
		require.Equal(t, all[i].Data, m.Data, "message %d stored in the order given", i)
		require.Empty(t, all[i].Reply, "message %d keeps a reply subject", i)
	}
}

// A stream without atomic publish refuses every batch: each chunk is then
// published one by one.
func TestPipelinedWithoutAtomicPublish(t *testing.T) {
	t.Parallel()
	b := setup(t)
	stream := b.stream(t, streamOptions{})
	n := 2*streamio.MaxAtomicBatch + 500
	acks := streamio.Pipelined(t.Context(), b.nc, b.js, makeMsgs(stream, n))
	for i, a := range acks {
		require.Equal(t, uint64(i+1), a.Seq, "message %d", i)
		require.NoError(t, a.Err)
	}
	require.Equal(t, uint64(n), b.count(t, stream))
}

// A batch refused, one not built and one not sent each get their own
// answer; the batches around them are stored, in order.
func TestAtomicBatchesAnswersEachBatch(t *testing.T) {
	t.Parallel()
	b := setup(t)
	stream := b.stream(t, streamOptions{atomic: true})
	_, err := b.js.PublishMsg(t.Context(), withID(stream+".a", "seed", "seed"))
	require.NoError(t, err)
	batch := func(prefix string, n int) []*nats.Msg {
		msgs := make([]*nats.Msg, n)
		for i := range msgs {
			msgs[i] = withID(stream+".b", prefix+strconv.Itoa(i), prefix)
		}
		return msgs
	}
	refused := batch("refused", 20)
	refused[7] = withID(stream+".b", "seed", "again") // already stored
	batches := [][]*nats.Msg{batch("one", 20), refused, nil, batch("two", 30), batch("late", 10)}
	errBuild := errors.New("cannot build")
	asked := 0

	res := streamio.AtomicBatches(t.Context(), b.nc, len(batches), func(i int) ([]*nats.Msg, error) {
		if batches[i] == nil {
			return nil, errBuild
		}
		return batches[i], nil
	}, 2, func() bool { asked++; return asked <= 4 })

	require.Len(t, res, 5)
	require.NoError(t, res[0].Err)
	require.Equal(t, streamio.BatchAck{Stream: stream, Seq: 21, Count: 20}, res[0].Ack)
	var be *streamio.BatchError
	require.ErrorAs(t, res[1].Err, &be)
	require.ErrorIs(t, res[2].Err, errBuild)
	require.NoError(t, res[3].Err)
	require.Equal(t, streamio.BatchAck{Stream: stream, Seq: 51, Count: 30}, res[3].Ack)
	require.ErrorIs(t, res[4].Err, streamio.ErrNotSent)
	stored := b.readAll(t, stream)
	require.Len(t, stored, 51)
	require.Equal(t, "one", string(stored[1].Data))
	require.Equal(t, "two", string(stored[21].Data))
	for _, msgs := range batches {
		requireNoBatchHeaders(t, msgs)
	}
}
