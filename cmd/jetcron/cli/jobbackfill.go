package cli

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/backfill"
	"github.com/jetcron/jetcron/pkg/job"
)

func jobBackfillCommand() *cli.Command {
	return &cli.Command{
		Name:      "backfill",
		Usage:     "run the past slots of a window again: those that did not run or failed, each once",
		ArgsUsage: "NAME",
		Description: "Examples:\n" +
			"   jetcron job backfill nightly --from 2026-11-30 --to 2026-12-03 --dry-run\n" +
			"   jetcron job backfill nightly --from 3d --to 1h --only all --max-parallel 2\n" +
			"   jetcron job backfill nightly --list\n" +
			"   jetcron job backfill nightly --cancel",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "from", Usage: "first slot to consider: a time (RFC 3339, or YYYY-MM-DD HH:MM[:SS] in --tz) or a duration ago (3d, 12h)"},
			&cli.StringFlag{Name: "to", Usage: "last slot to consider, like --from"},
			&cli.StringFlag{Name: "tz", Value: "Local", Usage: "time zone of --from and --to without an offset"},
			&cli.StringFlag{Name: "only", Value: "missed", Usage: "missed (slots that did not run), failed (runs that did not succeed) or all"},
			&cli.IntFlag{Name: "max-parallel", Value: 1, Usage: "backfill runs in flight at once (1 unless the job's overlap policy is allow)"},
			&cli.BoolFlag{Name: "dry-run", Usage: "list the slots that would run and those skipped, without running any"},
			&cli.BoolFlag{Name: "cancel", Usage: "cancel the job's running backfill (all of them, or the one --id names): no further slot starts, runs in flight are cancelled"},
			&cli.StringFlag{Name: "id", Usage: "with --cancel: the backfill to cancel (see --list)"},
			&cli.BoolFlag{Name: "list", Usage: "list the job's backfills and their progress"},
			reasonFlag,
			outputFlag,
		},
		Action: jobBackfill,
	}
}

func jobBackfill(c *cli.Context) error {
	name, err := oneName(c)
	if err != nil {
		return err
	}
	asJSON, err := wantJSON(c)
	if err != nil {
		return err
	}
	switch {
	case c.Bool("list") && c.Bool("cancel"):
		return usageErr("--list and --cancel: give one")
	case c.Bool("list"):
		return backfillList(c, name, asJSON)
	case c.Bool("cancel"):
		return backfillCancel(c, name, asJSON)
	case c.IsSet("id"):
		return usageErr("--id: goes with --cancel")
	}
	req, err := backfillArgs(c, name)
	if err != nil {
		return err
	}
	cl, err := newClient(c)
	if err != nil {
		return err
	}
	resp, err := cl.Backfill(c.Context, req)
	if err != nil {
		return namedAs(err, map[string]string{"from": "--from", "to": "--to", "only": "--only", "max_parallel": "--max-parallel"})
	}
	if asJSON {
		return printJSON(c.App.Writer, resp)
	}
	printBackfill(c, req, resp)
	return nil
}

// backfillArgs checks the flags of a backfill before anything is sent.
func backfillArgs(c *cli.Context, name string) (api.BackfillRequest, error) {
	loc, err := loadZone(c.String("tz"))
	if err != nil {
		return api.BackfillRequest{}, err
	}
	now := time.Now()
	req := api.BackfillRequest{Name: name, Only: backfill.Only(c.String("only")), MaxParallel: c.Int("max-parallel"), DryRun: c.Bool("dry-run")}
	for _, f := range []string{"from", "to"} {
		if c.String(f) == "" {
			return req, usageErr("--%s is required (a time, or a duration ago like 3d)", f)
		}
	}
	if req.From, err = whenFlag(c, "from", loc, now); err != nil {
		return req, err
	}
	if req.To, err = whenFlag(c, "to", loc, now); err != nil {
		return req, err
	}
	switch {
	case req.From.After(now):
		return req, usageErr("--from: %s is in the future: a backfill runs past slots", req.From.Format(time.RFC3339))
	case req.To.After(now):
		return req, usageErr("--to: %s is in the future: a backfill runs past slots", req.To.Format(time.RFC3339))
	case req.To.Before(req.From):
		return req, usageErr("--to: %s is before --from %s", req.To.Format(time.RFC3339), req.From.Format(time.RFC3339))
	case !req.Only.Valid():
		return req, usageErr("--only: %q is not missed, failed or all", c.String("only"))
	case req.MaxParallel <= 0:
		return req, usageErr("--max-parallel: must be at least 1, got %d", req.MaxParallel)
	}
	return req, nil
}

func printBackfill(c *cli.Context, req api.BackfillRequest, r api.BackfillResponse) {
	w := c.App.Writer
	type row struct {
		slot      time.Time
		id, do, w string
	}
	var rows []row
	for _, p := range r.Selection.Run {
		rows = append(rows, row{p.Slot, p.ExecutionID, "run", p.Why})
	}
	for _, s := range r.Selection.Skip {
		rows = append(rows, row{s.Slot, s.ExecutionID, "skip", s.Reason})
	}
	slices.SortFunc(rows, func(a, b row) int { return a.slot.Compare(b.slot) })
	t := newTable(w, "SLOT", "EXECUTION", "ACTION", "WHY")
	for _, x := range rows {
		t.row(x.slot.Local().Format(time.RFC3339), x.id, x.do, x.w)
	}
	t.flush()
	n, skipped := len(r.Selection.Run), len(r.Selection.Skip)
	switch {
	case r.DryRun:
		fmt.Fprintf(w, "dry run: %d slot(s) would run, %d at a time, %d skipped; nothing changed\n", n, r.Parallel, skipped)
	case r.Backfill == nil:
		fmt.Fprintf(w, "nothing to run: %d slot(s) skipped\n", skipped)
	default:
		fmt.Fprintf(w, "backfill %s started: %d slot(s) to run (trigger backfill), %d at a time, %d skipped\n", r.Backfill.ID, n, r.Parallel, skipped)
		fmt.Fprintf(w, "follow it with: jetcron job backfill %s --list; cancel it with: jetcron job backfill %s --cancel\n", req.Name, req.Name)
	}
}

func backfillList(c *cli.Context, name string, asJSON bool) error {
	cl, err := newClient(c)
	if err != nil {
		return err
	}
	all, err := cl.Backfills(c.Context, name)
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(c.App.Writer, all)
	}
	t := newTable(c.App.Writer, "ID", "FROM", "TO", "STATE", "ENDED", "RUNNING", "WAITING", "BY", "NOTE")
	for _, b := range all {
		n := b.Counts()
		t.row(b.ID, b.From.Local().Format(time.RFC3339), b.To.Local().Format(time.RFC3339), string(b.State),
			strconv.Itoa(n[backfill.SlotEnded])+"/"+strconv.Itoa(len(b.Slots)), strconv.Itoa(n[backfill.SlotStarted]), strconv.Itoa(n[backfill.SlotWaiting]), orDash(b.By), orDash(b.Reason))
	}
	t.flush()
	return nil
}

func backfillCancel(c *cli.Context, name string, asJSON bool) error {
	if c.IsSet("from") || c.IsSet("to") || c.Bool("dry-run") {
		return usageErr("--cancel: takes no --from, --to or --dry-run (give --id to cancel one backfill)")
	}
	cl, err := newClient(c)
	if err != nil {
		return err
	}
	out, err := cl.CancelBackfill(c.Context, name, c.String("id"), c.String("reason"))
	if err != nil {
		return namedAs(err, map[string]string{"id": "--id", "reason": "--reason"})
	}
	if asJSON {
		return printJSON(c.App.Writer, out)
	}
	for _, b := range out {
		ended, cancelled, waiting := 0, 0, 0
		for _, sl := range b.Slots {
			switch {
			case sl.Status == backfill.SlotWaiting:
				waiting++
			case sl.Result == job.StateCancelled:
				cancelled++
			default:
				ended++
			}
		}
		fmt.Fprintf(c.App.Writer, "backfill %s cancelled: %d run(s) had ended, %d in flight cancelled, %d not started\n", b.ID, ended, cancelled, waiting)
	}
	return nil
}
