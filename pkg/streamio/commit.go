package streamio

import (
	"cmp"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrCommitterStopped means the Committer was stopped before it took the
// message.
var ErrCommitterStopped = errors.New("committer stopped")

// CommitterConfig configures a Committer.
type CommitterConfig struct {
	// Queue bounds the messages waiting for the next batch; Submit blocks
	// while it is full. Defaults to 4 × MaxAtomicBatch.
	Queue int
	// MinAtomic is the smallest batch sent as an atomic batch; smaller
	// ones are published one by one, all in flight at once. Defaults to 2.
	MinAtomic int
	// FlushTimeout bounds the publishing of one batch. Defaults to 10s.
	FlushTimeout time.Duration
	// Direct is how many of the Committer's messages may be unanswered
	// while a new one is still published at once, on its own, by the
	// caller: below it the stream keeps up and a batch would only add a
	// hand-off and the server's staging of the batch; at it the writes
	// queue, and the queue leaves as one batch. Defaults to 8; negative
	// batches every message.
	Direct int
}

// Committer group-commits the messages of many concurrent callers to one
// stream: each caller submits one message and waits for its own answer.
// While the stream keeps up (fewer than Direct messages unanswered) a
// message is published at once by its caller, on its own. Beyond that it
// queues, and one goroutine takes everything queued (up to MaxAtomicBatch)
// and stores it with PublishAll: one atomic batch, one commit and one
// fsync, falling back to one by one when the stream refuses the batch, so
// that every message still gets its own answer (a failed revision check,
// a duplicate ID). A queue shorter than MinAtomic goes one by one, all in
// flight at once. Messages that queue while a batch is in flight make up
// the next one.
//
// The stream should allow atomic publish; without it every batch of two or
// more is refused and published one by one (correct, but slower).
//
// Cost: on a single-replica file stream the server stages each atomic
// batch in a file store of its own, created, fsynced and removed per
// batch (nats-server jetstream_batching.go newBatchStore), also when it
// does not fsync every write, where a batch of a few writes costs more
// than it saves: hence Direct and MinAtomic. Replicated or memory streams
// stage in memory.
type Committer struct {
	nc    *nats.Conn
	js    jetstream.JetStream
	cfg   CommitterConfig
	queue chan *commitReq
	// pending counts the messages submitted and not yet answered, direct
	// or batched: the load that decides between the two.
	pending atomic.Int64

	stopOnce sync.Once
	stop     chan struct{} // closed by Stop
	done     chan struct{} // closed when the loop has exited
}

// commitReq is one caller's message and where its answer goes.
type commitReq struct {
	ctx    context.Context // the caller's: a request it gave up on is not sent
	msg    *nats.Msg
	answer chan Ack // buffered: the loop never blocks on a caller
}

// NewCommitter starts a Committer publishing on nc and js.
func NewCommitter(nc *nats.Conn, js jetstream.JetStream, cfg CommitterConfig) *Committer {
	cfg.Queue = cmp.Or(cfg.Queue, 4*MaxAtomicBatch)
	cfg.FlushTimeout = cmp.Or(cfg.FlushTimeout, 10*time.Second)
	cfg.MinAtomic = cmp.Or(cfg.MinAtomic, 2)
	cfg.Direct = cmp.Or(cfg.Direct, 8)
	c := &Committer{
		nc: nc, js: js, cfg: cfg,
		queue: make(chan *commitReq, cfg.Queue),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	go c.loop()
	return c
}

// Submit publishes msg in the next batch and waits for its answer, or
// until ctx ends. The message is the Committer's until Submit returns; a
// caller that gave up (ctx ended) may still see it stored, as with any
// publish whose answer was lost.
func (c *Committer) Submit(ctx context.Context, msg *nats.Msg) Ack {
	select {
	case <-c.stop:
		return Ack{Err: ErrCommitterStopped}
	default:
	}
	defer c.pending.Add(-1)
	if n := c.pending.Add(1); n <= int64(c.cfg.Direct) && len(c.queue) == 0 {
		return c.direct(ctx, msg)
	}
	r := &commitReq{ctx: ctx, msg: msg, answer: make(chan Ack, 1)}
	select {
	case c.queue <- r:
	case <-ctx.Done():
		return Ack{Err: ctx.Err()}
	case <-c.done:
		return Ack{Err: ErrCommitterStopped}
	}
	select {
	case a := <-r.answer:
		return a
	case <-ctx.Done():
		return Ack{Err: ctx.Err()}
	case <-c.done:
		select { // answered just before the loop exited
		case a := <-r.answer:
			return a
		default:
			return Ack{Err: ErrCommitterStopped}
		}
	}
}

// direct publishes msg on its own and waits for its answer.
func (c *Committer) direct(ctx context.Context, msg *nats.Msg) Ack {
	pctx, cancel := context.WithTimeout(ctx, c.cfg.FlushTimeout)
	defer cancel()
	a, err := c.js.PublishMsg(pctx, msg)
	if err != nil {
		return Ack{Err: err}
	}
	return Ack{Seq: a.Sequence, Duplicate: a.Duplicate}
}

// Publish is Submit with the retries of the package's Publish: a transient
// error (no responders, a timeout, a stream electing its leader) is retried
// with the same message, hence the same Nats-Msg-Id, until the stream
// answers, the error is Permanent, or ctx ends.
func (c *Committer) Publish(ctx context.Context, msg *nats.Msg) (Ack, error) {
	wait := 50 * time.Millisecond
	for {
		a := c.Submit(ctx, msg)
		if a.Err == nil {
			return a, nil
		}
		if Permanent(a.Err) || ctx.Err() != nil || errors.Is(a.Err, ErrCommitterStopped) {
			return a, a.Err
		}
		select {
		case <-ctx.Done():
			return a, a.Err
		case <-time.After(wait):
		}
		wait = min(wait*2, time.Second)
	}
}

// Stop publishes what is queued, answers its callers, and stops; later
// submits fail with ErrCommitterStopped. It is idempotent and returns when
// the loop has exited or ctx ends.
func (c *Committer) Stop(ctx context.Context) error {
	c.stopOnce.Do(func() { close(c.stop) })
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// loop owns the queue's consumer side: it takes every queued request (up
// to MaxAtomicBatch) and publishes them together.
func (c *Committer) loop() {
	defer close(c.done)
	batch := make([]*commitReq, 0, MaxAtomicBatch)
	for {
		select {
		case r := <-c.queue:
			batch = append(batch[:0], r)
		case <-c.stop:
			c.drain(batch[:0])
			return
		}
		batch = c.take(batch)
		c.flush(batch)
	}
}

// take adds the queued requests to batch without waiting, up to
// MaxAtomicBatch.
func (c *Committer) take(batch []*commitReq) []*commitReq {
	for len(batch) < MaxAtomicBatch {
		select {
		case r := <-c.queue:
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

// drain publishes whatever is still queued, after Stop.
func (c *Committer) drain(batch []*commitReq) {
	for {
		batch = c.take(batch[:0])
		if len(batch) == 0 {
			return
		}
		c.flush(batch)
	}
}

// flush publishes batch and answers each request. A request whose caller
// already gave up is answered without being sent.
func (c *Committer) flush(batch []*commitReq) {
	live := batch[:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.answer <- Ack{Err: err}
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	msgs := make([]*nats.Msg, len(live))
	for i, r := range live {
		msgs[i] = r.msg
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.FlushTimeout)
	var acks []Ack
	if len(msgs) < c.cfg.MinAtomic {
		acks = make([]Ack, len(msgs))
		publishEach(ctx, c.js, msgs, acks)
	} else {
		acks = PublishAll(ctx, c.nc, c.js, msgs)
	}
	cancel()
	for i, r := range live {
		r.answer <- acks[i]
	}
}
