// Package dispatch publishes due executions to the work stream.
//
// Every work item is published with Nats-Msg-Id = its execution ID, which is
// deterministic in (job, slot): a slot published twice — a retry, a second
// leader, a replay after a crash — is stored once within the stream's
// duplicate window. Items go out in atomic batches of up to 1,000 (one fsync
// for the batch instead of one per message), several batches in flight
// (streamio.AtomicBatches: the next is encoded and sent while the stream
// commits the one before); fewer than streamio.MinAtomicBatch items are
// published one by one, which costs the server less. A refused batch (one
// of its IDs is already stored, a job is still running, a lost stream
// leader) is published again one message at a time, many in flight, so
// each item gets its own answer. A transient failure is retried with the
// same ID until it is acknowledged or the leader's lease runs out.
package dispatch

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/streamio"
	"github.com/jetcron/jetcron/pkg/topology"
	"github.com/jetcron/jetcron/pkg/tracing"
)

// Outcome is what happened to one item.
type Outcome int

// Outcomes.
const (
	// Published: the stream stored the item now.
	Published Outcome = iota + 1
	// Duplicate: the stream already had an item with this ID.
	Duplicate
	// Busy: the job's exclusive subject holds an unfinished execution.
	Busy
	// Failed: the item was not published (see Err); try again later.
	Failed
)

func (o Outcome) String() string {
	return [...]string{"", "published", "duplicate", "busy", "failed"}[o]
}

// Item is one execution to publish.
type Item struct {
	Work job.Work
	// Exclusive publishes the item on its job's one work subject, where
	// the stream refuses it while another execution of the job is there
	// (Busy). The scheduler decides it from the job's overlap policy
	// (scheduler/overlap.go).
	Exclusive bool
}

// Result is the outcome of one item.
type Result struct {
	Item    Item
	Outcome Outcome
	Seq     uint64
	Err     error
}

// ErrLeaseLost means publishing stopped because the leader's lease may have
// ended.
var ErrLeaseLost = errors.New("lease no longer valid")

// Dispatcher publishes work items.
type Dispatcher struct {
	nc    *nats.Conn
	js    jetstream.JetStream
	names topology.Names
	log   *slog.Logger
	// NoBatch disables atomic batches (for measuring their effect).
	NoBatch bool
	// Traceparent sets each item's slot span (package tracing) as its W3C
	// traceparent header: on when the scheduler exports traces.
	Traceparent bool
	// afterFirst, when set, runs between the first items and the others
	// of one Publish (tests inject what happens meanwhile).
	afterFirst func()
}

// New returns a Dispatcher.
func New(nc *nats.Conn, js jetstream.JetStream, names topology.Names, log *slog.Logger) *Dispatcher {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{nc: nc, js: js, names: names, log: log.With("component", "scheduler.dispatch")}
}

// Subject returns the work subject of an item.
func (d *Dispatcher) Subject(it Item) string {
	w := &it.Work
	return d.names.WorkSubject(w.Spec.Queue, w.Job, w.ID, it.Exclusive)
}

func (d *Dispatcher) msg(it Item) (*nats.Msg, error) {
	data, err := json.Marshal(it.Work)
	if err != nil {
		return nil, fmt.Errorf("encode work %s: %w", it.Work.ID, err)
	}
	m := nats.NewMsg(d.Subject(it))
	m.Data = data
	m.Header.Set(jetstream.MsgIDHeader, it.Work.ID)
	if d.Traceparent {
		m.Header.Set("traceparent", tracing.Traceparent(tracing.SlotContext(d.names.Namespace(), it.Work.ID)))
	}
	return m, nil
}

// Publish publishes items and returns one result per item, in order. valid
// is checked before every batch and retry: once it reports false, the
// remaining items fail with ErrLeaseLost and nothing more is published.
//
// An exclusive job's items after its first in one call are published on
// their own, after every batch: within one atomic batch a replicated
// stream does not hold a message against the one-message-per-subject rule
// of an earlier message of the same batch (both are stored and the limit
// then drops the first, a slot recorded scheduled that never runs).
// Published after its first item is stored, such an item is refused by
// the broker and comes back Busy; when its first item was not stored
// (busy, or failed), it is not published at all and takes that outcome, so
// an exclusive job's slots never run out of order.
func (d *Dispatcher) Publish(ctx context.Context, items []Item, valid func() bool) []Result {
	results := make([]Result, len(items))
	var first, again []int   // indexes into items
	firstOf := map[int]int{} // again item -> the first item of its subject
	seen := map[string]int{}
	for i := range items {
		results[i].Item = items[i]
		if items[i].Exclusive {
			subj := d.Subject(items[i])
			if f, ok := seen[subj]; ok {
				again = append(again, i)
				firstOf[i] = f
				continue
			}
			seen[subj] = i
		}
		first = append(first, i)
	}
	if len(again) == 0 {
		d.publishAll(ctx, results, valid)
		return results
	}
	gather := func(idx []int) []Result {
		rs := make([]Result, len(idx))
		for k, i := range idx {
			rs[k] = results[i]
		}
		return rs
	}
	scatter := func(idx []int, rs []Result) {
		for k, i := range idx {
			results[i] = rs[k]
		}
	}
	rs := gather(first)
	d.publishAll(ctx, rs, valid)
	scatter(first, rs)
	if d.afterFirst != nil {
		d.afterFirst()
	}
	// An item whose subject's first item was not stored is not published:
	// its job is busy, or it waits for the first to be retried (publishing
	// it when the job's running execution ended meanwhile would run a later
	// slot before the first).
	var later []int
	for _, i := range again {
		switch f := results[firstOf[i]]; f.Outcome {
		case Published, Duplicate:
			later = append(later, i)
		case Busy:
			results[i].Outcome = Busy
		default:
			results[i].Outcome, results[i].Err = Failed, f.Err
		}
	}
	rs = gather(later)
	if valid() {
		d.publishEach(ctx, rs, valid)
	} else {
		for k := range rs {
			rs[k].Outcome, rs[k].Err = Failed, ErrLeaseLost
		}
	}
	scatter(later, rs)
	return results
}

// publishAll publishes rs in atomic batches of up to MaxAtomicBatch,
// BatchesInFlight at a time. valid is asked before every batch; a batch
// that is refused, or whose items could not all be encoded, is published
// one item at a time.
func (d *Dispatcher) publishAll(ctx context.Context, rs []Result, valid func() bool) {
	var batched, each [][2]int // chunks of rs
	for _, c := range streamio.Chunks(len(rs)) {
		if d.NoBatch || c[1]-c[0] < streamio.MinAtomicBatch {
			each = append(each, c)
		} else {
			batched = append(batched, c)
		}
	}
	answers := streamio.AtomicBatches(ctx, d.nc, len(batched), func(k int) ([]*nats.Msg, error) {
		return d.msgs(rs[batched[k][0]:batched[k][1]])
	}, streamio.BatchesInFlight, valid)
	for k, a := range answers {
		part := rs[batched[k][0]:batched[k][1]]
		switch {
		case a.Err == nil:
			first := a.Ack.Seq - uint64(len(part)) + 1
			for i := range part {
				part[i].Outcome, part[i].Seq = Published, first+uint64(i)
			}
		case errors.Is(a.Err, streamio.ErrNotSent):
			leaseLost(part)
		case !valid():
			leaseLost(part)
		default:
			d.log.DebugContext(ctx, "batch refused; publishing one by one", "items", len(part), "error", a.Err)
			d.publishEach(ctx, part, valid)
		}
	}
	for _, c := range each {
		if !valid() {
			leaseLost(rs[c[0]:])
			return
		}
		d.publishEach(ctx, rs[c[0]:c[1]], valid)
	}
}

// leaseLost fails every item of rs not published yet with ErrLeaseLost.
func leaseLost(rs []Result) {
	for i := range rs {
		if rs[i].Outcome == 0 {
			rs[i].Outcome, rs[i].Err = Failed, ErrLeaseLost
		}
	}
}

// msgs encodes the items of rs; an item that cannot be encoded fails,
// and so does the batch.
func (d *Dispatcher) msgs(rs []Result) ([]*nats.Msg, error) {
	msgs := make([]*nats.Msg, len(rs))
	var first error
	for i := range rs {
		m, err := d.msg(rs[i].Item)
		if err != nil {
			rs[i].Outcome, rs[i].Err = Failed, err
			first = cmp.Or(first, err)
		}
		msgs[i] = m
	}
	return msgs, first
}

// publishEach publishes every item of rs with many in flight, then retries
// transient failures one by one.
func (d *Dispatcher) publishEach(ctx context.Context, rs []Result, valid func() bool) {
	futures := make([]jetstream.PubAckFuture, len(rs))
	for i := range rs {
		if rs[i].Outcome == Failed && rs[i].Err != nil && !errors.Is(rs[i].Err, ErrLeaseLost) {
			continue // could not even encode it
		}
		m, err := d.msg(rs[i].Item)
		if err != nil {
			rs[i].Outcome, rs[i].Err = Failed, err
			continue
		}
		f, err := d.js.PublishMsgAsync(m)
		if err != nil {
			rs[i].Err = err
			continue
		}
		futures[i] = f
	}
	for i, f := range futures {
		if f == nil {
			continue
		}
		select {
		case ack := <-f.Ok():
			rs[i].Seq = ack.Sequence
			rs[i].Outcome = Published
			if ack.Duplicate {
				rs[i].Outcome = Duplicate
			}
		case err := <-f.Err():
			rs[i].Err = err
		case <-ctx.Done():
			rs[i].Err = ctx.Err()
		}
	}
	for i := range rs {
		if rs[i].Outcome != 0 {
			continue
		}
		d.settle(ctx, &rs[i], valid)
	}
}

// settle decides the outcome of an item whose publish failed: a full
// exclusive subject means the job is busy; a transient error is retried with
// the same ID while the lease holds.
func (d *Dispatcher) settle(ctx context.Context, r *Result, valid func() bool) {
	for {
		if isStoreRefusal(r.Err) {
			if r.Item.Exclusive && d.subjectHolds(ctx, r.Item) {
				r.Outcome, r.Err = Busy, nil
				return
			}
			r.Outcome = Failed
			if r.Item.Exclusive && perSubjectRefusal(r.Err) {
				// The job's previous run held the subject when it was
				// published, and not (or not that the read could tell)
				// when the leader looked: the slot is tried again.
				d.log.InfoContext(ctx, "work stream refused an execution: its job's previous run held the subject; trying again", "execution_id", r.Item.Work.ID)
				return
			}
			d.log.ErrorContext(ctx, "work stream refused an execution; is it full?", "execution_id", r.Item.Work.ID, "error", r.Err)
			return
		}
		if streamio.Permanent(r.Err) || ctx.Err() != nil {
			r.Outcome = Failed
			return
		}
		if !valid() {
			r.Outcome, r.Err = Failed, ErrLeaseLost
			return
		}
		m, err := d.msg(r.Item)
		if err != nil {
			r.Outcome, r.Err = Failed, err
			return
		}
		tctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		ack, err := d.js.PublishMsg(tctx, m)
		cancel()
		if err == nil {
			r.Seq, r.Outcome, r.Err = ack.Sequence, Published, nil
			if ack.Duplicate {
				r.Outcome = Duplicate
			}
			return
		}
		r.Err = err
		d.log.WarnContext(ctx, "publish failed; retrying with the same id", "execution_id", r.Item.Work.ID, "error", err)
		select {
		case <-ctx.Done():
			r.Outcome = Failed
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// isStoreRefusal reports the stream's "could not store" answer (code 10077),
// given both for a full stream and for a full subject.
func isStoreRefusal(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == storeFailedCode
}

// storeFailedCode is the JetStream error code of a message the stream
// refused to store (a limit with DiscardNew).
const storeFailedCode = 10077

// perSubjectRefusal reports whether a store refusal came from the
// subject's own limit (an exclusive job's one message on the work stream),
// not the stream's.
func perSubjectRefusal(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == storeFailedCode && strings.Contains(apiErr.Description, "per subject")
}

// subjectHolds reports whether the item's subject already holds a message
// (the job's previous execution), which is what makes a refusal "busy".
func (d *Dispatcher) subjectHolds(ctx context.Context, it Item) bool {
	_, ok, err := streamio.DirectLast(ctx, d.nc, d.names.WorkStream(), d.Subject(it))
	return err == nil && ok
}
