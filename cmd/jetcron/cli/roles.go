package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/urfave/cli/v2"

	"github.com/jetcron/jetcron/pkg/lifecycle"
	"github.com/jetcron/jetcron/pkg/natsconn"
	"github.com/jetcron/jetcron/pkg/probe"
	"github.com/jetcron/jetcron/pkg/topology"
	"github.com/jetcron/jetcron/scheduler"
	"github.com/jetcron/jetcron/worker"
)

// topologyFlags configure the JetStream resources a role creates or uses.
func topologyFlags() []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "replicas", Value: 1, Usage: "replicas of every stream and bucket (3 in a cluster)", EnvVars: []string{"JETCRON_REPLICAS"}},
		&cli.DurationFlag{Name: "lease", Value: 15 * time.Second, Usage: "leader lease length", EnvVars: []string{"JETCRON_LEASE"}},
		&cli.DurationFlag{Name: "ack-wait", Value: 30 * time.Second, Usage: "time without a heartbeat before an execution moves to another worker", EnvVars: []string{"JETCRON_ACK_WAIT"}},
		&cli.DurationFlag{Name: "events-max-age", Usage: "keep events this long (default: forever)", EnvVars: []string{"JETCRON_EVENTS_MAX_AGE"}},
		&cli.StringFlag{Name: "health", Usage: "serve /healthz, /readyz and /metrics on this address (e.g. :8081)", EnvVars: []string{"JETCRON_HEALTH_ADDR"}},
	}
}

func topologyOf(c *cli.Context) (topology.Config, error) {
	t := topology.Config{
		Namespace:    c.String("namespace"),
		Replicas:     c.Int("replicas"),
		LeaseTTL:     c.Duration("lease"),
		AckWait:      c.Duration("ack-wait"),
		EventsMaxAge: c.Duration("events-max-age"),
	}.WithDefaults()
	opts, err := connOptions(c, "", false)
	if err != nil {
		return t, err
	}
	t.JSDomain = opts.JSDomain
	if err := t.Validate(); err != nil {
		return t, usageErr("%v", err)
	}
	return t, nil
}

// roleFlags reads the logging and topology flags of a long-running role.
func roleFlags(c *cli.Context) (*slog.Logger, topology.Config, error) {
	log, err := logger(c)
	if err != nil {
		return nil, topology.Config{}, err
	}
	topo, err := topologyOf(c)
	if err != nil {
		return nil, topology.Config{}, err
	}
	return log, topo, nil
}

func schedulerCommand() *cli.Command {
	return &cli.Command{
		Name:  "scheduler",
		Usage: "run a scheduler replica: answers the API; the leader fires due slots",
		Flags: append(append(topologyFlags(),
			&cli.StringFlag{Name: "id", Usage: "replica ID (default hostname-random)", EnvVars: []string{"JETCRON_SCHEDULER_ID"}},
			&cli.BoolFlag{Name: "skip-ensure", Usage: "do not create or update streams and buckets (an admin did)", EnvVars: []string{"JETCRON_SKIP_ENSURE"}},
			&cli.DurationFlag{Name: "watchdog-interval", Value: 10 * time.Second, Usage: "how often this replica checks every job's health and slots", EnvVars: []string{"JETCRON_WATCHDOG_INTERVAL"}},
			&cli.IntFlag{Name: "job-metrics", Value: scheduler.DefaultJobSeries, Usage: "jobs that have their own jetcron_job_* series on /metrics, at most (0: none; jetcron_jobs counts every job by health)", EnvVars: []string{"JETCRON_JOB_METRICS"}},
			pruneIntervalFlag, pruneFloorFlag,
		), notifyFlags()...),
		Action: runScheduler,
	}
}

func runScheduler(c *cli.Context) error {
	log, topo, err := roleFlags(c)
	if err != nil {
		return err
	}
	if c.Duration("watchdog-interval") < 100*time.Millisecond {
		return usageErr("--watchdog-interval: %s is shorter than 100ms", c.Duration("watchdog-interval"))
	}
	if c.Int("job-metrics") < 0 {
		return usageErr("--job-metrics: %d is negative (0 exports no series per job)", c.Int("job-metrics"))
	}
	ncfg, err := notifyConfigOf(c, "")
	if err != nil {
		return err
	}
	nc, err := connectRole(c, "jetcron-scheduler", log)
	if err != nil {
		return err
	}
	defer nc.Close()
	tracer, flushTraces, err := roleTracer(c, "jetcron-scheduler", topo.Names().Namespace())
	if err != nil {
		return err
	}
	defer flushTraces()
	reg := probe.NewRegistry()
	s, err := scheduler.New(nc, scheduler.Config{ID: c.String("id"), Topology: topo, SkipEnsure: c.Bool("skip-ensure"), Logger: log, Metrics: scheduler.NewMetrics(reg, c.Int("job-metrics")),
		Tracer: tracer, Notify: ncfg, WatchdogInterval: c.Duration("watchdog-interval"),
		PruneInterval: c.Duration("prune-interval"), PruneFloor: c.Duration("prune-floor")})
	if err != nil {
		return usageErr("%v", err)
	}
	return serveRole(c, s, reg, log, 10*time.Second, nil)
}

func workerCommand() *cli.Command {
	return &cli.Command{
		Name:  "worker",
		Usage: "run a worker: pulls executions of its queues and runs them",
		Flags: append(append(topologyFlags(),
			&cli.StringFlag{Name: "id", Usage: "worker ID (default hostname-random)", EnvVars: []string{"JETCRON_WORKER_ID"}},
			&cli.StringSliceFlag{Name: "queue", Aliases: []string{"q"}, Usage: "queue to pull from (repeatable; default \"default\")", EnvVars: []string{"JETCRON_QUEUES"}},
			&cli.IntFlag{Name: "concurrency", Aliases: []string{"c"}, Usage: "executions that run at once (default: CPUs)", EnvVars: []string{"JETCRON_CONCURRENCY"}},
			&cli.StringFlag{Name: "work-dir", Usage: "per-run directories and script cache", EnvVars: []string{"JETCRON_WORK_DIR"}},
			&cli.StringSliceFlag{Name: "interpreter", Usage: "allowed interpreter NAME=/abs/path (repeatable; default: the known ones found on PATH)", EnvVars: []string{"JETCRON_INTERPRETERS"}},
			&cli.DurationFlag{Name: "shutdown-grace", Value: 30 * time.Second, Usage: "on SIGTERM, how long running executions may finish before they are handed to other workers", EnvVars: []string{"JETCRON_SHUTDOWN_GRACE"}},
			groupCommitFlag,
		), workerTaskFlags()...),
		Action: runWorker,
	}
}

func runWorker(c *cli.Context) error {
	log, topo, err := roleFlags(c)
	if err != nil {
		return err
	}
	var interps map[string]string
	if vals := c.StringSlice("interpreter"); len(vals) > 0 {
		interps = map[string]string{}
		for _, v := range vals {
			name, path, ok := strings.Cut(v, "=")
			if !ok || name == "" {
				return usageErr("--interpreter: %q is not NAME=/abs/path", v)
			}
			if _, err := os.Stat(path); err != nil {
				return usageErr("--interpreter %s: %v", name, err)
			}
			interps[name] = path
		}
	}
	cfg := worker.Config{ID: c.String("id"), Queues: c.StringSlice("queue"), Concurrency: c.Int("concurrency"),
		Topology: topo, WorkDir: c.String("work-dir"), Interpreters: interps, Logger: log}
	if cfg.GroupCommit, err = worker.ParseGroupCommit(c.String("group-commit")); err != nil {
		return usageErr("--group-commit: %v", err)
	}
	if cfg, err = withWorkerStores(c, cfg); err != nil {
		return err
	}
	nc, err := connectRole(c, "jetcron-worker", log)
	if err != nil {
		return err
	}
	defer nc.Close()
	tracer, flushTraces, err := roleTracer(c, "jetcron-worker", topo.Names().Namespace())
	if err != nil {
		return err
	}
	defer flushTraces()
	cfg.Tracer = tracer
	scrubSecrets(log)
	reg := probe.NewRegistry()
	w, err := worker.New(nc, cfg)
	if err != nil {
		return usageErr("%v", err)
	}
	w.SetMetrics(worker.NewMetrics(reg, func() float64 { return float64(w.Busy()) }, float64(w.Slots())))
	grace := c.Duration("shutdown-grace")
	return serveRole(c, w, reg, log, grace, func() {
		log.Info("stopping: running executions may finish", "grace", grace)
	})
}

// connectRole connects a long-running role to NATS, reconnecting for ever;
// the connection logs to log.
func connectRole(c *cli.Context, name string, log *slog.Logger) (*nats.Conn, error) {
	opts, err := connOptions(c, name, true)
	if err != nil {
		return nil, err
	}
	opts.Logger = log
	nc, err := natsconn.Connect(opts)
	if err != nil {
		return nil, &exitError{code: exitUnavailable, msg: err.Error()}
	}
	return nc, nil
}

// role is a long-running service that reports whether it is ready.
type role interface {
	lifecycle.Service
	Ready() error
}

// serveRole starts r, serves the --health endpoints and waits for the
// command's context to end; then it calls stopping (if not nil) and stops r
// within grace.
func serveRole(c *cli.Context, r role, reg *prometheus.Registry, log *slog.Logger, grace time.Duration, stopping func()) error {
	if err := r.Start(c.Context); err != nil {
		return err
	}
	stopProbe, err := serveProbe(c, r.Ready, reg, log)
	if err != nil {
		_ = r.Stop(context.Background())
		return err
	}
	defer stopProbe()
	<-c.Context.Done()
	if stopping != nil {
		stopping()
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	return r.Stop(stopCtx)
}

// serveProbe starts the --health endpoints if asked.
func serveProbe(c *cli.Context, ready func() error, reg *prometheus.Registry, log *slog.Logger) (func(), error) {
	addr := c.String("health")
	if addr == "" {
		return func() {}, nil
	}
	srv, err := probe.Listen(addr, probe.Handler(ready, reg), log)
	if err != nil {
		return nil, usageErr("--health: %v", err)
	}
	log.Info(fmt.Sprintf("serving /healthz, /readyz and /metrics on http://%s", srv.Addr()))
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Stop(ctx)
	}, nil
}

// The pruning of jobs' executions (scheduler/prune.go) is tuned only by
// tests, which need it in seconds: hidden flags.
var (
	pruneIntervalFlag = &cli.DurationFlag{Name: "prune-interval", Hidden: true, Usage: "how often the leader prunes jobs' executions (default 5m)"}
	pruneFloorFlag    = &cli.DurationFlag{Name: "prune-floor", Hidden: true, Usage: "how long after it ended an execution is kept whatever its job's retention (default 1h)"}
	// groupCommitFlag is the worker's group commit (worker.GroupCommit);
	// "all" (every write through the batch queue, however few wait) is
	// for the fault suites and not listed.
	groupCommitFlag = &cli.StringFlag{Name: "group-commit", Value: "auto", Usage: "batch the events and claim writes of concurrent executions: auto (when NATS keeps one replica), on or off (for a single-replica NATS that does not fsync every write)", EnvVars: []string{"JETCRON_GROUP_COMMIT"}}
)
