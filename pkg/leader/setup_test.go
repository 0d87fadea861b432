package leader_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/jetcron/jetcron/pkg/clock"
	"github.com/jetcron/jetcron/pkg/leader"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/topology"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/nats-io/nats-server/v2/server.(*Server).startGoRoutine.func1"),
		goleak.IgnoreAnyFunction("github.com/nats-io/nats-server/v2/server.(*fileStore).flushStreamStateLoop"),
	)
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// bundle is one embedded JetStream server with a lease bucket configured
// exactly as topology.Ensure configures the production one.
type bundle struct {
	srv    *natstest.Server
	js     jetstream.JetStream
	kv     jetstream.KeyValue
	bucket string
	ttl    time.Duration
}

func setup(t *testing.T, ttl time.Duration) *bundle {
	t.Helper()
	srv := natstest.RunJetStream(t)
	js := natstest.JetStream(t, natstest.Connect(t, srv))
	topo := natstest.Topology(t)
	topo.LeaseTTL = ttl
	bucket := topo.Names().LeaderBucket()
	var cfg *jetstream.KeyValueConfig
	for _, c := range topo.KeyValueConfigs() {
		if c.Bucket == bucket {
			cfg = &c
		}
	}
	require.NotNil(t, cfg, "topology has no leader bucket")
	require.Equal(t, ttl, cfg.TTL)
	kv, err := js.CreateKeyValue(t.Context(), *cfg)
	require.NoError(t, err)
	return &bundle{srv: srv, js: js, kv: kv, bucket: bucket, ttl: ttl}
}

// entry returns the lease key's current entry, or nil if there is none.
func (b *bundle) entry(t *testing.T) jetstream.KeyValueEntry {
	t.Helper()
	e, err := b.kv.Get(t.Context(), topology.LeaderKey)
	if err != nil {
		require.ErrorIs(t, err, jetstream.ErrKeyNotFound)
		return nil
	}
	return e
}

// holder returns the ID in the lease record, or "" if nobody holds it.
func (b *bundle) holder(t *testing.T) string {
	t.Helper()
	rec, ok, err := leader.Current(t.Context(), b.kv, topology.LeaderKey)
	require.NoError(t, err)
	if !ok {
		return ""
	}
	return rec.ID
}

// watchers returns the number of consumers on the bucket's stream: every
// campaigning elector keeps one watch on the key.
func (b *bundle) watchers(t *testing.T) int {
	t.Helper()
	s, err := b.js.Stream(t.Context(), "KV_"+b.bucket)
	require.NoError(t, err)
	info, err := s.Info(t.Context())
	require.NoError(t, err)
	return info.State.Consumers
}

// candidate is one Elector on a connection of its own, with its OnLead
// observed through channels.
type candidate struct {
	id    string
	el    *leader.Elector
	leads chan *leader.Lease // each lease OnLead was given
	ended chan uint64        // the term whose OnLead ctx ended
	calls atomic.Int64       // OnLead calls
}

type candidateOptions struct {
	// clock defaults to the wall clock.
	clock clock.Clock
	// stepDown makes OnLead return at once on its first call.
	stepDown bool
	// quit, once closed, makes OnLead return (as the scheduler's loop does
	// when it finds its lease no longer valid).
	quit <-chan struct{}
	// reclaimOwn sets Config.ReclaimOwn.
	reclaimOwn bool
}

func (b *bundle) candidate(t *testing.T, id string, o candidateOptions) *candidate {
	t.Helper()
	js := natstest.JetStream(t, natstest.Connect(t, b.srv))
	kv, err := js.KeyValue(t.Context(), b.bucket)
	require.NoError(t, err)
	c := &candidate{id: id, leads: make(chan *leader.Lease, 16), ended: make(chan uint64, 16)}
	el, err := leader.New(kv, leader.Config{
		ID:         id,
		Key:        topology.LeaderKey,
		TTL:        b.ttl,
		Clock:      o.clock,
		Logger:     testLogger(t),
		ReclaimOwn: o.reclaimOwn,
		OnLead: func(ctx context.Context, l *leader.Lease) {
			n := c.calls.Add(1)
			c.leads <- l
			if !(o.stepDown && n == 1) {
				select {
				case <-ctx.Done():
				case <-o.quit:
				}
			}
			c.ended <- l.Term()
		},
	})
	require.NoError(t, err)
	c.el = el
	return c
}

// start starts the candidate and waits until it watches the key: a Stop
// while the elector's watch is still being set up can leave its watch
// goroutine blocked for good (see the report on pkg/leader), which goleak
// would flag at random.
func (c *candidate) start(t *testing.T, b *bundle) {
	t.Helper()
	watching := b.watchers(t)
	require.NoError(t, c.el.Start(t.Context()))
	natstest.Eventually(t, 10*time.Second, func() bool { return b.watchers(t) > watching }, "%s watches the key", c.id)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, c.el.Stop(ctx))
	})
}

// lead starts a candidate and returns it with its first lease.
func (b *bundle) lead(t *testing.T, id string, o candidateOptions) (*candidate, *leader.Lease) {
	t.Helper()
	c := b.candidate(t, id, o)
	c.start(t, b)
	return c, c.waitLead(t, 10*time.Second)
}

// waitLead returns the next lease OnLead is given, failing after d.
func (c *candidate) waitLead(t *testing.T, d time.Duration) *leader.Lease {
	t.Helper()
	select {
	case l := <-c.leads:
		return l
	case <-time.After(d):
		t.Fatalf("%s did not become leader within %s", c.id, d)
		return nil
	}
}

// waitEnded returns the term whose OnLead context ended next, failing after d.
func (c *candidate) waitEnded(t *testing.T, d time.Duration) uint64 {
	t.Helper()
	select {
	case term := <-c.ended:
		return term
	case <-time.After(d):
		t.Fatalf("%s's leadership did not end within %s", c.id, d)
		return 0
	}
}

// countingClock is a fake clock that counts the timers made on it: an
// elector makes one poll timer per failed campaign attempt, so the count
// shows that it tried (and failed) to take the lease.
type countingClock struct {
	*clock.Fake
	made atomic.Int64
}

func newCountingClock() *countingClock { return &countingClock{Fake: clock.NewFake(t0)} }

func (c *countingClock) NewTimer(d time.Duration) clock.Timer {
	c.made.Add(1)
	return c.Fake.NewTimer(d)
}

// jumpClock is a countingClock whose time can jump ahead without firing
// its timers: what a process paused for a while sees in the instant it
// resumes, before its timer goroutines run.
type jumpClock struct {
	*countingClock
	jump atomic.Int64
}

func (c *jumpClock) Now() time.Time                  { return c.countingClock.Now().Add(time.Duration(c.jump.Load())) }
func (c *jumpClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// waitArmed waits until at least n timers are active on c.
func waitArmed(t *testing.T, c *countingClock, n int) {
	t.Helper()
	natstest.Eventually(t, 10*time.Second, func() bool { return c.Timers() >= n }, "%d timers armed", n)
}

// wallFollower moves a fake clock along with the wall clock, the way a
// running process sees time pass; pause stops it (the process is frozen:
// SIGSTOP, a long GC, a suspended VM) and wake makes the fake clock catch up
// at once, the way a monotonic clock does when the process resumes.
type wallFollower struct {
	f     *clock.Fake
	base  time.Time
	start time.Time
	done  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once
}

func followWall(t *testing.T, f *clock.Fake) *wallFollower {
	t.Helper()
	w := &wallFollower{f: f, base: f.Now(), start: time.Now(), done: make(chan struct{})}
	w.wg.Go(func() {
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-w.done:
				return
			case <-tick.C:
				w.wake()
			}
		}
	})
	t.Cleanup(w.pause)
	return w
}

func (w *wallFollower) pause() {
	w.once.Do(func() { close(w.done) })
	w.wg.Wait()
}

func (w *wallFollower) wake() { w.f.Set(w.base.Add(time.Since(w.start))) }

// record decodes a lease record value.
func record(t *testing.T, v []byte) leader.Record {
	t.Helper()
	var r leader.Record
	require.NoError(t, json.Unmarshal(v, &r))
	return r
}

// recordID returns the candidate ID in a lease record value.
func recordID(t *testing.T, v []byte) string {
	t.Helper()
	return record(t, v).ID
}

// keyHistory records every revision of the lease key, as a watch sees it,
// with the server's timestamps.
type keyHistory struct {
	mu      sync.Mutex // guards entries
	entries []histEntry
}

type histEntry struct {
	rev     uint64
	op      jetstream.KeyValueOp
	created time.Time
	id      string // of a put
}

func watchKey(t *testing.T, b *bundle) *keyHistory {
	t.Helper()
	w, err := b.kv.Watch(context.Background(), topology.LeaderKey)
	require.NoError(t, err)
	h := &keyHistory{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range w.Updates() {
			if e == nil {
				continue
			}
			he := histEntry{rev: e.Revision(), op: e.Operation(), created: e.Created()}
			if e.Operation() == jetstream.KeyValuePut {
				var r leader.Record
				if json.Unmarshal(e.Value(), &r) == nil {
					he.id = r.ID
				}
			}
			h.mu.Lock()
			h.entries = append(h.entries, he)
			h.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = w.Stop()
		<-done
	})
	return h
}

// waitFor waits until the watch has seen revision rev.
func (h *keyHistory) waitFor(t *testing.T, rev uint64) {
	t.Helper()
	natstest.Eventually(t, 10*time.Second, func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return len(h.entries) > 0 && h.entries[len(h.entries)-1].rev >= rev
	}, "the watch sees revision %d", rev)
}

// at returns the entry of revision rev.
func (h *keyHistory) at(t *testing.T, rev uint64) histEntry {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range h.entries {
		if e.rev == rev {
			return e
		}
	}
	t.Fatalf("no revision %d in %+v", rev, h.entries)
	return histEntry{}
}

// lastPutBefore returns the last put the watch saw before revision rev. A
// delete or expiry marker may be missing: with one revision per key, the
// next write can replace it before the watch delivers it.
func (h *keyHistory) lastPutBefore(rev uint64) histEntry {
	h.mu.Lock()
	defer h.mu.Unlock()
	var last histEntry
	for _, e := range h.entries {
		if e.rev < rev && e.op == jetstream.KeyValuePut {
			last = e
		}
	}
	return last
}

// String lists the entries.
func (h *keyHistory) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var sb strings.Builder
	for _, e := range h.entries {
		fmt.Fprintf(&sb, "\n  rev %d %s %q at %s", e.rev, e.op, e.id, e.created.Format(time.RFC3339Nano))
	}
	return sb.String()
}

// after returns the entries after revision rev.
func (h *keyHistory) after(rev uint64) []histEntry {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []histEntry
	for _, e := range h.entries {
		if e.rev > rev {
			out = append(out, e)
		}
	}
	return out
}

// testLogger routes a component's logs to the test's log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
