package scheduler

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/streamio"
	"github.com/jetcron/jetcron/scheduler/internal/dispatch"
)

// Concurrency across jobs: a job's concurrency key (job.Spec.ConcurrencyKey,
// "KEY:N") lets at most N executions of all the jobs naming KEY be on the
// work stream at once — waiting for a worker or running, as the overlap
// rule counts them (overlap.go) — and a queue's max running (the queues
// bucket, `jetcron queue set`) caps all the executions of the queue the
// same way. Each is a gate; an item passes when every gate it has has room.
//
// The leader decides it, with the machinery of overlap delay: before a
// round's items are published, publishGated admits them in slot order
// while their gates have room, and hands back the others as Busy with a
// gateWait; busy (overlap.go) makes such an item its job's delayed run,
// whatever the overlap policy, with a delayed event naming the gate (a job
// keeps one run waiting; another is recorded skipped). Delayed runs are
// offered again when an execution holding one of their gates ends, every
// bufferedRetry, and before their job's newer slots (delayed.go), and pass
// the gates again then, oldest slot first.
//
// Who holds a gate: the executions the leader published (or found on the
// work stream at a takeover) with that gate, until their final event. A
// final event the leader misses (its watch drops events under load) or an
// execution that never reports an end cannot hold a gate for ever: every
// holderCheck, while runs wait, the leader looks the holders up on the
// work stream, and one whose work message is gone has ended. A message
// stays on the work stream exactly as long as its execution is unfinished
// — a dead worker's run is redelivered after the ack wait, and one that ran
// out of deliveries is removed (maxdeliver.go) — so the gate is held as
// long as the overlap rule would hold the job, and no longer.
//
// A takeover rebuilds the holders from the work stream (rebuildHolders:
// each work item carries its job's definition, hence its key and queue),
// so the cap stays exact across leaders; the waiting runs are delayed runs,
// kept in the state bucket and recovered from the tail of the events
// (recover.go), so none is lost.

// holderCheck is how often, while runs wait for a gate, the holders are
// looked up on the work stream; holderMinAge is how old a holder must be
// to be looked up (a replica serving direct gets may lag a fresh publish).
const (
	holderCheck  = 5 * time.Second
	holderMinAge = 10 * time.Second
)

// gate is one limit an execution is subject to.
type gate struct {
	name  string // "key backup", "queue default"
	limit int
}

func (g gate) String() string {
	if k, ok := strings.CutPrefix(g.name, "key "); ok {
		return "concurrency key " + k
	}
	if q, ok := strings.CutPrefix(g.name, "queue "); ok {
		return "queue " + q + "'s max running"
	}
	return g.name
}

// gateWait is why an item did not pass its gates: it is Busy with this
// error, and busy delays it naming the gate.
type gateWait struct {
	gate    gate
	holders int
}

func (e *gateWait) Error() string {
	return fmt.Sprintf("waiting for %s (%d of %d running)", e.gate, e.holders, e.gate.limit)
}

// holder is an execution holding gates.
type holder struct {
	subject string
	since   time.Time
	gates   []string
}

// concurrency is what the leader knows of the gates.
type concurrency struct {
	// holders: gate name -> execution IDs; byExec: execution -> holder.
	holders map[string]map[string]bool
	byExec  map[string]*holder
	// caps are the queues' max running (queue -> N), replaced whole by the
	// watch of the queues bucket.
	caps atomic.Pointer[map[string]int]
	// The holder check: one at a time; gone are the executions it found
	// ended.
	nextCheck time.Time
	mu        sync.Mutex // guards checking and gone
	checking  bool
	gone      []string
}

// capsNow returns the queues' max running.
func (c *concurrency) capsNow() map[string]int {
	if p := c.caps.Load(); p != nil {
		return *p
	}
	return nil
}

// gatesOf returns the gates of an execution of spec.
func gatesOf(spec *job.Spec, caps map[string]int) []gate {
	var gs []gate
	if spec.ConcurrencyKey != "" {
		if k, ok := spec.Concurrency(); ok {
			gs = append(gs, gate{name: "key " + k.Key, limit: k.Limit})
		}
	}
	if n := caps[spec.Queue]; n > 0 {
		gs = append(gs, gate{name: "queue " + spec.Queue, limit: n})
	}
	return gs
}

// hold records that execution id (on the work stream under subject) holds
// gates.
func (c *concurrency) hold(id, subject string, since time.Time, gates []gate) {
	if _, ok := c.byExec[id]; ok || len(gates) == 0 {
		return
	}
	if c.byExec == nil {
		c.holders, c.byExec = map[string]map[string]bool{}, map[string]*holder{}
	}
	h := &holder{subject: subject, since: since}
	for _, g := range gates {
		set := c.holders[g.name]
		if set == nil {
			set = map[string]bool{}
			c.holders[g.name] = set
		}
		set[id] = true
		h.gates = append(h.gates, g.name)
	}
	c.byExec[id] = h
}

// release drops execution id's hold, returning the gates it freed.
func (c *concurrency) release(id string) []string {
	h, ok := c.byExec[id]
	if !ok {
		return nil
	}
	delete(c.byExec, id)
	for _, g := range h.gates {
		delete(c.holders[g], id)
		if len(c.holders[g]) == 0 {
			delete(c.holders, g)
		}
	}
	return h.gates
}

// publishGated publishes the items that pass their gates (in slot order)
// and returns one result per item, in order: those that did not pass are
// Busy with a gateWait. The items published hold their gates.
func (r *leaderRun) publishGated(ctx context.Context, items []dispatch.Item) []dispatch.Result {
	caps := r.conc.capsNow()
	var gated []int
	gatesAt := map[int][]gate{}
	for i := range items {
		if gs := gatesOf(&items[i].Work.Spec, caps); len(gs) > 0 {
			gated = append(gated, i)
			gatesAt[i] = gs
		}
	}
	if len(gated) == 0 {
		return r.disp.Publish(ctx, items, r.lease.Valid)
	}
	slices.SortStableFunc(gated, func(a, b int) int {
		wa, wb := &items[a].Work, &items[b].Work
		return cmp.Or(wa.ScheduledAt.Compare(wb.ScheduledAt), cmp.Compare(wa.ID, wb.ID))
	})
	used := map[string]int{}
	held := map[int]error{}
	for _, i := range gated {
		if _, ok := r.conc.byExec[items[i].Work.ID]; ok {
			continue // already holds its gates (published again: a duplicate)
		}
		for _, g := range gatesAt[i] {
			if n := len(r.conc.holders[g.name]) + used[g.name]; n >= g.limit {
				held[i] = &gateWait{gate: g, holders: n}
				break
			}
		}
		if held[i] == nil {
			for _, g := range gatesAt[i] {
				used[g.name]++
			}
		}
	}
	results := make([]dispatch.Result, len(items))
	pub := make([]dispatch.Item, 0, len(items)-len(held))
	at := make([]int, 0, len(items)-len(held))
	for i := range items {
		if err := held[i]; err != nil {
			results[i] = dispatch.Result{Item: items[i], Outcome: dispatch.Busy, Err: err}
			continue
		}
		pub = append(pub, items[i])
		at = append(at, i)
	}
	now := r.now()
	for k, res := range r.disp.Publish(ctx, pub, r.lease.Valid) {
		i := at[k]
		results[i] = res
		if gs := gatesAt[i]; len(gs) > 0 && (res.Outcome == dispatch.Published || res.Outcome == dispatch.Duplicate) {
			r.conc.hold(res.Item.Work.ID, r.disp.Subject(res.Item), now, gs)
		}
	}
	return results
}

// executionEnded notes that an execution ended (its final event, or the
// holder check found its work message gone): its job's delayed run and
// the delayed runs waiting for a gate it held are offered in the next
// round.
func (r *leaderRun) executionEnded(name, id string) {
	r.delayed.jobEnded(name)
	freed := r.conc.release(id)
	if len(freed) == 0 || len(r.delayed.jobs) == 0 {
		return
	}
	caps := r.conc.capsNow()
	for waiting := range r.delayed.jobs {
		ji := r.jobs.def(waiting)
		if ji == nil || waiting == name {
			continue
		}
		spec := ji.Spec()
		for _, g := range gatesOf(&spec, caps) {
			if slices.Contains(freed, g.name) {
				r.delayed.offer = append(r.delayed.offer, waiting)
				break
			}
		}
	}
}

// checkHolders releases the holders the last check found gone, and starts
// the next check when it is due and runs wait (tick calls it every round).
func (r *leaderRun) checkHolders(ctx context.Context, now time.Time) {
	c := &r.conc
	c.mu.Lock()
	gone, checking := c.gone, c.checking
	c.gone = nil
	c.mu.Unlock()
	for _, id := range gone {
		if name, _, err := job.ParseExecutionID(id); err == nil {
			r.executionEnded(name, id)
		}
	}
	if checking || len(c.byExec) == 0 || len(r.delayed.jobs) == 0 || now.Before(c.nextCheck) {
		return
	}
	c.nextCheck = now.Add(holderCheck)
	look := map[string]string{} // execution -> subject
	for id, h := range c.byExec {
		if now.Sub(h.since) >= holderMinAge {
			look[id] = h.subject
		}
	}
	if len(look) == 0 {
		return
	}
	c.mu.Lock()
	c.checking = true
	c.mu.Unlock()
	r.bg.Add(1)
	go func() {
		defer r.bg.Done()
		var ended []string
		for id, subject := range look {
			lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			m, ok, err := streamio.DirectLast(lctx, r.s.nc, r.s.names.WorkStream(), subject)
			cancel()
			if err != nil {
				continue // unknown: keep holding
			}
			if !ok || m.Header.Get(jetstream.MsgIDHeader) != id {
				ended = append(ended, id)
			}
		}
		c.mu.Lock()
		c.gone = append(c.gone, ended...)
		c.checking = false
		c.mu.Unlock()
	}()
}

// rebuildHolders finds, at a takeover, the executions on the work stream
// that hold gates: every unfinished execution is there, with its job's
// definition. Only read when some job names a concurrency key or some
// queue has a cap.
func (r *leaderRun) rebuildHolders(ctx context.Context) error {
	caps := r.conc.capsNow()
	used := len(caps) > 0
	for _, k := range r.jobs.byName {
		if k.def.Spec().ConcurrencyKey != "" {
			used = true
			break
		}
	}
	if !used {
		return nil
	}
	return r.readTail(ctx, r.s.names.WorkStream(), r.s.names.WorkSubjects(), time.Time{}, func(m streamio.Msg) {
		var w job.Work
		if json.Unmarshal(m.Data, &w) != nil || w.ID == "" || m.Header.Get(jetstream.MsgIDHeader) != w.ID {
			return
		}
		r.conc.hold(w.ID, m.Subject, m.Time, gatesOf(&w.Spec, caps))
	})
}

// watchQueueCaps loads the queues' max running and follows their changes
// until ctx ends.
func (r *leaderRun) watchQueueCaps(ctx context.Context) error {
	lctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	kv, err := r.s.js.KeyValue(lctx, r.s.names.QueuesBucket())
	cancel()
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		// Resources made by an older version (and SkipEnsure): no caps
		// until `jetcron admin ensure` makes the bucket.
		r.log.WarnContext(ctx, "no queue settings bucket; queue caps are off", "bucket", r.s.names.QueuesBucket())
		return nil
	}
	if err != nil {
		return fmt.Errorf("bucket %s: %w", r.s.names.QueuesBucket(), err)
	}
	w, err := kv.WatchAll(ctx)
	if err != nil {
		return fmt.Errorf("watch queue settings: %w", err)
	}
	caps := map[string]int{}
	apply := func(ent jetstream.KeyValueEntry) {
		next := map[string]int{}
		for q, n := range caps {
			next[q] = n
		}
		var qs job.QueueSettings
		if ent.Operation() != jetstream.KeyValuePut || json.Unmarshal(ent.Value(), &qs) != nil || qs.Queue != ent.Key() || qs.Validate() != nil || qs.MaxRunning == 0 {
			delete(next, ent.Key())
		} else {
			next[ent.Key()] = qs.MaxRunning
		}
		caps = next
		r.conc.caps.Store(&next)
	}
	// The watch ends with ctx (WatchAll stops it). Neither wait below
	// stops it by hand: a Stop deletes the consumer with a request that,
	// NATS down, would hold the end of the term for seconds.
	for synced := false; !synced; {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ent, ok := <-w.Updates():
			if !ok {
				return fmt.Errorf("watch queue settings: ended")
			}
			if ent == nil {
				synced = true
				break
			}
			apply(ent)
		}
	}
	go func() {
		for ent := range w.Updates() {
			if ent != nil {
				apply(ent)
			}
		}
	}()
	return nil
}
