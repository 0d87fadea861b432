package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/jetcron/jetcron/pkg/devserver"
)

// devClusterFlag is `jetcron dev --cluster N`.
func devClusterFlag() cli.Flag {
	return &cli.IntFlag{Name: "cluster", Value: 1, EnvVars: []string{"JETCRON_DEV_CLUSTER"},
		Usage: "run N embedded NATS servers joined by routes (3 or 5 to try a replicated setup: every stream and bucket gets 3 replicas); " +
			"node i listens on the --listen port + i, its routes on that port + 2000"}
}

// devNATS is the embedded NATS of `jetcron dev`: one server, or a cluster.
type devNATS struct {
	cluster  *devserver.Cluster
	replicas int
}

// startDevNATS starts the embedded server(s) of `jetcron dev`. One server
// keeps its data in <data>/jetstream (as always); a cluster keeps node i's
// in <data>/cluster/n<i>.
func startDevNATS(c *cli.Context, dataDir string, log *slog.Logger) (*devNATS, error) {
	size := c.Int("cluster")
	if size < 1 || size > 5 {
		return nil, usageErr("--cluster: %d is not in 1-5", size)
	}
	host, portStr, err := net.SplitHostPort(c.String("listen"))
	if err != nil {
		return nil, usageErr("--listen: %v", err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port+size-1 > 65535 {
		return nil, usageErr("--listen: port %q is not a port number", portStr)
	}
	warnExposed(log, host, c.String("listen"))
	cfg := devserver.ClusterConfig{Size: size, DataDir: filepath.Join(dataDir, "cluster"), Host: host, Port: port, NoSync: c.Bool("no-sync")}
	if size == 1 {
		cfg.DataDir = dataDir
	}
	if log != nil {
		cfg.Logger = serverLogger(log, c.String("log-level"))
	}
	cl, err := devserver.StartCluster(c.Context, singleNodeDir(cfg))
	if err != nil {
		return nil, &exitError{code: exitUnavailable, msg: fmt.Sprintf("%v (another `jetcron dev` or nats-server may be using %s; pick another with --listen)", err, c.String("listen"))}
	}
	return &devNATS{cluster: cl, replicas: min(size, 3)}, nil
}

// serverLogger is the embedded server's share of the process log: all of
// it at --log-level debug, else its warnings and errors only. Its notices
// (listeners, JetStream's limits, every stream it restores) would bury
// jetcron's own lines, but a warning is often the only place that says
// why a request failed (a store that could not be created, a full disk).
func serverLogger(log *slog.Logger, level string) *slog.Logger {
	if level == "debug" {
		return log
	}
	return slog.New(atLeast{Handler: log.Handler(), min: slog.LevelWarn})
}

// atLeast passes on the records of its level or above.
type atLeast struct {
	slog.Handler
	min slog.Level
}

func (h atLeast) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h atLeast) WithAttrs(as []slog.Attr) slog.Handler {
	return atLeast{Handler: h.Handler.WithAttrs(as), min: h.min}
}

func (h atLeast) WithGroup(name string) slog.Handler {
	return atLeast{Handler: h.Handler.WithGroup(name), min: h.min}
}

// singleNodeDir keeps a single dev server's data where it always was,
// <data>/jetstream, instead of a per-node directory.
func singleNodeDir(cfg devserver.ClusterConfig) devserver.ClusterConfig {
	if cfg.Size == 1 {
		cfg.NodeDir = func(int) string { return filepath.Join(cfg.DataDir, "jetstream") }
	}
	return cfg
}

// URL is every node's client URL, comma-separated.
func (d *devNATS) URL() string { return d.cluster.URL() }

// Stop shuts every node down.
func (d *devNATS) Stop(ctx context.Context) { d.cluster.Stop(ctx) }

// warnExposed warns when the dev server, which has no authentication,
// listens beyond loopback. It reports whether it warned.
func warnExposed(log *slog.Logger, host, listen string) bool {
	if host == "localhost" {
		return false
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return false
	}
	if log == nil {
		log = slog.Default()
	}
	log.Warn("the embedded NATS server has no authentication and listens beyond loopback: anyone who reaches "+listen+
		" can create jobs that run commands on this machine; use it on a trusted network only, or run NATS with deploy/nats and the scheduler, worker and web roles",
		"listen", listen)
	return true
}
