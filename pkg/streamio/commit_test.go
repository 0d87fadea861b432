package streamio_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/streamio"
)

// submitAll submits msgs from one goroutine each, all at once, and returns
// their answers in order.
func submitAll(t *testing.T, c *streamio.Committer, msgs []*nats.Msg) []streamio.Ack {
	t.Helper()
	acks := make([]streamio.Ack, len(msgs))
	var wg sync.WaitGroup
	for i, m := range msgs {
		wg.Go(func() { acks[i] = c.Submit(t.Context(), m) })
	}
	wg.Wait()
	return acks
}

func newCommitter(t *testing.T, b *bundle, cfg streamio.CommitterConfig) *streamio.Committer {
	t.Helper()
	c := streamio.NewCommitter(b.nc, b.js, cfg)
	t.Cleanup(func() { require.NoError(t, c.Stop(context.Background())) })
	return c
}

// Concurrent callers each get their own answer, whatever batch their
// message went in; a refused message (a failed revision check, a known ID)
// does not keep the others of its batch from being stored.
func TestCommitter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// msgs builds the messages on the stream; seeded: a1 (seq 1) and
		// a message with ID "known" (seq 2) are stored first.
		msgs func(stream string) []*nats.Msg
		// want checks each answer by the message's data.
		want map[string]func(t *testing.T, a streamio.Ack)
		// stored is how many messages the stream holds afterwards.
		stored uint64
	}{
		{
			name: "AllNew",
			msgs: func(s string) []*nats.Msg {
				return []*nats.Msg{withID(s+".x", "x", "x"), withID(s+".y", "y", "y"), {Subject: s + ".z", Data: []byte("z")}}
			},
			want:   map[string]func(*testing.T, streamio.Ack){"x": stored, "y": stored, "z": stored},
			stored: 5,
		},
		{
			name: "OneFailsItsRevisionCheck",
			msgs: func(s string) []*nats.Msg {
				return []*nats.Msg{expecting(s+".a", 1, "a2"), expecting(s+".b", 7, "b1"), expecting(s+".c", 0, "c1")}
			},
			want: map[string]func(*testing.T, streamio.Ack){"a2": stored, "c1": stored, "b1": func(t *testing.T, a streamio.Ack) {
				var apiErr *jetstream.APIError
				require.True(t, errors.As(a.Err, &apiErr), "%v", a.Err)
				require.Equal(t, jetstream.JSErrCodeStreamWrongLastSequence, apiErr.ErrorCode)
				require.Zero(t, a.Seq)
			}},
			stored: 4,
		},
		{
			name: "KnownIDAcrossBatches",
			msgs: func(s string) []*nats.Msg {
				return []*nats.Msg{withID(s+".k", "known", "again"), withID(s+".n", "new", "new")}
			},
			want: map[string]func(*testing.T, streamio.Ack){"new": stored, "again": func(t *testing.T, a streamio.Ack) {
				require.Equal(t, streamio.Ack{Seq: 2, Duplicate: true}, a)
			}},
			stored: 3,
		},
		{
			name: "SameIDWithinABatch",
			msgs: func(s string) []*nats.Msg {
				return []*nats.Msg{withID(s+".d", "twice", "d"), withID(s+".d", "twice", "d")}
			},
			stored: 3,
		},
	}
	modes := map[string]streamio.CommitterConfig{
		"Batched": {Direct: -1},
		"Direct":  {Direct: 1000},
	}
	for _, tt := range tests {
		for mode, cfg := range modes {
			t.Run(tt.name+"/"+mode, func(t *testing.T) {
				t.Parallel()
				testCommitterCase(t, cfg, tt.msgs, tt.want, tt.stored, tt.name == "SameIDWithinABatch")
			})
		}
	}
}

// testCommitterCase submits msgs at once to a Committer with cfg on a stream
// seeded with a1 (seq 1) and a message with ID "known" (seq 2), and checks
// each answer; sameID: the two messages carry the same ID.
func testCommitterCase(t *testing.T, cfg streamio.CommitterConfig, build func(string) []*nats.Msg, want map[string]func(*testing.T, streamio.Ack), wantStored uint64, sameID bool) {
	b := setup(t)
	stream := b.stream(t, streamOptions{atomic: true})
	_, err := b.js.Publish(t.Context(), stream+".a", []byte("a1"))
	require.NoError(t, err)
	_, err = b.js.PublishMsg(t.Context(), withID(stream+".k", "known", "k"))
	require.NoError(t, err)
	c := newCommitter(t, b, cfg)

	msgs := build(stream)
	acks := submitAll(t, c, msgs)

	for i, a := range acks {
		check := want[string(msgs[i].Data)]
		if check == nil {
			require.NoError(t, a.Err, "message %d", i)
			continue
		}
		check(t, a)
	}
	require.Equal(t, wantStored, b.count(t, stream))
	requireNoBatchHeaders(t, msgs)
	if sameID { // one stored, one told it is a duplicate of it
		require.Equal(t, acks[0].Seq, acks[1].Seq)
		require.True(t, acks[0].Duplicate != acks[1].Duplicate, "%+v", acks)
	}
}

func stored(t *testing.T, a streamio.Ack) {
	t.Helper()
	require.NoError(t, a.Err)
	require.NotZero(t, a.Seq)
	require.False(t, a.Duplicate)
}

// Many callers at once are served by few batches (atomic commits), each
// with its own sequence.
func TestCommitterGroupsConcurrentCallers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	stream := b.stream(t, streamOptions{atomic: true})
	sp := spyOn(t, b.nc, stream+".>")
	c := newCommitter(t, b, streamio.CommitterConfig{Direct: -1})
	const n = 300
	msgs := make([]*nats.Msg, n)
	for i := range msgs {
		msgs[i] = withID(fmt.Sprintf("%s.m.%d", stream, i), fmt.Sprint(i), fmt.Sprint(i))
	}
	acks := submitAll(t, c, msgs)
	seen := map[uint64]bool{}
	for i, a := range acks {
		require.NoError(t, a.Err, "message %d", i)
		require.False(t, seen[a.Seq], "sequence %d answered twice", a.Seq)
		seen[a.Seq] = true
	}
	require.Equal(t, uint64(n), b.count(t, stream))
	batched, _ := sp.counts(t)
	require.Positive(t, batched, "some messages went in atomic batches")
	for _, m := range b.readAll(t, stream) { // each answer names its own message
		require.Equal(t, fmt.Sprint(acks[mustAtoi(t, string(m.Data))].Seq), fmt.Sprint(m.Seq))
	}
}

// A caller alone (fewer than Direct messages unanswered) publishes its
// message at once, on its own: no batch, no hand-off.
func TestCommitterDirectWhileTheStreamKeepsUp(t *testing.T) {
	t.Parallel()
	b := setup(t)
	stream := b.stream(t, streamOptions{atomic: true})
	sp := spyOn(t, b.nc, stream+".>")
	c := newCommitter(t, b, streamio.CommitterConfig{})
	for i, m := range makeMsgs(stream, 20) {
		a := c.Submit(t.Context(), m)
		require.NoError(t, a.Err)
		require.Equal(t, uint64(i+1), a.Seq)
	}
	batched, single := sp.counts(t)
	require.Zero(t, batched, "nothing went in a batch")
	require.Equal(t, 20, single)
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	var i int
	_, err := fmt.Sscan(s, &i)
	require.NoError(t, err)
	return i
}

// A caller whose context has ended gets its error; one whose message
// goes nowhere gets a permanent error; Publish retries neither.
func TestCommitterErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := newCommitter(t, b, streamio.CommitterConfig{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	a := c.Submit(ctx, nats.NewMsg("nowhere"))
	require.ErrorIs(t, a.Err, context.Canceled)

	stream := b.stream(t, streamOptions{atomic: true})
	_, err := c.Publish(t.Context(), expecting(stream+".q", 3, "q"))
	require.True(t, streamio.Permanent(err), "%v", err)
}

// Stop publishes what is queued and then refuses new messages; it may be
// called twice.
func TestCommitterStop(t *testing.T) {
	t.Parallel()
	b := setup(t)
	stream := b.stream(t, streamOptions{atomic: true})
	c := streamio.NewCommitter(b.nc, b.js, streamio.CommitterConfig{Direct: -1})
	msgs := makeMsgs(stream, 50)
	acks := make([]streamio.Ack, len(msgs))
	var wg sync.WaitGroup
	for i, m := range msgs {
		wg.Go(func() { acks[i] = c.Submit(t.Context(), m) })
	}
	wg.Wait()
	require.NoError(t, c.Stop(t.Context()))
	require.NoError(t, c.Stop(t.Context()))
	for i, a := range acks {
		require.NoError(t, a.Err, "message %d", i)
	}
	require.Equal(t, uint64(50), b.count(t, stream))
	a := c.Submit(t.Context(), msgs[0])
	require.ErrorIs(t, a.Err, streamio.ErrCommitterStopped)
	_, err := c.Publish(t.Context(), msgs[0])
	require.ErrorIs(t, err, streamio.ErrCommitterStopped)
}
