// Package claim implements the worker's claim on an execution: a key in the
// claims bucket, created once per execution, that says which work message
// (stream sequence) and which attempt owns the execution.
//
//   - A delivery whose sequence differs from the claim's is a second copy of
//     an execution that already exists (a slot re-published after the
//     stream forgot its ID): it is dropped.
//   - A delivery with the claim's sequence and a newer delivery count is a
//     redelivery after the previous attempt was lost (its worker died or
//     froze): it takes the claim over with a revision-checked update, so
//     the previous attempt can no longer record anything.
//   - Attempts are numbered by the claim, not by the delivery count: a
//     takeover is at least the previous attempt plus one. A server that
//     crashed before persisting its consumer's state delivers the message
//     again with the same count; the attempt that runs it is still a new
//     one, with its own events and its own log.
//   - Every write of an attempt names the revision it last wrote: a stale
//     attempt that wakes up after a takeover fails its write and learns it
//     was superseded.
package claim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/wirejson"
)

// Record is the value of a claim.
type Record struct {
	// Seq is the work stream sequence of the message that owns the execution.
	Seq uint64 `json:"seq"`
	// Attempt is the attempt that holds the claim: the delivery count, or
	// one more than the attempt it took over if that is higher.
	Attempt int `json:"attempt"`
	// Delivery is the delivery count of the message the holder received
	// (zero in records written before it existed: then Attempt).
	Delivery int `json:"delivery,omitempty"`
	// Worker holds the attempt.
	Worker string `json:"worker"`
	// Failures counts attempts that ran and failed (not those lost).
	Failures int `json:"failures,omitempty"`
	// Final is the final state once recorded; empty while unfinished.
	Final string `json:"final,omitempty"`
	// Ended marks an attempt that handed the execution back: for a retry
	// after a failure, or without a result when it could not start its
	// task (Release); not one lost with its worker.
	Ended bool `json:"ended,omitempty"`
	// Heartbeat is when the holder last renewed the claim.
	Heartbeat time.Time `json:"heartbeat"`
	// Previous is, in what End returns after it took a claim over, the
	// record it replaced (never stored).
	Previous *Record `json:"-"`
}

// Outcome of Acquire.
type Outcome int

// Acquire outcomes.
const (
	// Acquired: this attempt owns the execution; run it.
	Acquired Outcome = iota + 1
	// TookOver: like Acquired, after a lost attempt (Previous says which).
	TookOver
	// Duplicate: another message owns the execution; drop this one.
	Duplicate
	// Finished: the execution already has its final result (an ack was
	// lost, or it was cancelled before it ran: Cancel); ack the message
	// without running.
	Finished
	// Stale: a newer attempt holds the claim; leave the message alone.
	Stale
)

// ErrSuperseded means another attempt took the claim over.
var ErrSuperseded = errors.New("claim taken over by a newer attempt")

// Claim is a held claim.
type Claim struct {
	kv  jetstream.KeyValue
	key string
	rev uint64
	rec Record
	// Previous is the record this claim took over, for TookOver.
	Previous Record
}

// Record returns the claim's current value.
func (c *Claim) Record() Record { return c.rec }

// acquireTries bounds the rounds of Acquire. A round that sees the key
// exist but cannot read it is retried after a growing pause (10ms, 20ms,
// ... in all about 2.5s): on a replicated bucket a racing Create is refused
// (code 10164) before it is applied, and a read may hit a lagging replica.
const acquireTries = 8

// pause waits before round try of Acquire; false means ctx ended.
func pause(ctx context.Context, try int) bool {
	t := time.NewTimer(10 * time.Millisecond << (try - 1))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Acquire claims execution id for the message seq, delivered for the
// delivery-th time. The held claim's Record says which attempt this is.
func Acquire(ctx context.Context, kv jetstream.KeyValue, id string, seq uint64, delivery int, worker string, now time.Time) (*Claim, Outcome, error) {
	rec := Record{Seq: seq, Attempt: delivery, Delivery: delivery, Worker: worker, Heartbeat: now.UTC()}
	for try := 0; try < acquireTries; try++ {
		if try > 0 && !pause(ctx, try) {
			return nil, 0, fmt.Errorf("claim %s: %w", id, ctx.Err())
		}
		data, _ := json.Marshal(rec)
		rev, err := kv.Create(ctx, id, data)
		if err == nil {
			return &Claim{kv: kv, key: id, rev: rev, rec: rec}, Acquired, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return nil, 0, fmt.Errorf("claim %s: %w", id, err)
		}
		ent, err := kv.Get(ctx, id)
		if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
			// Expired between the two calls, or (on a replicated bucket) a
			// racing create is not applied yet or our read hit a lagging
			// replica: look again after a pause.
			continue
		}
		if err != nil {
			return nil, 0, fmt.Errorf("claim %s: %w", id, err)
		}
		var cur Record
		if err := wirejson.Unmarshal(ent.Value(), &cur); err != nil {
			return nil, 0, fmt.Errorf("claim %s: damaged record: %w", id, err)
		}
		switch {
		case cur.Final != "" && cur.Seq == 0:
			// Cancelled before any message of it was claimed (Cancel).
			return &Claim{kv: kv, key: id, rev: ent.Revision(), rec: cur}, Finished, nil
		case cur.Seq != seq:
			return nil, Duplicate, nil
		case cur.Final != "":
			return &Claim{kv: kv, key: id, rev: ent.Revision(), rec: cur}, Finished, nil
		case cur.delivery() > delivery:
			return nil, Stale, nil
		case cur.delivery() == delivery && cur.Worker == worker:
			// Our own earlier try whose answer was lost.
			return &Claim{kv: kv, key: id, rev: ent.Revision(), rec: cur}, Acquired, nil
		}
		rec.Attempt = max(delivery, cur.Attempt+1)
		rec.Failures = cur.Failures
		data, _ = json.Marshal(rec)
		rev, err = kv.Update(ctx, id, data, ent.Revision())
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			continue // raced with another taker: look again
		}
		if err != nil {
			return nil, 0, fmt.Errorf("claim %s: take over: %w", id, err)
		}
		c := &Claim{kv: kv, key: id, rev: rev, rec: rec, Previous: cur}
		if cur.Ended {
			return c, Acquired, nil // the retry the previous attempt asked for
		}
		return c, TookOver, nil
	}
	return nil, 0, fmt.Errorf("claim %s: too much contention", id)
}

// update writes rec if the claim is still ours. A write whose answer was
// lost (a timeout, a cancelled request) may still have been applied: so
// after any failure the claim is read back, and only a claim held by
// another attempt means ErrSuperseded.
func (c *Claim) update(ctx context.Context, rec Record) error {
	data, _ := json.Marshal(rec)
	var lastErr error
	for try := 0; try < 3; try++ {
		rev, err := c.kv.Update(ctx, c.key, data, c.rev)
		if err == nil {
			c.rev, c.rec = rev, rec
			return nil
		}
		lastErr = err
		ent, gerr := c.kv.Get(ctx, c.key)
		if errors.Is(gerr, jetstream.ErrKeyNotFound) || errors.Is(gerr, jetstream.ErrKeyDeleted) {
			return fmt.Errorf("claim %s: gone: %w", c.key, ErrSuperseded)
		}
		if gerr != nil {
			return fmt.Errorf("claim %s: %w", c.key, err)
		}
		var cur Record
		if wirejson.Unmarshal(ent.Value(), &cur) != nil || !cur.sameHolder(c.rec) {
			return fmt.Errorf("claim %s: %w", c.key, ErrSuperseded)
		}
		if cur.equal(rec) { // our write was applied; its answer was lost
			c.rev, c.rec = ent.Revision(), rec
			return nil
		}
		// An earlier write of ours was applied after we gave up on it:
		// write again on top of it.
		c.rev, c.rec = ent.Revision(), cur
	}
	return fmt.Errorf("claim %s: %w", c.key, lastErr)
}

// delivery is the delivery count the holder received.
func (r Record) delivery() int {
	if r.Delivery == 0 {
		return r.Attempt
	}
	return r.Delivery
}

// sameHolder reports whether two records name the same attempt.
func (r Record) sameHolder(o Record) bool {
	return r.Seq == o.Seq && r.Attempt == o.Attempt && r.Worker == o.Worker
}

func (r Record) equal(o Record) bool {
	return r.sameHolder(o) && r.Delivery == o.Delivery && r.Failures == o.Failures && r.Final == o.Final && r.Ended == o.Ended && r.Heartbeat.Equal(o.Heartbeat)
}

// Renew refreshes the claim (and its age in the bucket), failing with
// ErrSuperseded if another attempt took it over.
func (c *Claim) Renew(ctx context.Context, now time.Time) error {
	rec := c.rec
	rec.Heartbeat = now.UTC()
	return c.update(ctx, rec)
}

// Failed records a failed attempt before a retry.
func (c *Claim) Failed(ctx context.Context, now time.Time) error {
	rec := c.rec
	rec.Failures++
	rec.Ended = true
	rec.Heartbeat = now.UTC()
	return c.update(ctx, rec)
}

// Release hands the execution back after an attempt that could not start
// its task for a reason of the system's (a store it reads was unreachable,
// the worker's disk): not a failure, so no retry is used, and the next
// delivery acquires the claim as a retry's does, with no takeover.
func (c *Claim) Release(ctx context.Context, now time.Time) error {
	rec := c.rec
	rec.Ended = true
	rec.Heartbeat = now.UTC()
	return c.update(ctx, rec)
}

// Finish records the final state; after it, any copy or redelivery of the
// execution is acked without running.
func (c *Claim) Finish(ctx context.Context, state string, now time.Time) error {
	rec := c.rec
	rec.Final = state
	rec.Heartbeat = now.UTC()
	return c.update(ctx, rec)
}
