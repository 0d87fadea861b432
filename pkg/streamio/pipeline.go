package streamio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
)

// MinAtomicBatch is the fewest messages Pipelined sends as an atomic
// batch; fewer are published one by one, many in flight. On a file
// stream with one replica the server stages every atomic batch in a file
// store of its own (a directory, a meta file written and synced, a block
// synced before the commit, all removed after it): on the embedded server
// with fsync always, a batch of 2 to 16 messages took 2.8 ms and 1.7 ms
// of CPU, about what 16 messages one by one take (0.2 ms and 0.1 ms
// each).
const MinAtomicBatch = 16

// BatchesInFlight is how many atomic batches Pipelined sends before the
// first is answered. Two let the server commit one while the next is
// encoded and sent; more did not store a burst sooner on a 2-core machine
// (each batch in flight is a staging file store of its own on the server).
const BatchesInFlight = 2

// ErrNotSent means a batch of AtomicBatches was not sent: proceed said
// to stop first.
var ErrNotSent = errors.New("atomic batch: not sent")

// BatchResult is the stream's answer to one batch of AtomicBatches.
type BatchResult struct {
	Ack BatchAck
	Err error
}

// AtomicBatches publishes n batches as AtomicBatch does, with up to
// inflight batches sent before the oldest is answered: the stream stages
// and commits one while the next is built and sent. batch(i) returns the
// messages of batch i, just before it is sent (an error fails that batch
// unsent). The batches leave one after the other on nc, so the stream
// receives and commits them in order; a batch refused does not stop the
// next. proceed, if not nil, is asked before each batch is built; once it
// reports false, that batch and the rest fail with ErrNotSent. Each batch
// is answered within 10s or fails with context.DeadlineExceeded (what was
// sent may still be stored: publish it again with the same message IDs).
func AtomicBatches(ctx context.Context, nc *nats.Conn, n int, batch func(i int) ([]*nats.Msg, error), inflight int, proceed func() bool) []BatchResult {
	res := make([]BatchResult, n)
	if n == 0 {
		return res
	}
	inbox := nc.NewInbox()
	answers := make(chan *nats.Msg, n)
	sub, err := nc.ChanSubscribe(inbox+".*", answers)
	if err != nil {
		for i := range res {
			res[i].Err = fmt.Errorf("atomic batch: %w", err)
		}
		return res
	}
	defer func() { _ = sub.Unsubscribe() }()

	answered := make([]bool, n)
	deadline := make([]time.Time, n)
	record := func(m *nats.Msg) {
		i, err := strconv.Atoi(m.Subject[len(inbox)+1:])
		if err != nil || i < 0 || i >= n || answered[i] {
			return
		}
		answered[i] = true
		res[i].Ack, res[i].Err = decodeBatchAnswer(m)
	}
	// wait waits for the answer to batch i, recording the others that come.
	wait := func(i int) {
		t := time.NewTimer(time.Until(deadline[i]))
		defer t.Stop()
		for !answered[i] {
			select {
			case m := <-answers:
				record(m)
			case <-t.C:
				answered[i], res[i].Err = true, fmt.Errorf("atomic batch: %w", context.DeadlineExceeded)
			case <-ctx.Done():
				answered[i], res[i].Err = true, fmt.Errorf("atomic batch: %w", ctx.Err())
			}
		}
	}
	oldest := 0 // the oldest batch sent and maybe not answered
	for i := range n {
		for ; i-oldest >= max(inflight, 1); oldest++ {
			wait(oldest)
		}
		if proceed != nil && !proceed() {
			for k := i; k < n; k++ {
				answered[k], res[k].Err = true, ErrNotSent
			}
			break
		}
		msgs, err := batch(i)
		if err == nil {
			deadline[i] = time.Now().Add(10 * time.Second)
			err = sendBatch(nc, msgs, inbox+"."+strconv.Itoa(i))
		}
		if err != nil {
			answered[i], res[i].Err = true, err
		}
	}
	for ; oldest < n; oldest++ {
		wait(oldest)
	}
	return res
}

// sendBatch sends msgs as one atomic batch whose commit is answered on
// reply, and leaves the messages as they came.
func sendBatch(nc *nats.Conn, msgs []*nats.Msg, reply string) error {
	if len(msgs) > MaxAtomicBatch {
		return fmt.Errorf("%w: %d > %d", ErrBatchTooLarge, len(msgs), MaxAtomicBatch)
	}
	if len(msgs) == 0 {
		return errors.New("atomic batch: no messages")
	}
	markBatch(msgs)
	defer unmarkBatch(msgs)
	msgs[len(msgs)-1].Reply = reply
	for _, m := range msgs {
		if err := nc.PublishMsg(m); err != nil {
			return fmt.Errorf("atomic batch: %w", err)
		}
	}
	return nil
}

// markBatch gives msgs the headers of one new atomic batch, the last one
// its commit, and no reply subject.
func markBatch(msgs []*nats.Msg) {
	id := nuid.Next()
	for i, m := range msgs {
		if m.Header == nil {
			m.Header = nats.Header{}
		}
		m.Header.Set("Nats-Batch-Id", id)
		m.Header.Set("Nats-Batch-Sequence", strconv.Itoa(i+1))
		m.Reply = ""
	}
	msgs[len(msgs)-1].Header.Set("Nats-Batch-Commit", "1")
}

// unmarkBatch leaves msgs as they were before markBatch.
func unmarkBatch(msgs []*nats.Msg) {
	for _, m := range msgs {
		m.Header.Del("Nats-Batch-Id")
		m.Header.Del("Nats-Batch-Sequence")
		m.Header.Del("Nats-Batch-Commit")
		m.Reply = ""
	}
}

// decodeBatchAnswer reads the stream's answer to a batch's commit.
func decodeBatchAnswer(m *nats.Msg) (BatchAck, error) {
	if len(m.Data) == 0 && m.Header.Get("Status") == "503" {
		return BatchAck{}, fmt.Errorf("atomic batch: %w", nats.ErrNoResponders)
	}
	var ack struct {
		BatchAck
		Error *BatchError `json:"error"`
	}
	if err := json.Unmarshal(m.Data, &ack); err != nil {
		return BatchAck{}, fmt.Errorf("atomic batch: bad answer %q: %w", m.Data, err)
	}
	if ack.Error != nil {
		return BatchAck{}, ack.Error
	}
	return ack.BatchAck, nil
}

// Pipelined stores msgs in one stream as PublishAll does, with up to
// BatchesInFlight atomic batches in flight (AtomicBatches) instead of one
// at a time, and a chunk of fewer than MinAtomicBatch messages published
// one by one, many in flight. A batch the stream refuses is published
// again one by one, after the batches sent with it.
func Pipelined(ctx context.Context, nc *nats.Conn, js jetstream.JetStream, msgs []*nats.Msg) []Ack {
	acks := make([]Ack, len(msgs))
	chunks := Chunks(len(msgs))
	var idx [][2]int // the chunks sent as atomic batches
	for _, c := range chunks {
		if c[1]-c[0] >= MinAtomicBatch {
			idx = append(idx, c)
		}
	}
	results := AtomicBatches(ctx, nc, len(idx), func(k int) ([]*nats.Msg, error) {
		return msgs[idx[k][0]:idx[k][1]], nil
	}, BatchesInFlight, nil)
	for k, r := range results {
		c := idx[k]
		if r.Err != nil {
			publishEach(ctx, js, msgs[c[0]:c[1]], acks[c[0]:c[1]])
			continue
		}
		first := r.Ack.Seq - uint64(c[1]-c[0]) + 1
		for i := c[0]; i < c[1]; i++ {
			acks[i] = Ack{Seq: first + uint64(i-c[0])}
		}
	}
	for _, c := range chunks {
		if c[1]-c[0] < MinAtomicBatch {
			publishEach(ctx, js, msgs[c[0]:c[1]], acks[c[0]:c[1]])
		}
	}
	return acks
}

// Chunks splits n messages into [start, end) ranges of up to
// MaxAtomicBatch.
func Chunks(n int) [][2]int {
	var out [][2]int
	for start := 0; start < n; start += MaxAtomicBatch {
		out = append(out, [2]int{start, min(start+MaxAtomicBatch, n)})
	}
	return out
}
