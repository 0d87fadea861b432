package scheduler

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/jetcron/jetcron/pkg/clock"
	"github.com/jetcron/jetcron/pkg/leader"
	"github.com/jetcron/jetcron/pkg/lifecycle"
	"github.com/jetcron/jetcron/pkg/retention"
	"github.com/jetcron/jetcron/pkg/topology"
	"github.com/jetcron/jetcron/pkg/tracing"
	"github.com/jetcron/jetcron/scheduler/internal/apiservice"
	"github.com/jetcron/jetcron/scheduler/internal/jobdef"
	"github.com/jetcron/jetcron/scheduler/internal/notifier"
	"github.com/jetcron/jetcron/scheduler/internal/watchdog"
)

// Config configures a scheduler replica.
type Config struct {
	// ID identifies the replica. Defaults to "<hostname>-<random>".
	ID string
	// Topology names and sizes the JetStream resources.
	Topology topology.Config
	// SkipEnsure leaves creating the resources to someone else (an
	// operator with more permissions than the scheduler's user).
	SkipEnsure bool
	// FlushInterval is how often the leader writes advanced cursors.
	// Defaults to 1s.
	FlushInterval time.Duration
	// MaxBatch bounds the decisions handled in one loop round. Defaults to
	// 10,000.
	MaxBatch int
	// Clock defaults to the wall clock.
	Clock clock.Clock
	// Logger defaults to a discarding logger.
	Logger *slog.Logger
	// Metrics receives the scheduler's measurements; nil records nothing.
	Metrics *Metrics
	// Tracer records each fired slot's span (package tracing); nil exports
	// nothing.
	Tracer *tracing.Tracer
	// ReclaimOwnLease lets this replica take over at once a lease that
	// its own ID holds, left by an earlier run of it that died (see
	// leader.Config.ReclaimOwn): only safe if no two replicas ever run with
	// the same ID at once, as `jetcron dev` guarantees with a lock on its
	// data directory. Defaults to false.
	ReclaimOwnLease bool
	// NoBatch makes the leader publish work items one at a time (many in
	// flight) instead of in atomic batches, to measure what the batches
	// gain (tests/bench). Defaults to false: batches on.
	NoBatch bool
	// Notify configures notifications and the heartbeat (notify.go).
	Notify NotifyConfig
	// WatchdogInterval is how often this replica's watchdog checks every
	// job's health (watchdog.go). Defaults to 10s.
	WatchdogInterval time.Duration
	// WatchdogLookback is how far back the watchdog reads the events when
	// it starts. Defaults to 15m.
	WatchdogLookback time.Duration
	// WatchdogWindow is how far back, beyond a job's grace, each check
	// looks at its slots. Defaults to 2m.
	WatchdogWindow time.Duration
	// PruneInterval is how often the leader deletes the executions jobs'
	// retention lets go (prune.go). Defaults to 5m.
	PruneInterval time.Duration
	// PruneFloor is how long after it ended an execution is kept whatever
	// its job's retention says. Defaults to retention.DefaultFloor (1h);
	// shorter is for tests.
	PruneFloor time.Duration
}

// Scheduler is one scheduler replica.
type Scheduler struct {
	cfg     Config
	nc      *nats.Conn
	js      jetstream.JetStream
	names   topology.Names
	log     *slog.Logger
	bgStop  context.CancelFunc
	bg      sync.WaitGroup // the background loop (ready.go)
	waiting atomic.Pointer[error]
	// defs holds the job definitions once for the leader and the
	// watchdog (scheduler/internal/jobdef).
	defs *jobdef.Store

	mu      sync.Mutex // guards api, elector and wd
	api     *apiservice.Service
	elector *leader.Elector
	notify  *notifier.Notifier
	wd      *watchdog.Watchdog

	runMu   sync.Mutex // guards started
	started bool
}

// New returns a scheduler replica on connection nc.
func New(nc *nats.Conn, cfg Config) (*Scheduler, error) {
	cfg.Topology = cfg.Topology.WithDefaults()
	if err := cfg.Topology.Validate(); err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	if cfg.Topology.JSDomain != "" {
		// Its direct gets and leader reads go to the connection's own
		// JetStream API.
		return nil, fmt.Errorf("scheduler: JetStream domain %q: a scheduler runs where the streams are, not behind a leaf node (--js-domain is for workers, the web UI and the CLI)", cfg.Topology.JSDomain)
	}
	if cfg.ID == "" {
		host, _ := os.Hostname()
		cfg.ID = cmp.Or(host, "scheduler") + "-" + nuid.Next()[16:]
	}
	cfg.FlushInterval = cmp.Or(cfg.FlushInterval, time.Second)
	cfg.MaxBatch = cmp.Or(cfg.MaxBatch, 10_000)
	if cfg.PruneInterval <= 0 {
		cfg.PruneInterval = DefaultPruneInterval
	}
	if cfg.PruneFloor <= 0 {
		cfg.PruneFloor = retention.DefaultFloor
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.New()
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	js, err := cfg.Topology.JetStream(nc)
	if err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	return &Scheduler{cfg: cfg, nc: nc, js: js, names: cfg.Topology.Names(), defs: jobdef.NewStore(),
		log: log.With("component", "scheduler", "scheduler_id", cfg.ID)}, nil
}

// ID returns the replica's ID.
func (s *Scheduler) ID() string { return s.cfg.ID }

// Start ensures the JetStream resources (unless SkipEnsure), starts
// answering the API and starts campaigning for leadership. If NATS is not
// reachable yet, or (with SkipEnsure) the resources do not exist yet, it
// returns at once and does all that in the background as soon as it can
// (Ready says what it waits for); other errors fail it. Either way it then
// watches the resources and makes them again (or waits for them, with
// SkipEnsure) if they vanish: NATS restarted from an empty store.
func (s *Scheduler) Start(ctx context.Context) error {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	if s.started {
		return fmt.Errorf("scheduler: %w", lifecycle.ErrAlreadyStarted)
	}
	if err := s.start(ctx); err != nil {
		return err
	}
	s.started = true
	return nil
}

// start is Start once the replica is known not to run.
func (s *Scheduler) start(ctx context.Context) error {
	bgCtx, bgStop := context.WithCancel(context.WithoutCancel(ctx))
	s.bgStop = bgStop
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		s.runWatchdog(bgCtx)
	}()
	if !s.nc.IsConnected() {
		s.setWaiting(topology.ErrNotConnected)
		s.background(bgCtx, true)
		return nil
	}
	if err := s.prepareOnce(ctx); errors.Is(err, topology.ErrNotReady) || errors.Is(err, topology.ErrNotConnected) {
		s.setWaiting(err)
		s.background(bgCtx, true)
		return nil
	} else if err != nil {
		bgStop()
		return fmt.Errorf("scheduler: %w", err)
	}
	if err := s.startServing(ctx); err != nil {
		bgStop()
		return fmt.Errorf("scheduler: %w", err)
	}
	s.background(bgCtx, false)
	return nil
}

// prepareOnce ensures the resources or, with SkipEnsure, checks them.
func (s *Scheduler) prepareOnce(ctx context.Context) error {
	if !s.cfg.SkipEnsure {
		return topology.Ensure(ctx, s.js, s.cfg.Topology)
	}
	return topology.Check(ctx, s.js, s.names)
}

// startServing starts the API service and the elector.
func (s *Scheduler) startServing(ctx context.Context) error {
	svc, err := apiservice.NewService(s.nc, s.js, apiservice.Config{Topology: s.cfg.Topology, Clock: s.cfg.Clock, Logger: s.log, InstanceID: s.cfg.ID, UIURL: s.cfg.Notify.UIURL})
	if err != nil {
		return err
	}
	if err := svc.Start(ctx); err != nil {
		return err
	}
	kv, err := s.js.KeyValue(ctx, s.names.LeaderBucket())
	if err != nil {
		_ = svc.Stop(ctx)
		return fmt.Errorf("leader bucket: %w", err)
	}
	el, err := leader.New(kv, leader.Config{
		ID:         s.cfg.ID,
		Key:        topology.LeaderKey,
		TTL:        s.cfg.Topology.LeaseTTL,
		OnLead:     s.lead,
		Clock:      s.cfg.Clock,
		Logger:     s.log,
		ReclaimOwn: s.cfg.ReclaimOwnLease,
	})
	if err != nil {
		_ = svc.Stop(ctx)
		return err
	}
	if err := el.Start(ctx); err != nil {
		_ = svc.Stop(ctx)
		return err
	}
	nt, err := s.startNotifier(ctx)
	if err != nil {
		_ = el.Stop(ctx)
		_ = svc.Stop(ctx)
		return err
	}
	s.mu.Lock()
	s.api, s.elector, s.notify = svc, el, nt
	s.mu.Unlock()
	s.log.InfoContext(ctx, "scheduler started", "namespace", s.names.Namespace())
	return nil
}

// Stop stops leading (flushing cursors and resigning the lease so another
// replica takes over at once), then stops answering the API.
func (s *Scheduler) Stop(ctx context.Context) error {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	s.started = false
	if s.bgStop != nil {
		s.bgStop()
	}
	s.bg.Wait()
	s.mu.Lock()
	el, svc, nt := s.elector, s.api, s.notify
	s.mu.Unlock()
	var errs []error
	if nt != nil {
		errs = append(errs, nt.Stop(ctx))
	}
	if el != nil {
		errs = append(errs, el.Stop(ctx))
	}
	if svc != nil {
		errs = append(errs, svc.Stop(ctx))
	}
	return errors.Join(errs...)
}

// Leading reports whether this replica holds the lease now.
func (s *Scheduler) Leading() bool {
	s.mu.Lock()
	el := s.elector
	s.mu.Unlock()
	if el == nil {
		return false
	}
	l := el.Leading()
	return l != nil && l.Valid()
}

// Ready reports why the replica does not serve the API and campaign, or
// nil.
func (s *Scheduler) Ready() error {
	s.mu.Lock()
	serving := s.api != nil && s.elector != nil
	s.mu.Unlock()
	switch {
	case !s.nc.IsConnected():
		return topology.ErrNotConnected
	case s.waitingFor() != nil:
		return s.waitingFor()
	case !serving:
		return errors.New("starting")
	}
	return nil
}

// lead runs the leader loop for the duration of a lease.
func (s *Scheduler) lead(ctx context.Context, l *leader.Lease) {
	s.cfg.Metrics.leaseChanged()
	defer s.cfg.Metrics.leaseEnded()
	defer s.heartbeat(ctx)()
	for {
		r := newLeaderRun(s, l)
		r.disp.NoBatch = s.cfg.NoBatch
		r.disp.Traceparent = s.cfg.Tracer.Enabled()
		err := r.run(ctx)
		if err == nil || ctx.Err() != nil {
			return
		}
		if errors.Is(err, errLeaseExpired) || errors.Is(err, errStale) || !l.Valid() {
			s.log.ErrorContext(ctx, "leader loop stopped; stepping down", "term", l.Term(), "error", err)
			return
		}
		// A JetStream request failed (a NATS node restarts, a stream elects
		// its leader): start the loop again, reloading the state, while the
		// lease holds. Stepping down would make every slot wait for another
		// replica's lease instead.
		s.log.WarnContext(ctx, "leader loop failed; starting it again", "term", l.Term(), "error", err)
		t := s.cfg.Clock.NewTimer(250 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
	}
}

var _ lifecycle.Service = (*Scheduler)(nil)
