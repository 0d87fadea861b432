package streamio_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/streamio"
)

func TestPermanent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{name: "WrongLastSequence", err: &jetstream.APIError{Code: 400, ErrorCode: jetstream.JSErrCodeStreamWrongLastSequence}, want: true},
		{name: "WrappedAPIError", err: fmt.Errorf("publish: %w", &jetstream.APIError{Code: 400, ErrorCode: 10077}), want: true},
		{name: "NoQuorum", err: &jetstream.APIError{Code: 503, ErrorCode: 10008}},
		{name: "APITimeout", err: &jetstream.APIError{Code: 408}},
		{name: "NoCode", err: &jetstream.APIError{}},
		{name: "StreamNotFound", err: jetstream.ErrStreamNotFound, want: true},
		{name: "MaxPayload", err: nats.ErrMaxPayload, want: true},
		{name: "BadSubject", err: nats.ErrBadSubject, want: true},
		{name: "ConnectionClosed", err: fmt.Errorf("x: %w", nats.ErrConnectionClosed), want: true},
		{name: "NoStreamResponse", err: jetstream.ErrNoStreamResponse},
		{name: "NoResponders", err: nats.ErrNoResponders},
		{name: "Timeout", err: context.DeadlineExceeded},
		{name: "Other", err: errors.New("connection reset")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, streamio.Permanent(tt.err))
		})
	}
}

// Publish keeps trying while no stream answers (as during a leader
// election) with the same message ID, so that the message is stored once.
func TestPublishRetriesUntilTheStreamAnswers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	name := natstest.Topology(t).Names().Namespace()
	sp := spyOn(t, b.nc, name+".>")
	msg := withID(name+".x", "once", "payload")

	type result struct {
		ack *jetstream.PubAck
		err error
	}
	done := make(chan result, 1)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	go func() {
		ack, err := streamio.Publish(ctx, b.js, msg, 200*time.Millisecond)
		done <- result{ack, err}
	}()

	// The spy's subscription receives each try and answers none, so every
	// try times out, as while a stream's leader is being elected. Wait
	// until Publish has tried three times.
	var tries []*nats.Msg
	natstest.Eventually(t, 10*time.Second, func() bool {
		tries = append(tries, sp.take(t)...)
		return len(tries) >= 3
	}, "Publish tries again")
	select {
	case r := <-done:
		t.Fatalf("Publish returned without a stream: %v", r.err)
	default:
	}

	_, err := b.js.CreateStream(t.Context(), jetstream.StreamConfig{Name: name, Subjects: []string{name + ".>"}})
	require.NoError(t, err)
	var r result
	select {
	case r = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Publish did not return after the stream appeared")
	}
	require.NoError(t, r.err)
	// A try whose answer came too late stored the message all the same: a
	// later try then reports it as a duplicate, of the same sequence.
	require.Equal(t, uint64(1), r.ack.Sequence)

	tries = append(tries, sp.take(t)...)
	for i, m := range tries {
		require.Equal(t, "once", m.Header.Get(jetstream.MsgIDHeader), "try %d", i)
	}
	ack, err := streamio.Publish(t.Context(), b.js, msg, time.Second)
	require.NoError(t, err)
	require.True(t, ack.Duplicate)
	require.Equal(t, uint64(1), ack.Sequence)
	require.Equal(t, uint64(1), b.count(t, name))
}

// An answer about the message itself is final: Publish returns it after one
// try instead of retrying until its context ends.
func TestPublishStopsAtAPermanentError(t *testing.T) {
	t.Parallel()
	b := setup(t)
	stream := b.stream(t, streamOptions{})
	_, err := b.js.Publish(t.Context(), stream+".a", []byte("1"))
	require.NoError(t, err)
	sp := spyOn(t, b.nc, stream+".>")

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	_, err = streamio.Publish(ctx, b.js, expecting(stream+".a", 0, "2"), time.Second)
	require.ErrorIs(t, err, jetstream.ErrKeyExists) // wrong last sequence
	require.True(t, streamio.Permanent(err))
	require.Len(t, sp.take(t), 1, "a refused message was published again")
	require.Equal(t, uint64(1), b.count(t, stream))
}

// Publish gives up with the last error when its context ends.
func TestPublishGivesUpWhenItsContextEnds(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	_, err := streamio.Publish(ctx, b.js, nats.NewMsg("nostream.x"), 100*time.Millisecond)
	require.Error(t, err)
	require.Error(t, ctx.Err(), "Publish returned before its context ended")
}
