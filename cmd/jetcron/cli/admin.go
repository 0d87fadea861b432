package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natsconn"
	"github.com/jetcron/jetcron/pkg/topology"
)

// adminCommand holds operator tasks that need more NATS permissions than
// any role: with per-role users (deploy/nats), an admin creates the streams
// and buckets once and the schedulers run with --skip-ensure.
func adminCommand() *cli.Command {
	return &cli.Command{
		Name:  "admin",
		Usage: "operator tasks (run with the NATS admin user)",
		Subcommands: []*cli.Command{{
			Name:      "ensure",
			Usage:     "create or update every stream, bucket, object store and queue consumer (idempotent)",
			ArgsUsage: " ",
			Flags: append(ensureFlags(),
				&cli.StringSliceFlag{Name: "queue", Aliases: []string{"q"}, Usage: "also create the consumer of this queue (repeatable; \"default\" always)", EnvVars: []string{"JETCRON_QUEUES"}},
			),
			Action: adminEnsure,
		}, pruneLogsCommand()},
	}
}

// ensureFlags are the topology flags without the role-only ones.
func ensureFlags() []cli.Flag {
	var out []cli.Flag
	for _, f := range topologyFlags() {
		if f.Names()[0] != "health" {
			out = append(out, f)
		}
	}
	return out
}

func adminEnsure(c *cli.Context) error {
	if c.NArg() > 0 {
		return usageErr("admin ensure takes no arguments")
	}
	topo, err := topologyOf(c)
	if err != nil {
		return err
	}
	for _, q := range c.StringSlice("queue") {
		if err := job.ValidateName(q); err != nil {
			return usageErr("--queue %q: %v", q, err)
		}
	}
	opts, err := connOptions(c, "jetcron-admin", false)
	if err != nil {
		return err
	}
	nc, err := natsconn.Connect(opts)
	if err != nil {
		return &exitError{code: exitUnavailable, msg: err.Error()}
	}
	defer nc.Close()
	js, err := natsconn.JetStream(nc, opts.JSDomain)
	if err != nil {
		return fmt.Errorf("admin ensure: %w", err)
	}
	ctx, cancel := context.WithTimeout(c.Context, 2*time.Minute)
	defer cancel()
	if err := topology.Ensure(ctx, js, topo); err != nil {
		return &exitError{code: exitUnavailable, msg: err.Error()}
	}
	for _, q := range c.StringSlice("queue") {
		if err := topology.EnsureQueue(ctx, js, topo, q); err != nil {
			return &exitError{code: exitUnavailable, msg: err.Error()}
		}
	}
	n := topo.Names()
	out := c.App.Writer
	fmt.Fprintf(out, "namespace %s ensured with %d replica(s):\n", n.Namespace(), topo.Replicas)
	for _, kv := range topo.KeyValueConfigs() {
		fmt.Fprintf(out, "  bucket        %s\n", kv.Bucket)
	}
	fmt.Fprintf(out, "  stream        %s\n  stream        %s\n", n.WorkStream(), n.EventsStream())
	fmt.Fprintf(out, "  stream        %s\n", n.HistoryStream())
	for _, os := range topo.ObjectStoreConfigs() {
		fmt.Fprintf(out, "  object store  %s\n", os.Bucket)
	}
	for _, q := range append([]string{job.DefaultQueue}, c.StringSlice("queue")...) {
		fmt.Fprintf(out, "  consumer      %s on %s\n", n.WorkConsumer(q), n.WorkStream())
	}
	return nil
}
