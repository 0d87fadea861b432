package cli

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
)

// reasonFlag is --reason of the commands that change a job: the
// definition history keeps it.
var reasonFlag = &cli.StringFlag{Name: "reason", Usage: "why, for the job's history"}

// jobHistoryCommands are job history, job diff and job rollback.
func jobHistoryCommands() []*cli.Command {
	return []*cli.Command{
		jobBackfillCommand(),
		{
			Name: "history", Usage: "list the revisions of a job's definition: when, who, why, what changed", ArgsUsage: "NAME",
			Flags:  []cli.Flag{outputFlag},
			Action: showAction(oneName, jobHistory, printHistory),
		},
		{
			Name: "diff", Usage: "compare revision REV of a job with REV2, or with the current definition", ArgsUsage: "NAME REV [REV2]",
			Flags:  []cli.Flag{outputFlag},
			Action: showAction(jobDiffArgs, jobDiff, printDiff),
		},
		{
			Name: "rollback", Usage: "write a new revision of a job equal to revision --to", ArgsUsage: "NAME",
			Flags: []cli.Flag{
				&cli.Uint64Flag{Name: "to", Usage: "the revision to restore (see job history)"},
				reasonFlag,
				&cli.BoolFlag{Name: "dry-run", Usage: "show what would change without changing anything"},
				outputFlag,
			},
			Action: jobRollback,
		},
	}
}

func jobHistory(c *cli.Context, cl *client.Client, name string) (api.HistoryResponse, error) {
	return cl.JobHistory(c.Context, name)
}

func printHistory(c *cli.Context, h api.HistoryResponse) error {
	t := newTable(c.App.Writer, "REV", "TIME", "WHO", "OP", "REASON", "SUMMARY")
	for _, r := range h.Revisions {
		rev := strconv.FormatUint(r.Revision, 10)
		if r.Revision == h.Current {
			rev += "*"
		}
		op := string(r.Op)
		if r.RollbackOf != 0 {
			op = fmt.Sprintf("rollback to %d", r.RollbackOf)
		}
		t.row(rev, fmtTime(&r.Time), r.Who(), op, orDash(truncate(r.Reason, 40)), orDash(truncate(r.Summary, 70)))
	}
	t.flush()
	return nil
}

// diffArgs are job diff's job and revisions (to 0: the current one).
type diffArgs struct {
	name     string
	from, to uint64
}

func jobDiffArgs(c *cli.Context) (diffArgs, error) {
	args := c.Args().Slice()
	if len(args) < 2 || len(args) > 3 {
		return diffArgs{}, usageErr("job diff: expected NAME REV [REV2], got %q", args)
	}
	a := diffArgs{name: args[0]}
	var err error
	if a.from, err = strconv.ParseUint(args[1], 10, 64); err != nil || a.from == 0 {
		return diffArgs{}, usageErr("job diff: REV %q is not a revision number", args[1])
	}
	if len(args) == 3 {
		if a.to, err = strconv.ParseUint(args[2], 10, 64); err != nil || a.to == 0 {
			return diffArgs{}, usageErr("job diff: REV2 %q is not a revision number", args[2])
		}
	}
	return a, nil
}

func jobDiff(c *cli.Context, cl *client.Client, a diffArgs) (client.JobDiff, error) {
	d, err := cl.DiffJob(c.Context, a.name, a.from, a.to)
	return d, namedAs(err, map[string]string{"revision": "REV", "to": "REV2"})
}

func printDiff(c *cli.Context, d client.JobDiff) error {
	w := c.App.Writer
	fmt.Fprintf(w, "job %s: revision %d → %d\n", d.Job, d.From, d.To)
	writePreview(w, "", api.Preview{Diff: d.Changes, Fires: d.Fires})
	return nil
}

func jobRollback(c *cli.Context) error {
	name, err := oneName(c)
	if err != nil {
		return err
	}
	if !c.IsSet("to") || c.Uint64("to") == 0 {
		return usageErr("job rollback: --to REV is required (a revision number from job history)")
	}
	asJSON, err := wantJSON(c)
	if err != nil {
		return err
	}
	cl, err := newClient(c)
	if err != nil {
		return err
	}
	opts := []client.ChangeOption{client.Because(c.String("reason"))}
	if c.Bool("dry-run") {
		opts = append(opts, client.DryRunChange())
	}
	resp, err := cl.RollbackJob(c.Context, name, c.Uint64("to"), opts...)
	if err != nil {
		return namedAs(err, map[string]string{"to": "--to", "reason": "--reason"})
	}
	if asJSON {
		return printJSON(c.App.Writer, resp)
	}
	w := c.App.Writer
	switch {
	case resp.Result == "unchanged":
		fmt.Fprintf(w, "job %s unchanged: revision %d's definition is the current one\n", name, c.Uint64("to"))
	case resp.Preview != nil:
		fmt.Fprintf(w, "job %s would be rolled back to revision %d (dry run):\n", name, c.Uint64("to"))
		writePreview(w, "  ", *resp.Preview)
	default:
		fmt.Fprintf(w, "job %s rolled back to revision %d as revision %d (%s)\n", name, c.Uint64("to"), resp.Job.Revision, strings.Join(resp.Changes, ", "))
	}
	return nil
}

// writePreview prints a field diff and the fire times that change, each
// line indented.
func writePreview(w io.Writer, indent string, p api.Preview) {
	if len(p.Diff) == 0 {
		fmt.Fprintf(w, "%sno field changes\n", indent)
	} else {
		t := newTable(w, indent+"FIELD", "OLD", "NEW")
		for _, ch := range p.Diff {
			t.row(indent+ch.Field, orDash(ch.Old), orDash(ch.New))
		}
		t.flush()
	}
	if !p.Fires.Changed {
		fmt.Fprintf(w, "%snext %d fire times unchanged\n", indent, len(p.Fires.After))
		return
	}
	fmt.Fprintf(w, "%snext fire times change:\n", indent)
	t := newTable(w, indent+"BEFORE", "AFTER")
	for i := range max(len(p.Fires.Before), len(p.Fires.After)) {
		t.row(indent+at(p.Fires.Before, i), at(p.Fires.After, i))
	}
	t.flush()
	if len(p.Fires.Dropped) > 0 {
		fmt.Fprintf(w, "%sno longer fires at: %s\n", indent, strings.Join(p.Fires.Dropped, ", "))
	}
	if len(p.Fires.Added) > 0 {
		fmt.Fprintf(w, "%snewly fires at: %s\n", indent, strings.Join(p.Fires.Added, ", "))
	}
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "-"
}

// dryRunFlag is job create's --dry-run.
var dryRunFlag = &cli.BoolFlag{Name: "dry-run", Usage: "show the field diff and the fire times that change, without changing anything"}

// printCreatePreview prints what a create or update would do.
func printCreatePreview(w io.Writer, name string, r api.CreateResponse) error {
	if r.Result == "unchanged" {
		fmt.Fprintf(w, "job %s unchanged (dry run)\n", name)
		return nil
	}
	fmt.Fprintf(w, "job %s would be %s (dry run):\n", name, r.Result)
	writePreview(w, "  ", *r.Preview)
	return nil
}

// revisionText is an execution's definition revision (job history REV).
func revisionText(rev uint64) string {
	if rev == 0 {
		return "-"
	}
	return strconv.FormatUint(rev, 10)
}

// namedAs rewrites an error about a request field as one about the flag or
// argument that gave it ("--to: revision 9 is not …"), which is what the
// user typed; other errors pass unchanged.
func namedAs(err error, names map[string]string) error {
	var ae *api.Error
	if errors.As(err, &ae) && len(ae.Fields) == 1 {
		if name, ok := names[ae.Fields[0].Field]; ok {
			return &exitError{code: codeOfStatus(ae.Code), msg: name + ": " + ae.Fields[0].Message}
		}
	}
	var fe *job.FieldError
	if errors.As(err, &fe) {
		if name, ok := names[fe.Field]; ok {
			return &exitError{code: exitUsage, msg: name + ": " + fe.Msg}
		}
	}
	return err
}
