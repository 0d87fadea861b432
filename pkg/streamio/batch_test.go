package streamio_test

import (
	"errors"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/streamio"
)

// AtomicBatch stores all messages or none, keeps their own headers, and
// leaves the caller's messages without batch headers either way.
func TestAtomicBatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		atomic  bool
		msgs    func(stream string) []*nats.Msg
		want    streamio.BatchAck // Stream is filled in
		wantErr int               // the BatchError's err_code; 0: committed
	}{
		{
			name:   "Commits",
			atomic: true,
			msgs: func(s string) []*nats.Msg {
				return []*nats.Msg{withID(s+".b", "b", "1"), {Subject: s + ".c", Data: []byte("2")}, expecting(s+".a", 1, "3")}
			},
			// The seed is seq 1; the batch is 2..4.
			want: streamio.BatchAck{Seq: 4, Count: 3},
		},
		{
			// The server cannot check an expectation on a subject the batch
			// already wrote to, even a correct one.
			name:   "ExpectationOnSubjectWrittenInBatch",
			atomic: true,
			msgs: func(s string) []*nats.Msg {
				return []*nats.Msg{{Subject: s + ".a", Data: []byte("1")}, expecting(s+".a", 2, "2")}
			},
			wantErr: int(jetstream.JSErrCodeStreamWrongLastSequenceConstant),
		},
		{
			name:   "RevisionConflict",
			atomic: true,
			msgs: func(s string) []*nats.Msg {
				return []*nats.Msg{{Subject: s + ".b", Data: []byte("1")}, expecting(s+".a", 0, "2")}
			},
			wantErr: int(jetstream.JSErrCodeStreamWrongLastSequence),
		},
		{
			name:   "KnownMessageID",
			atomic: true,
			msgs: func(s string) []*nats.Msg {
				return []*nats.Msg{withID(s+".b", "new", "1"), withID(s+".b", "seed", "2")}
			},
			wantErr: 10201, // atomic publish batch contains duplicate message id
		},
		{
			name:   "DuplicateIDInBatch",
			atomic: true,
			msgs: func(s string) []*nats.Msg {
				return []*nats.Msg{withID(s+".b", "twice", "1"), withID(s+".b", "twice", "2")}
			},
			wantErr: 10201,
		},
		{
			name:   "StreamWithoutAtomicPublish",
			atomic: false,
			msgs: func(s string) []*nats.Msg {
				return []*nats.Msg{{Subject: s + ".b", Data: []byte("1")}, {Subject: s + ".b", Data: []byte("2")}}
			},
			wantErr: 10174, // atomic publish is disabled
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			stream := b.stream(t, streamOptions{atomic: tt.atomic})
			_, err := b.js.PublishMsg(t.Context(), withID(stream+".a", "seed", "seed"))
			require.NoError(t, err)
			msgs := tt.msgs(stream)

			ack, err := streamio.AtomicBatch(t.Context(), b.nc, msgs)

			requireNoBatchHeaders(t, msgs)
			stored := b.readAll(t, stream)
			if tt.wantErr != 0 {
				var be *streamio.BatchError
				require.True(t, errors.As(err, &be), "%v", err)
				require.Equal(t, tt.wantErr, be.ErrCode, "%v", be)
				require.Zero(t, ack)
				require.Len(t, stored, 1, "a refused batch stored messages")
				return
			}
			require.NoError(t, err)
			tt.want.Stream = stream
			require.Equal(t, tt.want, ack)
			require.Len(t, stored, 1+len(msgs))
			for i, m := range msgs {
				got := stored[1+i]
				require.Equal(t, m.Subject, got.Subject)
				require.Equal(t, m.Data, got.Data)
				require.Equal(t, m.Header.Get(jetstream.MsgIDHeader), got.Header.Get(jetstream.MsgIDHeader))
			}
		})
	}
}

func TestAtomicBatchLimits(t *testing.T) {
	t.Parallel()
	b := setup(t)
	stream := b.stream(t, streamOptions{atomic: true})
	sp := spyOn(t, b.nc, stream+".>")

	ack, err := streamio.AtomicBatch(t.Context(), b.nc, nil)
	require.NoError(t, err)
	require.Zero(t, ack)

	_, err = streamio.AtomicBatch(t.Context(), b.nc, makeMsgs(stream, streamio.MaxAtomicBatch+1))
	require.ErrorIs(t, err, streamio.ErrBatchTooLarge)

	require.Empty(t, sp.take(t), "a batch that cannot be sent was partly sent")

	ack, err = streamio.AtomicBatch(t.Context(), b.nc, makeMsgs(stream, streamio.MaxAtomicBatch))
	require.NoError(t, err)
	require.Equal(t, streamio.BatchAck{Stream: stream, Seq: streamio.MaxAtomicBatch, Count: streamio.MaxAtomicBatch}, ack)
	require.Equal(t, uint64(streamio.MaxAtomicBatch), b.count(t, stream))
}
