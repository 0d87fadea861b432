package streamio_test

import (
	"errors"
	"fmt"
	"strconv"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/streamio"
)

// PublishAll stores every message in order and answers with its sequence:
// through atomic batches of up to MaxAtomicBatch on a stream that allows
// them, and one by one after the stream refused the batch otherwise.
func TestPublishAllStoresEverythingInOrder(t *testing.T) {
	t.Parallel()
	const max = streamio.MaxAtomicBatch
	tests := []struct {
		name        string
		atomic      bool
		n           int
		wantBatched int // messages published as parts of atomic batches
		wantSingle  int // messages published one by one
	}{
		{name: "AtomicOneBatch", atomic: true, n: 5, wantBatched: 5},
		// Chunks of 1000, 1000 and 1: a single message needs no batch.
		{name: "AtomicSeveralBatches", atomic: true, n: 2*max + 1, wantBatched: 2 * max, wantSingle: 1},
		{name: "AtomicOneMessage", atomic: true, n: 1, wantSingle: 1},
		// Every chunk is offered as a batch, refused, then sent one by one.
		{name: "NotAtomic", atomic: false, n: 5, wantBatched: 5, wantSingle: 5},
		{name: "NotAtomicSeveralChunks", atomic: false, n: max + 500, wantBatched: max + 500, wantSingle: max + 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			stream := b.stream(t, streamOptions{atomic: tt.atomic})
			sp := spyOn(t, b.nc, stream+".>")
			msgs := makeMsgs(stream, tt.n)

			acks := streamio.PublishAll(t.Context(), b.nc, b.js, msgs)

			require.Len(t, acks, tt.n)
			for i, a := range acks {
				require.Equal(t, streamio.Ack{Seq: uint64(i + 1)}, a, "message %d", i)
			}
			batched, single := sp.counts(t)
			require.Equal(t, tt.wantBatched, batched, "messages published in batches")
			require.Equal(t, tt.wantSingle, single, "messages published one by one")
			require.Equal(t, uint64(tt.n), b.count(t, stream))
			stored := b.readAll(t, stream)
			require.Len(t, stored, tt.n)
			for i, m := range stored {
				require.Equal(t, uint64(i+1), m.Seq)
				require.Equal(t, msgs[i].Subject, m.Subject)
				require.Equal(t, strconv.Itoa(i), string(m.Data))
				require.Equal(t, strconv.Itoa(i), m.Header.Get("X-Index"), "the message's own header is kept")
			}
			requireNoBatchHeaders(t, msgs)
		})
	}
}

// When one message of a batch fails its revision check, the stream refuses
// the whole batch; PublishAll then publishes the messages one by one, so the
// failed one gets its own error and the others are stored, in order, with
// their own (chained) expectations checked.
func TestPublishAllReportsTheMessageThatFailsItsRevisionCheck(t *testing.T) {
	t.Parallel()
	for _, atomic := range []bool{true, false} {
		t.Run(fmt.Sprintf("Atomic=%t", atomic), func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			stream := b.stream(t, streamOptions{atomic: atomic})
			a, x, y := stream+".a", stream+".x", stream+".y"
			_, err := b.js.Publish(t.Context(), a, []byte("a1")) // seq 1
			require.NoError(t, err)
			sp := spyOn(t, b.nc, stream+".>")

			msgs := []*nats.Msg{
				{Subject: x, Data: []byte("x1")}, // seq 2
				expecting(a, 1, "a2"),            // seq 3
				expecting(y, 7, "y1"),            // refused: y has no message
				expecting(a, 3, "a3"),            // seq 4: after a2
			}
			acks := streamio.PublishAll(t.Context(), b.nc, b.js, msgs)

			require.Len(t, acks, 4)
			require.Equal(t, streamio.Ack{Seq: 2}, acks[0])
			require.Equal(t, streamio.Ack{Seq: 3}, acks[1])
			require.Equal(t, streamio.Ack{Seq: 4}, acks[3])
			require.Zero(t, acks[2].Seq)
			require.False(t, acks[2].Duplicate)
			var apiErr *jetstream.APIError
			require.True(t, errors.As(acks[2].Err, &apiErr), "%v", acks[2].Err)
			require.Equal(t, jetstream.JSErrCodeStreamWrongLastSequence, apiErr.ErrorCode)
			require.True(t, streamio.Permanent(acks[2].Err))

			batched, single := sp.counts(t)
			require.Equal(t, 4, batched, "the batch was offered")
			require.Equal(t, 4, single, "then every message on its own")
			stored := b.readAll(t, stream)
			require.Len(t, stored, 4, "the refused batch left something behind")
			for i, want := range []struct{ subj, data string }{{a, "a1"}, {x, "x1"}, {a, "a2"}, {a, "a3"}} {
				require.Equal(t, uint64(i+1), stored[i].Seq)
				require.Equal(t, want.subj, stored[i].Subject)
				require.Equal(t, want.data, string(stored[i].Data))
			}
			requireNoBatchHeaders(t, msgs)
		})
	}
}

// Nats-Msg-Id deduplication holds on both paths: a batch with a duplicate ID
// is refused as a whole and the one-by-one fallback reports the duplicate
// with the sequence of the message stored first.
func TestPublishAllKeepsMessageIDDeduplication(t *testing.T) {
	t.Parallel()
	for _, atomic := range []bool{true, false} {
		t.Run(fmt.Sprintf("Atomic=%t", atomic), func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			stream := b.stream(t, streamOptions{atomic: atomic})
			subj := stream + ".work"
			sp := spyOn(t, b.nc, stream+".>")

			first := []*nats.Msg{withID(subj, "m1", "1"), withID(subj, "m2", "2"), withID(subj, "m3", "3")}
			acks := streamio.PublishAll(t.Context(), b.nc, b.js, first)
			require.Equal(t, []streamio.Ack{{Seq: 1}, {Seq: 2}, {Seq: 3}}, acks)
			batched, single := sp.counts(t)
			if atomic {
				require.Equal(t, [2]int{3, 0}, [2]int{batched, single}, "new IDs go in one batch")
			} else {
				require.Equal(t, [2]int{3, 3}, [2]int{batched, single})
			}

			again := []*nats.Msg{withID(subj, "m1", "1 again"), withID(subj, "m4", "4"), withID(subj, "m3", "3 again")}
			acks = streamio.PublishAll(t.Context(), b.nc, b.js, again)
			require.Equal(t, []streamio.Ack{{Seq: 1, Duplicate: true}, {Seq: 4}, {Seq: 3, Duplicate: true}}, acks)
			batched, single = sp.counts(t)
			require.Equal(t, [2]int{3, 3}, [2]int{batched, single}, "the batch with known IDs is refused, then sent one by one")

			stored := b.readAll(t, stream)
			require.Len(t, stored, 4)
			for i, want := range []struct{ id, data string }{{"m1", "1"}, {"m2", "2"}, {"m3", "3"}, {"m4", "4"}} {
				require.Equal(t, want.id, stored[i].Header.Get(jetstream.MsgIDHeader))
				require.Equal(t, want.data, string(stored[i].Data), "a duplicate replaced the stored message")
			}
			requireNoBatchHeaders(t, again)
			require.Equal(t, "m4", again[1].Header.Get(jetstream.MsgIDHeader), "the message's own ID is kept")
		})
	}
}

// A message the server cannot take (its subject belongs to no stream) is
// reported on its own; the others of its chunk are stored.
func TestPublishAllReportsAMessageNoStreamTakes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	stream := b.stream(t, streamOptions{atomic: true})
	msgs := []*nats.Msg{
		{Subject: stream + ".a", Data: []byte("a")},
		{Subject: "nostream." + stream, Data: []byte("lost")},
		{Subject: stream + ".b", Data: []byte("b")},
	}
	acks := streamio.PublishAll(t.Context(), b.nc, b.js, msgs)
	require.Equal(t, streamio.Ack{Seq: 1}, acks[0])
	require.Equal(t, streamio.Ack{Seq: 2}, acks[2])
	require.Error(t, acks[1].Err)
	require.Zero(t, acks[1].Seq)
	require.Equal(t, uint64(2), b.count(t, stream))
}

// A batch the server cannot check as a whole (an expectation on a subject
// the batch writes earlier, ErrCode 10164) is refused even though every
// message is right; PublishAll still stores all of them, one by one.
func TestPublishAllChainedExpectationsFallBack(t *testing.T) {
	t.Parallel()
	b := setup(t)
	stream := b.stream(t, streamOptions{atomic: true})
	subj := stream + ".job"
	sp := spyOn(t, b.nc, stream+".>")
	msgs := []*nats.Msg{expecting(subj, 0, "1"), expecting(subj, 1, "2"), expecting(subj, 2, "3")}

	acks := streamio.PublishAll(t.Context(), b.nc, b.js, msgs)

	require.Equal(t, []streamio.Ack{{Seq: 1}, {Seq: 2}, {Seq: 3}}, acks)
	batched, single := sp.counts(t)
	require.Equal(t, [2]int{3, 3}, [2]int{batched, single}, "refused as a batch, then sent one by one")
	require.Equal(t, uint64(3), b.count(t, stream))
}

// A message the connection refuses to send (over the server's max payload)
// in the middle of a batch: the messages before it were already sent as
// part of the batch; they must leave without the batch's headers, so that
// the one-by-one fallback stores them.
func TestPublishAllMessageTooLargeInTheMiddle(t *testing.T) {
	t.Parallel()
	b := setup(t)
	stream := b.stream(t, streamOptions{atomic: true})
	big := make([]byte, b.nc.MaxPayload()+1)
	msgs := []*nats.Msg{
		{Subject: stream + ".a", Data: []byte("a")},
		{Subject: stream + ".b", Data: []byte("b")},
		{Subject: stream + ".big", Data: big},
		{Subject: stream + ".c", Data: []byte("c")},
	}
	acks := streamio.PublishAll(t.Context(), b.nc, b.js, msgs)
	require.ErrorIs(t, acks[2].Err, nats.ErrMaxPayload)
	for _, i := range []int{0, 1, 3} {
		require.NoError(t, acks[i].Err, "message %d", i)
	}
	require.Equal(t, uint64(3), b.count(t, stream))
	requireNoBatchHeaders(t, msgs)
}
