package failure_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/leader"
	"github.com/jetcron/jetcron/pkg/topology"
)

// term is one leadership term as the harness saw it in the lease bucket.
type term struct {
	rev   uint64 // the revision that created the lease: the term
	id    string // the scheduler's ID
	pid   int
	since time.Time // when the harness saw it (its own clock)
}

// leaderLog follows the lease key and records every new term.
type leaderLog struct {
	mu    sync.Mutex
	terms []term
}

func watchLeaders(t *testing.T, s *system) *leaderLog {
	t.Helper()
	l := &leaderLog{}
	ctx, cancel := context.WithCancel(context.Background())
	kv, err := s.js.KeyValue(ctx, s.names.LeaderBucket())
	require.NoError(t, err)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			w, err := kv.Watch(ctx, topology.LeaderKey)
			if err != nil {
				time.Sleep(100 * time.Millisecond) // NATS is down: try again
				continue
			}
			// ended: the previous value was a delete or expiry marker, so the
			// next put creates a new term even by the same scheduler. A fresh
			// watch does not know: only a new ID begins a term then.
			ended := false
			for ent := range w.Updates() {
				if ent == nil {
					continue
				}
				if ent.Operation() != jetstream.KeyValuePut {
					ended = true
					continue
				}
				var r leader.Record
				_ = json.Unmarshal(ent.Value(), &r)
				l.mu.Lock()
				if n := len(l.terms); n == 0 || ended || l.terms[n-1].id != r.ID {
					l.terms = append(l.terms, term{rev: ent.Revision(), id: r.ID, pid: r.PID, since: time.Now()})
				}
				l.mu.Unlock()
				ended = false
			}
			_ = w.Stop()
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return l
}

// firstAfter returns the first term that began after t by a scheduler other
// than exclude (its ID), if any.
func (l *leaderLog) firstAfter(t time.Time, exclude string) (term, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, tm := range l.terms {
		if tm.since.After(t) && tm.id != exclude {
			return tm, true
		}
	}
	return term{}, false
}

// current returns the newest term.
func (l *leaderLog) current() (term, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.terms) == 0 {
		return term{}, false
	}
	return l.terms[len(l.terms)-1], true
}

// all returns every term seen.
func (l *leaderLog) all() []term {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]term(nil), l.terms...)
}
