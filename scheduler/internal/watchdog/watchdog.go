package watchdog

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/clock"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/health"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/topology"
	"github.com/jetcron/jetcron/scheduler/internal/catalog"
	"github.com/jetcron/jetcron/scheduler/internal/jobdef"
)

// Defaults of a Config.
const (
	DefaultInterval = 10 * time.Second
	DefaultLookback = 15 * time.Minute
	DefaultWindow   = 2 * time.Minute
	// maxReplay bounds the events read back at start.
	maxReplay = 1_000_000
	// skew is kept between the look-back's start and the oldest slot
	// checked: an event's stream time is the server's clock, its slot the
	// scheduler's.
	skew = 2 * time.Second
)

// Config configures a watchdog.
type Config struct {
	// Topology names the resources.
	Topology topology.Config
	// Detector names the replica in the alerts and states it writes.
	Detector string
	// Interval is how often every job is checked. Defaults to 10s.
	Interval time.Duration
	// Lookback is how far back the events are read at start, to rebuild
	// the recent slots and the running runs. Defaults to 15m.
	Lookback time.Duration
	// Window is how far back, beyond a job's grace, each round checks its
	// slots. Defaults to 2m.
	Window time.Duration
	// Clock defaults to the wall clock.
	Clock clock.Clock
	// Logger defaults to a discarding logger.
	Logger *slog.Logger
	// Metrics receives the per-job measurements; nil records nothing.
	Metrics *Metrics
	// Definitions is the process's store of job definitions, shared with
	// its leader so that each is held once (package jobdef). Defaults to
	// a store of the watchdog's own.
	Definitions *jobdef.Store
}

func (c Config) withDefaults() Config {
	c.Topology = c.Topology.WithDefaults()
	c.Interval = cmp.Or(c.Interval, DefaultInterval)
	c.Lookback = cmp.Or(c.Lookback, DefaultLookback)
	c.Window = cmp.Or(c.Window, DefaultWindow)
	if c.Clock == nil {
		c.Clock = clock.New()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Definitions == nil {
		c.Definitions = jobdef.NewStore()
	}
	return c
}

// Watchdog checks every job of the namespace against its expectations and
// its schedule, on one replica. See the package documentation.
type Watchdog struct {
	cfg    Config
	nc     *nats.Conn
	js     jetstream.JetStream
	names  topology.Names
	log    *slog.Logger
	reader *event.Reader

	stop context.CancelFunc
	done sync.WaitGroup

	// Owned by the loop goroutine.
	jobs     jetstream.KeyValue
	state    jetstream.KeyValue
	health   jetstream.KeyValue
	trackers map[string]*tracker
	// healthCh is the watch of the health bucket: stored states, this
	// replica's echoed back among them.
	healthCh <-chan catalog.Change[storedHealth]
	// healthRev is the highest revision the health watch has delivered.
	healthRev uint64
	from      time.Time // the look-back's start: no older slot is checked
	rounds    chan chan struct{}
	lagged    time.Time // when a skipped round was last logged

	// pending is how many events the follower has not received yet, as the
	// stream last said (written by the follower, read by the loop).
	pending atomic.Uint64
}

// New returns a watchdog; Start runs it.
func New(nc *nats.Conn, js jetstream.JetStream, cfg Config) *Watchdog {
	cfg = cfg.withDefaults()
	names := cfg.Topology.Names()
	return &Watchdog{
		cfg: cfg, nc: nc, js: js, names: names, reader: event.NewReader(nc, js, names),
		log: cfg.Logger.With("component", "scheduler.watchdog"), trackers: map[string]*tracker{},
		rounds: make(chan chan struct{}),
	}
}

// Start reads the stored health, the job definitions and the look-back's
// events, then checks every job each Interval in the background until
// Stop. It fails when a bucket or the events stream cannot be read.
func (w *Watchdog) Start(ctx context.Context) error {
	var err error
	for _, b := range []struct {
		kv   *jetstream.KeyValue
		name string
	}{{&w.jobs, w.names.JobsBucket()}, {&w.state, w.names.StateBucket()}, {&w.health, w.names.HealthBucket()}} {
		if *b.kv, err = w.js.KeyValue(ctx, b.name); err != nil {
			return fmt.Errorf("watchdog: bucket %s: %w", b.name, err)
		}
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	w.stop = stop
	jobs, err := catalog.WatchEntries(runCtx, w.jobs, w.cfg.Definitions.Decode)
	if err != nil {
		stop()
		return fmt.Errorf("watchdog: %w", err)
	}
	if err := w.syncJobs(ctx, jobs); err != nil {
		stop()
		return err
	}
	healthCh, err := catalog.Watch(runCtx, w.health, rawHealth)
	if err != nil {
		stop()
		return fmt.Errorf("watchdog: %w", err)
	}
	if err := w.syncHealth(ctx, healthCh); err != nil {
		stop()
		return err
	}
	next, err := w.replay(ctx)
	if err != nil {
		stop()
		return err
	}
	events := make(chan event.Event, 1024)
	w.log.InfoContext(ctx, "watchdog started", "jobs", len(w.trackers), "interval", w.cfg.Interval, "since", w.from)
	w.done.Add(2)
	go func() {
		defer w.done.Done()
		w.follow(runCtx, next, events)
	}()
	w.healthCh = healthCh
	go func() {
		defer w.done.Done()
		w.loop(runCtx, jobs, events)
	}()
	return nil
}

// Stop ends the background work and waits for it.
func (w *Watchdog) Stop(context.Context) error {
	if w.stop != nil {
		w.stop()
	}
	w.done.Wait()
	return nil
}

// Check runs one round now and returns when it is done (tests, and a
// caller that wants an answer sooner than Interval).
func (w *Watchdog) Check(ctx context.Context) error {
	done := make(chan struct{})
	select {
	case w.rounds <- done:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// syncHealth adopts the stored states of the jobs defined, as the health
// watch delivers them (a million states, one at a time: none is held
// beyond its job's tracker, where a quiet one takes 16 bytes).
func (w *Watchdog) syncHealth(ctx context.Context, states <-chan catalog.Change[storedHealth]) error {
	now := w.cfg.Clock.Now()
	return syncWatch(ctx, states, "health", func(c catalog.Change[storedHealth]) {
		if t := w.trackers[c.Key]; t != nil && c.Value != nil {
			if s, err := health.Decode(c.Key, *c.Value); err == nil {
				t.adopt(s, c.Revision, w.keepFrom(t, now))
			}
		}
	})
}

// syncJobs applies the jobs bucket's current definitions.
func (w *Watchdog) syncJobs(ctx context.Context, jobs <-chan catalog.Change[jobdef.Def]) error {
	return syncWatch(ctx, jobs, "jobs", func(c catalog.Change[jobdef.Def]) { w.define(ctx, c) })
}

// syncWatch hands a watch's current values to apply, until it says Synced.
func syncWatch[T any](ctx context.Context, ch <-chan catalog.Change[T], what string, apply func(catalog.Change[T])) error {
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("watchdog: read %s: %w", what, ctx.Err())
		case c, ok := <-ch:
			if !ok {
				return fmt.Errorf("watchdog: read %s: watch ended", what)
			}
			if c.Synced {
				return nil
			}
			if c.Key == "" && c.Err != nil {
				return fmt.Errorf("watchdog: read %s: %w", what, c.Err)
			}
			apply(c)
		}
	}
}

// replay reads the look-back's events and returns the sequence to follow
// from.
func (w *Watchdog) replay(ctx context.Context) (uint64, error) {
	info, err := w.js.Stream(ctx, w.names.EventsStream())
	if err != nil {
		return 0, fmt.Errorf("watchdog: events stream: %w", err)
	}
	next := info.CachedInfo().State.LastSeq + 1
	now := w.cfg.Clock.Now()
	w.from = now.Add(-w.cfg.Lookback)
	for _, t := range w.trackers {
		if t.act != nil {
			t.act.keepFrom = w.keepFrom(t, now)
		}
	}
	n := 0
	last, err := w.reader.EachSince(ctx, w.from, func(e event.Event) bool {
		w.apply(e)
		n++
		return n < maxReplay
	})
	if err != nil {
		return 0, fmt.Errorf("watchdog: %w", err)
	}
	if n >= maxReplay {
		// Too many to hold: check only the slots from now on.
		w.log.WarnContext(ctx, "watchdog look-back holds too many events; checking slots from now", "events", n)
		w.from = now
	}
	if last > 0 {
		next = last + 1
	}
	return next, nil
}

// loop owns the trackers: it applies definitions, stored states and events
// as they come, and checks every job each Interval.
func (w *Watchdog) loop(ctx context.Context, jobs <-chan catalog.Change[jobdef.Def], events <-chan event.Event) {
	timer := w.cfg.Clock.NewTimer(0)
	defer func() { timer.Stop() }()
	for {
		select {
		case <-ctx.Done():
			return
		case c, ok := <-jobs:
			if !ok {
				jobs = w.rewatchJobs(ctx)
				continue
			}
			if c.Key != "" {
				w.define(ctx, c)
			}
		case c, ok := <-w.healthCh:
			if !ok {
				w.healthCh = w.rewatchHealth(ctx)
				continue
			}
			w.adoptHealth(c)
		case e := <-events:
			w.apply(e)
		case <-timer.C():
			w.drain(events)
			w.round(ctx)
			timer = w.cfg.Clock.NewTimer(w.cfg.Interval)
		case done := <-w.rounds:
			w.drain(events)
			w.round(ctx)
			close(done)
		}
	}
}

// adoptHealth keeps a stored state the health watch delivered, if it is
// newer than the tracker's. It is decoded only then: most are the echoes
// of this replica's own writes, which its tracker holds already.
func (w *Watchdog) adoptHealth(c catalog.Change[storedHealth]) {
	if c.Key != "" {
		w.healthRev = max(w.healthRev, c.Revision)
	}
	if c.Key == "" || c.Value == nil {
		return
	}
	t := w.trackers[c.Key]
	if t == nil || c.Revision <= t.storedRev() {
		return
	}
	if s, err := health.Decode(c.Key, *c.Value); err == nil {
		t.keepStored(s, c.Revision, w.keepFrom(t, w.cfg.Clock.Now()))
	}
}

// drainHealth adopts the stored states the health watch has ready, without
// waiting for more. A round that writes many states calls it between its
// batches: their echoes would otherwise wait in the NATS client's buffer
// until the round ends (a million new jobs' first states took 230 MB
// there). A closed watch is left for the loop to open again.
func (w *Watchdog) drainHealth() {
	for {
		select {
		case c, ok := <-w.healthCh:
			if !ok {
				return // closed: the loop's next receive sees it too
			}
			w.adoptHealth(c)
		default:
			return
		}
	}
}

// awaitEchoes adopts what the health watch delivers until it has
// delivered revision rev (the round's last write), or for at most wait,
// and reports whether it got there. A round that writes many states waits
// for their echoes between its batches: written faster than the watch
// delivers them, a million new jobs' first states had 190 MB of echoes
// waiting in the NATS client, and a scheduler holding a million jobs went
// over 1 GiB. A closed watch is left for the loop to open again.
func (w *Watchdog) awaitEchoes(rev uint64, wait time.Duration) bool {
	t := w.cfg.Clock.NewTimer(wait)
	defer t.Stop()
	for w.healthRev < rev {
		select {
		case c, ok := <-w.healthCh:
			if !ok {
				return false
			}
			w.adoptHealth(c)
		case <-t.C():
			return false
		}
	}
	return true
}

// drain applies the events already received, so that a round sees them;
// no more than were waiting when it began.
func (w *Watchdog) drain(events <-chan event.Event) {
	for range len(events) {
		w.apply(<-events)
	}
}

func (w *Watchdog) rewatchJobs(ctx context.Context) <-chan catalog.Change[jobdef.Def] {
	for ctx.Err() == nil {
		ch, err := catalog.WatchEntries(ctx, w.jobs, w.cfg.Definitions.Decode)
		if err == nil {
			return ch
		}
		w.log.WarnContext(ctx, "watchdog cannot watch the jobs", "error", err)
		w.sleep(ctx, time.Second)
	}
	return nil
}

func (w *Watchdog) rewatchHealth(ctx context.Context) <-chan catalog.Change[storedHealth] {
	for ctx.Err() == nil {
		ch, err := catalog.Watch(ctx, w.health, rawHealth)
		if err == nil {
			return ch
		}
		w.log.WarnContext(ctx, "watchdog cannot watch the health", "error", err)
		w.sleep(ctx, time.Second)
	}
	return nil
}

func (w *Watchdog) sleep(ctx context.Context, d time.Duration) {
	t := w.cfg.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C():
	}
}

// storedHealth is a state as the health bucket stores it, not decoded yet.
type storedHealth []byte

// rawHealth hands the health watch's values on as they are: the watch's
// goroutine decoding a million echoes of the round's own writes fell
// behind them, and the NATS client buffered them (230 MB at a million new
// jobs' first states).
func rawHealth(_ string, data []byte) (*storedHealth, error) {
	s := storedHealth(data)
	return &s, nil
}

// define applies a change of the jobs bucket.
func (w *Watchdog) define(ctx context.Context, c catalog.Change[jobdef.Def]) {
	if c.Value == nil {
		if _, ok := w.trackers[c.Key]; ok && c.Err == nil {
			// Deleted: a job created again under the name starts afresh.
			delete(w.trackers, c.Key)
			w.cfg.Metrics.forget(c.Key)
			if err := w.health.Delete(ctx, c.Key); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
				w.log.WarnContext(ctx, "watchdog could not forget a deleted job's health", "job", c.Key, "error", err)
			}
		}
		return
	}
	t := w.trackers[c.Key]
	if t == nil {
		// The name's one copy: the Def's, shared with the leader.
		t = newTracker(c.Value.Name())
		w.trackers[t.name] = t
	}
	t.define(c.Value)
}

// apply hands an event to its job's tracker. An event of a job not
// defined yet gets one: the jobs watch may deliver a new definition after
// the first events of its job.
func (w *Watchdog) apply(e event.Event) {
	t := w.trackers[e.Job]
	if t == nil {
		if e.Kind == event.JobDeleted {
			return
		}
		t = newTracker(e.Job)
		w.trackers[e.Job] = t
	}
	if t.act == nil {
		t.activity(w.keepFrom(t, w.cfg.Clock.Now()))
	}
	if s := t.apply(e); s.ok {
		w.cfg.Metrics.late(e.Job, s.lateness)
	}
}

// keepFrom is the oldest slot whose events a job's rounds may need at now:
// its window, and a minute more (trim keeps the same).
func (w *Watchdog) keepFrom(t *tracker, now time.Time) time.Time {
	span := job.DefaultStartWithin
	if t.def != nil {
		span = t.def.Expect().Grace() + t.def.Jitter()
	}
	return now.Add(-span - w.cfg.Window - time.Minute)
}

// completedAfter reads, for a job with completions, whether the leader
// recorded it completed and its last slot.
func (w *Watchdog) completedAfter(ctx context.Context, name string) time.Time {
	ent, err := w.state.Get(ctx, name)
	if err != nil {
		return time.Time{}
	}
	var rt job.Runtime
	if json.Unmarshal(ent.Value(), &rt) != nil || !rt.Completed {
		return time.Time{}
	}
	return rt.LastSlot
}
