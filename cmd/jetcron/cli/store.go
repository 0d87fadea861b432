package cli

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/objstore"
	"github.com/jetcron/jetcron/worker"
)

// getenvKey is where App keeps Deps.Getenv in the app's metadata.
const getenvKey = "jetcron.getenv"

// storeFlag is the global --store flag: where workers keep logs.
func storeFlag() cli.Flag {
	return &cli.StringFlag{
		Name:    "store",
		Value:   "nats",
		Usage:   "where workers keep logs: nats (the NATS object store) or s3://BUCKET[/PREFIX]?endpoint=HOST:PORT&secure=false&region=R (credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or MINIO_ROOT_USER/MINIO_ROOT_PASSWORD); scripts are always in the NATS object store. Clients need no --store: they read logs through the workers",
		EnvVars: []string{"JETCRON_STORE"},
	}
}

// workerTaskFlags configure how a worker (jetcron worker, jetcron dev) runs
// tasks: the log cap and the networks http tasks may reach.
func workerTaskFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "max-log", Value: "10MiB", Usage: "cap of each run's stored log, first and last halves kept (bytes, or with KiB/MiB/GiB)", EnvVars: []string{"JETCRON_MAX_LOG"}},
		&cli.StringSliceFlag{Name: "http-allow", Usage: "network (CIDR or address) http tasks may reach although it is loopback, link-local or private (repeatable)", EnvVars: []string{"JETCRON_HTTP_ALLOW"}},
		&cli.StringFlag{Name: "secrets-dir", Usage: "directory of the secrets that job env and HTTP header values reference as ${secret:NAME} (the file NAME)", EnvVars: []string{"JETCRON_SECRETS_DIR"}},
		&cli.StringSliceFlag{Name: "allow-kinds", Usage: "task kinds this worker runs, e.g. http,go (default: command, script, http, go); the API refuses a job whose queue's live workers all disallow its kind", EnvVars: []string{"JETCRON_ALLOW_KINDS"}},
		&cli.StringFlag{Name: "run-as", Usage: "identity runs execute under: USER, UID or UID:GID; auto (a uid of its own per run, from 100000 to 165535; the default as root) or auto:FIRST-LAST; self (the worker's own; the default otherwise)", EnvVars: []string{"JETCRON_RUN_AS"}},
		&cli.StringFlag{Name: "run-cgroup", Usage: "cgroup v2 directory under which each run gets its own cgroup (default: the worker's own cgroup if writable; none to disable)", EnvVars: []string{"JETCRON_RUN_CGROUP"}},
	}
}

// getenv returns the environment lookup of the app (Deps.Getenv).
func getenv(c *cli.Context) func(string) string {
	if f, ok := c.App.Metadata[getenvKey].(func(string) string); ok && f != nil {
		return f
	}
	return os.Getenv
}

// storeLocation reads --store and, for S3, the credentials.
func storeLocation(c *cli.Context) (objstore.Location, objstore.Credentials, error) {
	loc, err := objstore.ParseLocation(c.String("store"))
	if err != nil {
		return loc, objstore.Credentials{}, usageErr("--store: %v", err)
	}
	if !loc.IsS3() {
		return loc, objstore.Credentials{}, nil
	}
	creds, err := objstore.CredentialsFromEnv(getenv(c))
	if err != nil {
		return loc, creds, usageErr("--store %s: %v", loc, err)
	}
	return loc, creds, nil
}

// storeErr gives a store failure its exit code: an unreachable endpoint is
// "unavailable", anything else about --store is a setting to fix.
func storeErr(loc objstore.Location, err error) error {
	code := exitUsage
	if errors.Is(err, objstore.ErrUnreachable) {
		code = exitUnavailable
	}
	return &exitError{code: code, msg: fmt.Sprintf("--store %s: %v", loc, err)}
}

// withStores configures where the client reads logs. A client needs no
// store: scripts always go to the NATS object store, and logs are read from
// it or, when the workers keep them in S3, through the workers. A client
// given an S3 --store (accepted for compatibility) reads logs straight from
// it; the store is not contacted until a command reads a log.
func withStores(c *cli.Context, cl *client.Client) (*client.Client, error) {
	loc, creds, err := storeLocation(c)
	if err != nil || !loc.IsS3() {
		return cl, err
	}
	s, err := objstore.NewS3(loc, creds)
	if err != nil {
		return nil, storeErr(loc, err)
	}
	return client.New(cl.Conn(), client.WithNamespace(cl.Names().Namespace()), client.WithJetStreamDomain(cl.JetStreamDomain()),
		client.WithLogStore(s.Sub(loc.KeyPrefix(objstore.KindLogs))))
}

// withWorkerStores configures the worker's script and log stores (an S3
// store is checked now, so a bad --store stops the worker at once), its log
// cap (--max-log), the networks its http tasks may reach (--http-allow) and
// the isolation of its runs (--run-as, --run-cgroup).
func withWorkerStores(c *cli.Context, cfg worker.Config) (worker.Config, error) {
	cfg.RunAs, cfg.RunCgroup = c.String("run-as"), c.String("run-cgroup")
	if s := c.String("max-log"); s != "" {
		n, err := parseSize(s)
		if err != nil {
			return cfg, usageErr("--max-log: %v", err)
		}
		if n < 1024 {
			return cfg, usageErr("--max-log: %s is below 1KiB", s)
		}
		cfg.MaxLog = n
	}
	if dir := c.String("secrets-dir"); dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return cfg, usageErr("--secrets-dir: %q is not a directory", dir)
		}
		cfg.SecretsDir = dir
	}
	if vals := c.StringSlice("allow-kinds"); len(vals) > 0 {
		kinds, err := job.ParseTaskKinds(vals)
		if err != nil {
			return cfg, usageErr("--allow-kinds: %v", err)
		}
		cfg.AllowKinds = kinds
	}
	for _, v := range c.StringSlice("http-allow") {
		p, err := parseAllow(v)
		if err != nil {
			return cfg, usageErr("--http-allow: %v", err)
		}
		cfg.HTTPAllow = append(cfg.HTTPAllow, p)
	}
	loc, creds, err := storeLocation(c)
	if err != nil || !loc.IsS3() {
		return cfg, err
	}
	s, err := objstore.OpenS3(c.Context, loc, creds)
	if err != nil {
		return cfg, storeErr(loc, err)
	}
	cfg.Scripts = s.Sub(loc.KeyPrefix(objstore.KindScripts))
	cfg.Logs = s.Sub(loc.KeyPrefix(objstore.KindLogs))
	return cfg, nil
}

// parseAllow reads a CIDR, or a single address as its own network.
func parseAllow(v string) (netip.Prefix, error) {
	v = strings.TrimSpace(v)
	if p, err := netip.ParsePrefix(v); err == nil {
		return p.Masked(), nil
	}
	if a, err := netip.ParseAddr(v); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	return netip.Prefix{}, fmt.Errorf("%q is not a CIDR (e.g. 10.0.0.0/8) or an IP address", v)
}

// parseSize reads a byte count: a number, optionally with B, KiB, MiB or
// GiB (KB, MB, GB and K, M, G mean the same powers of two).
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	upper := strings.ToUpper(t)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(upper, u.suffix) {
			t, mult = strings.TrimSpace(t[:len(t)-len(u.suffix)]), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > (1<<40)/mult {
		return 0, fmt.Errorf("%q is not a size (e.g. 10MiB, 512KiB, 1048576)", s)
	}
	return n * mult, nil
}
