package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/jetcron/jetcron/pkg/devserver"
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
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "data", Usage: "data directory (kept across restarts)", Value: defaultDataDir(), EnvVars: []string{"JETCRON_DATA"}},
			&cli.StringFlag{Name: "listen", Usage: "NATS client address", Value: "127.0.0.1:4222", EnvVars: []string{"JETCRON_LISTEN"}},
			&cli.IntFlag{Name: "workers", Usage: "executions that run at once", Value: 4, EnvVars: []string{"JETCRON_WORKERS"}},
			&cli.BoolFlag{Name: "no-sync", Usage: "fsync every two minutes instead of before each acknowledgement (faster, loses recent writes on a power cut)"},
		},
		Action: dev,
	}
}

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
	srv, err := devserver.New(devserver.Config{DataDir: filepath.Join(dataDir, "jetstream"), Listen: c.String("listen"), NoSync: c.Bool("no-sync")})
	if err != nil {
		return usageErr("%v", err)
	}
	if err := srv.Start(c.Context); err != nil {
		return &exitError{code: exitUnavailable, msg: fmt.Sprintf("%v (another `jetcron dev` or nats-server may be using %s; pick another with --listen)", err, c.String("listen"))}
	}
	defer func() { _ = srv.Stop(context.Background()) }()
	nc, err := natsconn.Connect(natsconn.Options{URL: srv.ClientURL(), Name: "jetcron-dev", Persistent: true, Logger: log})
	if err != nil {
		return err
	}
	defer nc.Close()

	topo := topology.Config{Namespace: ns}
	sched, err := scheduler.New(nc, scheduler.Config{Topology: topo, Logger: log})
	if err != nil {
		return err
	}
	wk, err := worker.New(nc, worker.Config{Topology: topo, Concurrency: c.Int("workers"), WorkDir: filepath.Join(dataDir, "work"), Logger: log})
	if err != nil {
		return err
	}
	if err := lifecycle.StartAll(c.Context, sched, wk); err != nil {
		return err
	}
	log.Info("jetcron dev is running",
		"nats", srv.ClientURL(), "data", dataDir, "namespace", ns, "workers", c.Int("workers"))
	fmt.Fprintf(c.App.ErrWriter, `
jetcron dev is running.
  NATS:  %s   (the CLI's default; other NATS clients connect here too)
  data:  %s   (jobs, state and history survive a restart)
Try, in another terminal:
  jetcron job create hello --every 2s -- echo hello
  jetcron exec list hello
  jetcron exec watch
Stop with Ctrl-C.

`, srv.ClientURL(), dataDir)
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
