package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/jetcron/jetcron/pkg/lifecycle"
	"github.com/jetcron/jetcron/pkg/natsconn"
	"github.com/jetcron/jetcron/pkg/topology"
	"github.com/jetcron/jetcron/scheduler"
	"github.com/jetcron/jetcron/worker"
)

func devCommand() *cli.Command {
	return &cli.Command{
		Name:  "dev",
		Usage: "run everything in one process: embedded NATS with JetStream, scheduler, workers and API",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "data", Usage: "data directory (kept across restarts)", Value: defaultDataDir(), EnvVars: []string{"JETCRON_DATA"}},
			&cli.StringFlag{Name: "listen", Usage: "NATS client address", Value: "127.0.0.1:4222", EnvVars: []string{"JETCRON_LISTEN"}},
			&cli.IntFlag{Name: "workers", Usage: "executions that run at once", Value: 4, EnvVars: []string{"JETCRON_WORKERS"}},
			devClusterFlag(),
			&cli.DurationFlag{Name: "ack-wait", Value: devAckWait, Usage: "time without a heartbeat before an execution is run again (after a kill -9, the runs in flight start again this long after the restart)", EnvVars: []string{"JETCRON_ACK_WAIT"}},
			&cli.DurationFlag{Name: "watchdog-interval", Value: 10 * time.Second, Usage: "how often the scheduler checks every job's health and slots", EnvVars: []string{"JETCRON_WATCHDOG_INTERVAL"}},
			pruneIntervalFlag, pruneFloorFlag, groupCommitFlag,
			&cli.BoolFlag{Name: "no-sync", Usage: "fsync every two minutes instead of before each acknowledgement (faster, loses recent writes on a power cut)"},
		}, append(append(workerTaskFlags(), webFlags()...), notifyFlags()...)...),
		Action: dev,
	}
}

// devAckWait is the ack wait of `jetcron dev`: shorter than a production
// role's 30s, so that the runs in flight when it was killed start again
// soon after a restart. Workers heartbeat every third of it, from the same
// process as the NATS server; a run stalled longer than this is stopped
// and run again as the next attempt, its claim fenced (never two results).
const devAckWait = 10 * time.Second

func defaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "jetcron", "dev")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "jetcron", "dev")
	}
	return filepath.Join(os.TempDir(), "jetcron-dev")
}

func dev(c *cli.Context) error {
	if c.NArg() > 0 {
		return usageErr("dev takes no arguments")
	}
	log, err := logger(c)
	if err != nil {
		return err
	}
	if c.Duration("ack-wait") < 3*time.Second {
		return usageErr("--ack-wait: %s is shorter than 3s", c.Duration("ack-wait"))
	}
	if c.Int("workers") < 1 {
		return usageErr("--workers: %d is below 1", c.Int("workers"))
	}
	ns := c.String("namespace")
	if err := topology.ValidateNamespace(ns); err != nil {
		return usageErr("--namespace: %v", err)
	}
	dataDir, err := filepath.Abs(c.String("data"))
	if err != nil {
		return usageErr("--data: %v", err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return usageErr("--data: %v", err)
	}
	unlock, locked, err := lockDataDir(dataDir)
	switch {
	case errors.Is(err, errDataDirLocked):
		return &exitError{code: exitConflict, msg: fmt.Sprintf("--data: %v; stop it, or pick another directory with --data", err)}
	case err != nil:
		// A file system without locks (some network ones): run, but
		// without reclaiming the lease after a restart.
		log.Warn("cannot lock the data directory; after a restart, firing waits for the old lease to expire", "data", dataDir, "error", err)
	default:
		defer unlock()
	}
	// Check --store (and the worker's task flags) before starting anything.
	wcfg, err := withWorkerStores(c, worker.Config{Concurrency: c.Int("workers"), WorkDir: filepath.Join(dataDir, "work"), Logger: log})
	if err != nil {
		return err
	}
	if wcfg.GroupCommit, err = worker.ParseGroupCommit(c.String("group-commit")); err != nil {
		return usageErr("--group-commit: %v", err)
	}
	if c.Bool("no-sync") && wcfg.GroupCommit == worker.GroupCommitAuto {
		// Without fsync on every write, batching the worker's writes
		// saves no fsync and costs the server a staging store per batch.
		wcfg.GroupCommit = worker.GroupCommitOff
	}
	if os.Geteuid() == 0 && wcfg.RunAs != worker.RunAsSelf {
		// Runs get uids of their own, which must reach their directories:
		// the data dir (under root's home, 0700) is not on their way.
		if wcfg.WorkDir, err = os.MkdirTemp("", "jetcron-dev-work-"); err != nil {
			return err
		}
		defer os.RemoveAll(wcfg.WorkDir)
	}
	srv, err := startDevNATS(c, dataDir, log)
	if err != nil {
		return err
	}
	defer srv.Stop(context.Background())
	nc, err := natsconn.Connect(natsconn.Options{URL: srv.URL(), Name: "jetcron-dev", Persistent: true, Logger: log})
	if err != nil {
		return err
	}
	defer nc.Close()
	stopWeb, webURL, err := startDevWeb(c, nc, log)
	if err != nil {
		return err
	}
	defer stopWeb()
	schedTracer, flushSched, err := roleTracer(c, "jetcron-scheduler", ns)
	if err != nil {
		return err
	}
	defer flushSched()
	workTracer, flushWork, err := roleTracer(c, "jetcron-worker", ns)
	if err != nil {
		return err
	}
	defer flushWork()
	wcfg.Tracer = workTracer
	scrubSecrets(log) // every part has read its settings

	ncfg, err := notifyConfigOf(c, webURL)
	if err != nil {
		return err
	}
	topo := topology.Config{Namespace: ns, Replicas: srv.replicas, AckWait: c.Duration("ack-wait")}
	// One process at a time runs on dataDir (the lock): its scheduler may
	// take over the lease of its killed predecessor at once.
	sched, err := scheduler.New(nc, scheduler.Config{ID: devSchedulerID(dataDir), ReclaimOwnLease: locked, Topology: topo, Logger: log, Tracer: schedTracer, Notify: ncfg,
		WatchdogInterval: max(c.Duration("watchdog-interval"), 100*time.Millisecond),
		PruneInterval:    c.Duration("prune-interval"), PruneFloor: c.Duration("prune-floor")})
	if err != nil {
		return err
	}
	wcfg.Topology = topo
	wk, err := worker.New(nc, wcfg)
	if err != nil {
		return err
	}
	if err := lifecycle.StartAll(c.Context, sched, wk); err != nil {
		return err
	}
	log.Info("jetcron dev is running",
		"nats", srv.URL(), "replicas", srv.replicas, "data", dataDir, "namespace", ns, "workers", c.Int("workers"))
	fmt.Fprintf(c.App.ErrWriter, `
jetcron dev is running.
  NATS:  %s   (the CLI's default; other NATS clients connect here too)
  UI:    %s
  data:  %s   (jobs, state and history survive a restart)
Try, in another terminal:
  jetcron job create hello --every 2s -- echo hello
  jetcron exec list hello
  jetcron exec watch
Stop with Ctrl-C.

`, srv.URL(), cmp.Or(webURL, "off (--http)"), dataDir)
	<-c.Context.Done()
	log.Info("stopping: letting running executions finish (up to 10s)")
	stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The producer stops before the consumer: no new slot fires while the
	// worker lets its running executions finish.
	err = errors.Join(sched.Stop(stopCtx), wk.Stop(stopCtx))
	if errors.Is(err, context.DeadlineExceeded) {
		err = nil
	}
	return err
}
