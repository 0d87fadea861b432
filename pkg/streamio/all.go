package streamio

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Ack is the outcome of one message of PublishAll.
type Ack struct {
	// Seq is the message's stream sequence (0 if not stored).
	Seq uint64
	// Duplicate means the stream already had a message with its ID.
	Duplicate bool
	// Err says why the message was not stored.
	Err error
}

// maxInFlight bounds the asynchronous publishes PublishAll keeps waiting.
const maxInFlight = 1000

// PublishAll stores msgs in one stream as cheaply as it can: atomic batches
// of up to MaxAtomicBatch (one commit, one fsync each; the stream must allow
// atomic publish), falling back, for a batch the stream refuses, to
// publishing its messages one by one with many in flight, so that each
// message gets its own answer. Headers such as Nats-Msg-Id and
// Nats-Expected-Last-Subject-Sequence apply per message either way.
func PublishAll(ctx context.Context, nc *nats.Conn, js jetstream.JetStream, msgs []*nats.Msg) []Ack {
	acks := make([]Ack, len(msgs))
	for start := 0; start < len(msgs); start += MaxAtomicBatch {
		end := min(start+MaxAtomicBatch, len(msgs))
		chunk := msgs[start:end]
		if len(chunk) > 1 {
			bctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			ack, err := AtomicBatch(bctx, nc, chunk)
			cancel()
			if err == nil {
				first := ack.Seq - uint64(len(chunk)) + 1
				for i := range chunk {
					acks[start+i] = Ack{Seq: first + uint64(i)}
				}
				continue
			}
		}
		publishEach(ctx, js, chunk, acks[start:end])
	}
	return acks
}

// publishEach publishes msgs asynchronously, at most maxInFlight waiting.
func publishEach(ctx context.Context, js jetstream.JetStream, msgs []*nats.Msg, acks []Ack) {
	type pending struct {
		i int
		f jetstream.PubAckFuture
	}
	var inflight []pending
	wait := func() {
		for _, p := range inflight {
			select {
			case a := <-p.f.Ok():
				acks[p.i] = Ack{Seq: a.Sequence, Duplicate: a.Duplicate}
			case err := <-p.f.Err():
				acks[p.i] = Ack{Err: err}
			case <-ctx.Done():
				acks[p.i] = Ack{Err: ctx.Err()}
			}
		}
		inflight = inflight[:0]
	}
	for i, m := range msgs {
		if len(inflight) >= maxInFlight {
			wait()
		}
		f, err := js.PublishMsgAsync(m)
		if errors.Is(err, jetstream.ErrTooManyStalledMsgs) {
			wait()
			f, err = js.PublishMsgAsync(m)
		}
		if err != nil {
			acks[i] = Ack{Err: err}
			continue
		}
		inflight = append(inflight, pending{i, f})
	}
	wait()
}
