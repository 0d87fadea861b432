package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/urfave/cli/v2"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/objstore"
	"github.com/jetcron/jetcron/pkg/retention"
)

// pruneLogsCommand deletes the logs that jobs' retention lets go.
func pruneLogsCommand() *cli.Command {
	return &cli.Command{
		Name:  "prune-logs",
		Usage: "delete the stored logs older than their job's retention (retention.logs, retention.failed_logs); events are never deleted",
		Description: "Run it with the NATS admin user (the roles' users may not delete from the log store), from cron or as\n" +
			"   a jetcron job. Only jobs with a retention are looked at; see docs/storage.md.",
		ArgsUsage: " ",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "job", Usage: "only this job (repeatable)"},
			&cli.BoolFlag{Name: "dry-run", Usage: "list what would be deleted without deleting"},
			outputFlag,
		},
		Action: pruneLogs,
	}
}

func pruneLogs(c *cli.Context) error {
	if c.NArg() > 0 {
		return usageErr("admin prune-logs takes no arguments (use --job NAME)")
	}
	asJSON, err := wantJSON(c)
	if err != nil {
		return err
	}
	for _, n := range c.StringSlice("job") {
		if err := job.ValidateName(n); err != nil {
			return usageErr("--job %q: %v", n, err)
		}
	}
	cl, err := newClient(c)
	if err != nil {
		return err
	}
	views, err := cl.ListJobs(c.Context, api.ListRequest{})
	if err != nil {
		return err
	}
	only := map[string]bool{}
	for _, n := range c.StringSlice("job") {
		only[n] = true
	}
	var specs []job.Spec
	for _, v := range views {
		if len(only) == 0 || only[v.Name] {
			specs = append(specs, v.Spec)
		}
	}
	store, err := logPruner(c, cl)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Context, 30*time.Minute)
	defer cancel()
	outcome := func(ctx context.Context, id string) (job.State, error) {
		x, err := cl.Execution(ctx, id)
		return x.State, err
	}
	rep, err := retention.PruneLogs(ctx, store, specs, outcome, time.Now(), c.Bool("dry-run"))
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(c.App.Writer, rep)
	}
	verb, summary := "deleted", "deleted"
	if c.Bool("dry-run") {
		verb, summary = "would delete", "to delete"
	}
	for _, d := range rep.Deleted {
		state := string(d.State)
		if state == "" {
			state = "events gone"
		}
		fmt.Fprintf(c.App.Writer, "%s %s (%s, stored %s, %d bytes)\n", verb, d.Key, state, d.Stored.Format(time.RFC3339), d.Size)
	}
	fmt.Fprintf(c.App.Writer, "%d logs %s, %d kept\n", len(rep.Deleted), summary, rep.Kept)
	return nil
}

// logPruner opens the log store (--store) for listing and deleting.
func logPruner(c *cli.Context, cl *client.Client) (objstore.Pruner, error) {
	loc, creds, err := storeLocation(c)
	if err != nil {
		return nil, err
	}
	if loc.IsS3() {
		s, err := objstore.OpenS3(c.Context, loc, creds)
		if err != nil {
			return nil, storeErr(loc, err)
		}
		return s.Sub(loc.KeyPrefix(objstore.KindLogs)), nil
	}
	js, err := jetstream.New(cl.Conn())
	if err != nil {
		return nil, err
	}
	return objstore.OpenNATS(c.Context, js, cl.Names().LogsStore())
}
