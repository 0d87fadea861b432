package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/jetcron/jetcron/pkg/devserver"
	"github.com/jetcron/jetcron/pkg/topology"
	"github.com/jetcron/jetcron/scheduler"
	"github.com/jetcron/jetcron/worker"
)

// env is one measured system: an embedded server with fsync always (unless
// NoSync) on its own data directory, the topology, a leading scheduler on a
// connection of its own, optionally a worker on the scheduler's connection
// (as `jetcron dev` runs them), and the measuring client's connection.
type env struct {
	url   string // the servers' client URLs
	stop  func(context.Context)
	snc   *nats.Conn // the scheduler's (and the worker's)
	nc    *nats.Conn // the measuring client's
	js    jetstream.JetStream
	sched *scheduler.Scheduler
	wk    *worker.Worker
	work  string // the worker's work directory, removed on close
	reg   *prometheus.Registry
	topo  topology.Config
	names topology.Names
}

// envConfig says how to start an env.
type envConfig struct {
	// NoBatch turns the dispatcher's atomic batches off.
	NoBatch bool
	// Flush is the scheduler's cursor flush interval; zero keeps its default.
	Flush time.Duration
	// NoSync fsyncs every two minutes instead of on every write
	// (`jetcron dev --no-sync`).
	NoSync bool
	// Replicas is the cluster's size (every stream on every node); 0 or 1
	// is a single server.
	Replicas int
	// AckWait is the topology's ack wait; zero keeps its default.
	AckWait time.Duration
	// Worker, when set, is started with the scheduler.
	Worker *workerConfig
	// NoScheduler starts no scheduler: the env only ensures the topology
	// (the scale phase runs its schedulers in processes of their own).
	NoScheduler bool
}

// workerConfig is the worker of an end-to-end phase.
type workerConfig struct {
	Concurrency int
	// GroupCommit is worker.Config's.
	GroupCommit worker.GroupCommit
	// Handlers are the Go handlers it registers, by name.
	Handlers map[string]worker.Handler
}

// envConfig returns the env of a phase with o's settings.
func (o options) envConfig(noBatch bool) envConfig {
	return envConfig{NoBatch: noBatch, Flush: o.FlushInterval, NoSync: o.NoSync, Replicas: o.Replicas}
}

// startEnv starts a system whose data lives in dir (created if missing).
func startEnv(ctx context.Context, dir string, cfg envConfig, log *slog.Logger) (_ *env, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	var srvLog *slog.Logger
	if log.Enabled(ctx, slog.LevelWarn) {
		srvLog = log
	}
	e := &env{topo: topology.Config{AckWait: cfg.AckWait, Replicas: max(cfg.Replicas, 1)}.WithDefaults(), reg: prometheus.NewRegistry()}
	if cfg.Replicas > 1 {
		c, err := devserver.StartCluster(ctx, devserver.ClusterConfig{Size: cfg.Replicas, DataDir: filepath.Join(dir, "nats"), Name: "jetcron-bench", NoSync: cfg.NoSync, Logger: srvLog})
		if err != nil {
			return nil, err
		}
		e.url, e.stop = c.URL(), c.Stop
	} else {
		srv, err := devserver.New(devserver.Config{DataDir: filepath.Join(dir, "nats"), Listen: "127.0.0.1:0", Name: "jetcron-bench", NoSync: cfg.NoSync, Logger: srvLog})
		if err != nil {
			return nil, err
		}
		if err := srv.Start(ctx); err != nil {
			return nil, err
		}
		e.url, e.stop = srv.ClientURL(), func(ctx context.Context) { _ = srv.Stop(ctx) }
	}
	e.names = e.topo.Names()
	defer func() {
		if err != nil {
			e.close()
		}
	}()
	if e.snc, err = nats.Connect(e.url, nats.Name("jetcron-bench-scheduler")); err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	if e.nc, err = nats.Connect(e.url, nats.Name("jetcron-bench-client")); err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	if e.js, err = jetstream.New(e.nc); err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	if cfg.NoScheduler {
		return e, topology.Ensure(ctx, e.js, e.topo)
	}
	e.sched, err = scheduler.New(e.snc, scheduler.Config{
		ID:       "bench",
		Topology: e.topo,
		Logger:   log,
		Metrics:  scheduler.NewMetrics(e.reg, scheduler.DefaultJobSeries),
		NoBatch:  cfg.NoBatch,
		// Zero keeps the scheduler's default.
		FlushInterval: cfg.Flush,
	})
	if err != nil {
		return nil, err
	}
	if err := e.sched.Start(ctx); err != nil {
		e.sched = nil
		return nil, err
	}
	if err := poll(ctx, 30*time.Second, 10*time.Millisecond, func() (bool, error) { return e.sched.Leading(), nil }); err != nil {
		return nil, fmt.Errorf("scheduler did not lead: %w", err)
	}
	if cfg.Worker != nil {
		if err := e.startWorker(ctx, *cfg.Worker, log); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// startWorker starts a worker on the scheduler's connection, as `jetcron
// dev` does, with its work directory under the system temp dir (runs under
// uids of their own must reach it).
func (e *env) startWorker(ctx context.Context, wc workerConfig, log *slog.Logger) error {
	var err error
	if e.work, err = os.MkdirTemp("", "jetcron-bench-work-"); err != nil {
		return fmt.Errorf("work dir: %w", err)
	}
	wk, err := worker.New(e.snc, worker.Config{ID: "bench", Concurrency: wc.Concurrency, GroupCommit: wc.GroupCommit, Topology: e.topo, WorkDir: e.work, Logger: log})
	if err != nil {
		return err
	}
	for name, h := range wc.Handlers {
		if err := wk.Handle(name, h); err != nil {
			return err
		}
	}
	if err := wk.Start(ctx); err != nil {
		return err
	}
	e.wk = wk
	return poll(ctx, 30*time.Second, 10*time.Millisecond, func() (bool, error) { return wk.Ready() == nil, nil })
}

// stopScheduler stops the leader: nothing fires any more.
func (e *env) stopScheduler(ctx context.Context) error {
	if e.sched == nil {
		return nil
	}
	err := e.sched.Stop(ctx)
	e.sched = nil
	return err
}

// close stops everything the env started.
func (e *env) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = e.stopScheduler(ctx)
	if e.wk != nil {
		_ = e.wk.Stop(ctx)
	}
	if e.work != "" {
		defer os.RemoveAll(e.work)
	}
	for _, nc := range []*nats.Conn{e.nc, e.snc} {
		if nc != nil {
			nc.Close()
		}
	}
	if e.stop != nil {
		e.stop(ctx)
	}
}

// planned reads the leader's planned-jobs gauge: how many jobs it has
// loaded and will fire.
func (e *env) planned() (int, error) {
	mfs, err := e.reg.Gather()
	if err != nil {
		return 0, fmt.Errorf("metrics: %w", err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "jetcron_scheduler_planned_jobs" && len(mf.GetMetric()) > 0 {
			return int(mf.GetMetric()[0].GetGauge().GetValue()), nil
		}
	}
	return 0, nil
}

// workCount returns the number of messages in the work stream.
func (e *env) workCount(ctx context.Context) (uint64, error) {
	s, err := e.js.Stream(ctx, e.names.WorkStream())
	if err != nil {
		return 0, fmt.Errorf("work stream: %w", err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("work stream: %w", err)
	}
	return info.State.Msgs, nil
}

// errTimeout means a polled condition did not hold in time.
var errTimeout = errors.New("timed out")

// poll calls cond every interval until it holds, fails, or d passes.
func poll(ctx context.Context, d, interval time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(d)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w after %s", errTimeout, d)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// sleepUntil waits until t or ctx ends.
func sleepUntil(ctx context.Context, t time.Time) error {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
