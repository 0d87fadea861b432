package failure_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
)

// chaosPruneArgs make the schedulers of a chaos run apply jobs' retention
// every 2 s to executions that ended 15 s ago or more (the defaults, 5 min
// and an hour, are longer than a run).
var (
	chaosPruneArgs  = []string{"--prune-interval", "2s", "--prune-floor", chaosPruneFloor.String()}
	chaosPruneFloor = 15 * time.Second
)

// eventRecorder keeps every event of the namespace as the stream stores
// it, through an ordered consumer, so that the checks see the events a
// job's retention deletes later.
type eventRecorder struct {
	mu    sync.Mutex
	evs   []event.Event
	next  uint64        // the sequence to read next
	moved chan struct{} // closed (and replaced) when next moves
	stop  context.CancelFunc
	done  chan struct{}
}

func recordEvents(t *testing.T, s *system) *eventRecorder {
	ctx, cancel := context.WithCancel(context.Background())
	r := &eventRecorder{next: 1, moved: make(chan struct{}), stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for ctx.Err() == nil {
			r.follow(ctx, s)
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond): // NATS down: again from where it stopped
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-r.done })
	return r
}

// follow reads from r.next until an error or the end of ctx.
func (r *eventRecorder) follow(ctx context.Context, s *system) {
	cons, err := s.js.OrderedConsumer(ctx, s.names.EventsStream(), jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{s.names.EventSubjects()}, DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: r.seq()})
	if err != nil {
		return
	}
	it, err := cons.Messages()
	if err != nil {
		return
	}
	defer it.Stop()
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	for {
		m, err := it.Next()
		if err != nil {
			return
		}
		md, err := m.Metadata()
		if err != nil {
			continue
		}
		e, ok, err := event.Decode(m.Data())
		r.mu.Lock()
		if md.Sequence.Stream >= r.next {
			r.next = md.Sequence.Stream + 1
			close(r.moved)
			r.moved = make(chan struct{})
			if err == nil && ok {
				e.Seq = md.Sequence.Stream
				r.evs = append(r.evs, e)
			}
		}
		r.mu.Unlock()
	}
}

func (r *eventRecorder) seq() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.next
}

// all returns every event recorded so far.
func (r *eventRecorder) all() []event.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.evs)
}

// through returns every event recorded, once the recorder has read the
// stream up to sequence last.
func (r *eventRecorder) through(t *testing.T, last uint64) []event.Event {
	deadline := time.NewTimer(time.Minute)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		if r.next > last {
			defer r.mu.Unlock()
			return slices.Clone(r.evs)
		}
		moved := r.moved
		r.mu.Unlock()
		select {
		case <-moved:
		case <-deadline.C:
			t.Fatalf("the event recorder is at sequence %d, not past %d", r.seq(), last)
		}
	}
}

// checkRetention checks what jobs' retention deleted: every execution
// whose events are gone had ended at least the floor before a job_pruned
// record of its job that covers its slot, its job had a retention, and
// none is gone in part; every other execution kept every event.
func (c *chaosRun) checkRetention(r *report, all, final []event.Event) int {
	byAll, byFinal := map[string][]event.Event{}, map[string][]event.Event{}
	pruned := map[string][]event.Event{}
	for _, e := range all {
		if e.Execution != "" {
			byAll[e.Execution] = append(byAll[e.Execution], e)
		}
	}
	for _, e := range final {
		if e.Execution != "" {
			byFinal[e.Execution] = append(byFinal[e.Execution], e)
		}
		if e.Kind == event.JobPruned {
			pruned[e.Job] = append(pruned[e.Job], e)
		}
	}
	deleted := 0
	for id, es := range byAll {
		left := len(byFinal[id])
		switch {
		case left == len(es):
			continue
		case left > 0:
			r.problem("%s: %d of its %d events deleted: an execution goes whole or not at all", id, len(es)-left, len(es))
			continue
		}
		deleted++
		name := es[0].Job
		if lj := c.ledger[name]; lj == nil || !slices.ContainsFunc(lj.versions, func(v version) bool { return v.spec.Retention.LimitsExecutions() }) {
			r.problem("%s: deleted, and job %s never had a retention", id, name)
			continue
		}
		x := event.Fold(es)
		if !x.State.Final() {
			r.problem("%s: deleted while %s", id, x.State)
			continue
		}
		slot := x.ScheduledAt
		if slot.IsZero() {
			_, slot, _ = job.ParseExecutionID(id)
		}
		ended := es[len(es)-1].Time
		if !slices.ContainsFunc(pruned[name], func(p event.Event) bool {
			return p.ScheduledAt != nil && p.Last != nil && !slot.Before(*p.ScheduledAt) && !slot.After(*p.Last) &&
				!p.Time.Before(ended.Add(chaosPruneFloor-time.Second))
		}) {
			r.problem("%s: deleted (ended %s) with no job_pruned record of %s covering its slot %s at least %s after its end", id, ended.Format("15:04:05.000"), name, slot.Format("15:04:05"), chaosPruneFloor)
		}
	}
	return deleted
}
