package event

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/streamio"
	"github.com/jetcron/jetcron/pkg/topology"
)

// Reader reads events and executions from the events stream.
type Reader struct {
	nc    *nats.Conn
	js    jetstream.JetStream
	api   string // js's API prefix, for direct gets
	names topology.Names
}

// NewReader returns a Reader for the namespace of names, reading through
// js (in its JetStream domain, if it has one).
func NewReader(nc *nats.Conn, js jetstream.JetStream, names topology.Names) *Reader {
	return &Reader{nc: nc, js: js, api: streamio.APIPrefix(js), names: names}
}

const readBatch = 1000

// scan returns every event matching filter with sequence in [from, to]
// (to = 0 means no upper bound), in order.
func (r *Reader) scan(ctx context.Context, filter string, from, to uint64) ([]Event, error) {
	return r.read(ctx, streamio.DirectRequest{Filter: filter, Seq: max(from, 1)}, to, 0)
}

// read pages through the events matching req.Filter from req's start (a
// sequence, or a time through the stream's time index) up to sequence to
// (0: no bound), in order. Past limit events (0: no limit) it fails with
// ErrTooManyEvents.
func (r *Reader) read(ctx context.Context, req streamio.DirectRequest, to uint64, limit int) ([]Event, error) {
	req.Stream, req.API = r.names.EventsStream(), r.api
	var out []Event
	for {
		req.Batch = readBatch
		if to > 0 {
			if req.Seq > to {
				return out, nil
			}
			req.Batch = int(min(uint64(readBatch), to-req.Seq+1))
		}
		msgs, err := streamio.DirectBatch(ctx, r.nc, req)
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			if to > 0 && m.Seq > to {
				return out, nil
			}
			e, ok, err := DecodeMsg(m.Subject, m.Data)
			if err != nil || !ok {
				continue // not ours to interpret: skip, as every reader does
			}
			e.Seq = m.Seq
			out = append(out, e)
		}
		if limit > 0 && len(out) > limit {
			return nil, ErrTooManyEvents
		}
		if len(msgs) < req.Batch {
			return out, nil
		}
		req.Seq, req.StartTime = msgs[len(msgs)-1].Seq+1, time.Time{}
	}
}

// Events returns every event of one execution, in order.
func (r *Reader) Events(ctx context.Context, executionID string) ([]Event, error) {
	jobName, _, err := job.ParseExecutionID(executionID)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", job.ErrInvalid, err)
	}
	return r.scan(ctx, r.names.ExecutionEventsFilter(jobName, executionID), 1, 0)
}

// Get returns the execution folded from its events, or job.ErrNotFound.
func (r *Reader) Get(ctx context.Context, executionID string) (job.Execution, error) {
	evs, err := r.Events(ctx, executionID)
	if err != nil {
		return job.Execution{}, err
	}
	if len(evs) == 0 {
		return job.Execution{}, fmt.Errorf("execution %s: %w", executionID, job.ErrNotFound)
	}
	return Fold(evs), nil
}

// JobEvents returns the job-level events of a job (created, disabled, ...).
func (r *Reader) JobEvents(ctx context.Context, jobName string) ([]Event, error) {
	return r.scan(ctx, r.names.EventSubject(jobName, JobToken, "*"), 1, 0)
}

// ListOptions selects a page of executions.
type ListOptions struct {
	// Job restricts the list to one job; empty lists every job.
	Job string
	// Limit is the page size. Defaults to 20; at most 1000.
	Limit int
	// Before continues a previous page: only executions whose first event
	// precedes this sequence.
	Before uint64
}

// List returns up to Limit executions, newest first, and the cursor of the
// next page (0 when there is none). It reads the stream backwards in
// windows that double in size, so its cost depends on the page, not on how
// many executions the job has.
func (r *Reader) List(ctx context.Context, o ListOptions) ([]job.Execution, uint64, error) {
	limit := o.Limit
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 1000)
	filter := r.names.EventSubjects()
	if o.Job != "" {
		filter = r.names.JobEventsFilter(o.Job)
	}
	info, err := r.streamInfo(ctx)
	if err != nil {
		return nil, 0, err
	}
	hi := info.LastSeq
	if o.Before > 0 {
		hi = min(hi, o.Before-1)
	}
	first := info.FirstSeq
	window := uint64(max(4*limit, 256))
	seen := map[string]bool{}
	var ids []string
	for hi >= first && hi > 0 && len(ids) < limit {
		lo := first
		if hi >= first+window {
			lo = hi - window + 1
		}
		evs, err := r.scan(ctx, filter, lo, hi)
		if err != nil {
			return nil, 0, err
		}
		for i := len(evs) - 1; i >= 0 && len(ids) < limit; i-- {
			id := evs[i].Execution
			if id == "" || seen[id] {
				continue
			}
			seen[id] = true
			ids = append(ids, id)
		}
		if lo == first {
			break
		}
		hi = lo - 1
		window = min(window*2, 1<<20)
	}
	// Fold each execution from its own events, several at a time.
	folded := make([]job.Execution, len(ids))
	found := make([]bool, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, id := range ids {
		g.Go(func() error {
			x, err := r.Get(gctx, id)
			if errors.Is(err, job.ErrNotFound) {
				return nil
			}
			folded[i], found[i] = x, err == nil
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, 0, err
	}
	out := make([]job.Execution, 0, len(ids))
	for i := range folded {
		if found[i] {
			out = append(out, folded[i])
		}
	}
	slices.SortFunc(out, func(a, b job.Execution) int {
		switch {
		case a.Seq > b.Seq:
			return -1
		case a.Seq < b.Seq:
			return 1
		}
		return 0
	})
	var next uint64
	if len(out) == limit {
		next = out[len(out)-1].Seq
		for _, x := range out {
			next = min(next, x.Seq)
		}
	}
	return out, next, nil
}

type streamState struct{ FirstSeq, LastSeq uint64 }

// streamInfo asks for the events stream's state; a request sent while the
// stream elects a leader can go unanswered, and is asked again.
func (r *Reader) streamInfo(ctx context.Context) (streamState, error) {
	s, err := streamio.AskAgain(ctx, func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }, func(ctx context.Context) (jetstream.Stream, error) {
		return r.js.Stream(ctx, r.names.EventsStream())
	})
	if err != nil {
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			return streamState{}, fmt.Errorf("events: %w", topology.ErrNotReady)
		}
		return streamState{}, fmt.Errorf("events stream: %w", err)
	}
	st := s.CachedInfo().State
	return streamState{FirstSeq: st.FirstSeq, LastSeq: st.LastSeq}, nil
}
