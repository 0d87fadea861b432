package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
)

func execCommand() *cli.Command {
	return &cli.Command{
		Name:    "exec",
		Aliases: []string{"execution", "executions"},
		Usage:   "list, inspect, follow and cancel executions",
		Subcommands: []*cli.Command{
			{
				Name: "list", Aliases: []string{"ls"}, Usage: "list executions, newest first", ArgsUsage: "[JOB]",
				Flags: []cli.Flag{
					outputFlag,
					&cli.IntFlag{Name: "limit", Aliases: []string{"n"}, Value: 20, Usage: "how many"},
					&cli.Uint64Flag{Name: "before", Usage: "continue a listing: executions older than this cursor"},
				},
				Action: showAction(execListArgs, listExecutions, printExecutions),
			},
			{Name: "get", Usage: "show one execution with its attempts", ArgsUsage: "ID", Flags: []cli.Flag{outputFlag}, Action: showAction(oneID, getExecution, printExecution)},
			{
				Name: "logs", Aliases: []string{"log"}, Usage: "print an execution's complete output", ArgsUsage: "ID",
				Flags: []cli.Flag{
					&cli.BoolFlag{Name: "follow", Aliases: []string{"f"}, Usage: "follow a running execution from its first byte until it ends"},
					&cli.IntFlag{Name: "attempt", Usage: "the log of this attempt (default: the last)"},
				},
				Action: doAction(oneID, printLog),
			},
			{
				Name: "watch", Usage: "print events as they happen, one line each", ArgsUsage: "[JOB]",
				Flags: []cli.Flag{
					outputFlag,
					&cli.StringFlag{Name: "since", Usage: "replay events from this long ago first (e.g. 10m)"},
				},
				Action: execWatch,
			},
			{
				Name: "cancel", Usage: "stop a running execution, or remove a waiting one", ArgsUsage: "ID",
				Flags:  []cli.Flag{&cli.StringFlag{Name: "reason", Usage: "why, for people"}},
				Action: doAction(oneID, cancelExecution),
			},
		},
	}
}

func oneID(c *cli.Context) (string, error) {
	if c.NArg() != 1 {
		return "", usageErr("%s: expected one execution ID", c.Command.FullName())
	}
	id := c.Args().First()
	if _, _, err := job.ParseExecutionID(id); err != nil {
		return "", usageErr("%v", err)
	}
	return id, nil
}

// execListArgs checks exec list's arguments and flags. It checks -o before
// --limit, as exec list always did; showAction's second check of -o then
// passes.
func execListArgs(c *cli.Context) (client.ListOptions, error) {
	if c.NArg() > 1 {
		return client.ListOptions{}, usageErr("exec list: at most one JOB")
	}
	jobName := c.Args().First()
	if jobName != "" {
		if err := job.ValidateName(jobName); err != nil {
			return client.ListOptions{}, usageErr("JOB %q %v", jobName, err)
		}
	}
	if _, err := wantJSON(c); err != nil {
		return client.ListOptions{}, err
	}
	if c.Int("limit") < 1 || c.Int("limit") > 1000 {
		return client.ListOptions{}, usageErr("--limit: %d is not in 1-1000", c.Int("limit"))
	}
	return client.ListOptions{Job: jobName, Limit: c.Int("limit"), Before: c.Uint64("before")}, nil
}

// execPage is one page of exec list: its executions, and the cursor of the
// next page (0 at the end). With -o json it is written as its executions
// alone, an empty list for none.
type execPage struct {
	job  string
	xs   []job.Execution
	next uint64
}

func (p execPage) MarshalJSON() ([]byte, error) {
	if p.xs == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(p.xs)
}

func listExecutions(c *cli.Context, cl *client.Client, o client.ListOptions) (execPage, error) {
	xs, next, err := cl.Executions(c.Context, o)
	return execPage{job: o.Job, xs: xs, next: next}, err
}

func printExecutions(c *cli.Context, p execPage) error {
	t := newTable(c.App.Writer, "ID", "STATE", "SCHEDULED", "DURATION", "EXIT", "ATTEMPT", "WORKER")
	for _, x := range p.xs {
		sched := x.ScheduledAt
		t.row(x.ID, stateText(x), fmtTime(&sched), durationText(x), exitText(x.ExitCode), attemptText(x.Attempt), orDash(x.Worker))
	}
	t.flush()
	if p.next > 0 {
		fmt.Fprintf(c.App.ErrWriter, "more: jetcron exec list %s--before %d\n", jobArg(p.job), p.next)
	}
	return nil
}

func jobArg(j string) string {
	if j == "" {
		return ""
	}
	return j + " "
}

func durationText(x job.Execution) string {
	if d, ok := x.Duration(); ok {
		return fmtDuration(d)
	}
	if x.State == job.StateRunning && x.StartedAt != nil {
		return fmtDuration(time.Since(*x.StartedAt)) + "…"
	}
	return "-"
}

func exitText(code *int) string {
	if code == nil {
		return "-"
	}
	return strconv.Itoa(*code)
}

func attemptText(n int) string {
	if n == 0 {
		return "-"
	}
	return strconv.Itoa(n)
}

func getExecution(c *cli.Context, cl *client.Client, id string) (job.Execution, error) {
	return cl.Execution(c.Context, id)
}

func printExecution(c *cli.Context, x job.Execution) error {
	t := newTable(c.App.Writer, "FIELD", "VALUE")
	sched := x.ScheduledAt
	t.row("id", x.ID)
	t.row("job", x.Job)
	t.row("state", stateText(x))
	t.row("trigger", orDash(string(x.Trigger)))
	t.row("revision", revisionText(x.Revision))
	t.row("scheduled", fmtTime(&sched)+" ("+orDash(x.WallTime)+")")
	t.row("started", fmtTime(x.StartedAt))
	t.row("finished", fmtTime(x.FinishedAt))
	t.row("duration", durationText(x))
	t.row("exit code", exitText(x.ExitCode))
	t.row("attempt", attemptText(x.Attempt))
	t.row("worker", orDash(x.Worker))
	t.row("error", orDash(x.Error))
	t.row("log", orDash(x.LogURL))
	if x.NextAttempt != nil {
		t.row("next attempt", fmtTime(x.NextAttempt))
	}
	if x.ParentID != "" {
		t.row("parent", x.ParentID)
	}
	if len(x.FollowUps) > 0 {
		t.row("follow-ups", strings.Join(x.FollowUps, ", "))
	}
	if len(x.Params) > 0 {
		t.row("params", kvText(x.Params))
	}
	for _, a := range x.Attempts {
		t.row(fmt.Sprintf("attempt %d", a.N), fmt.Sprintf("%s on %s, started %s, exit %s %s", a.State, a.Worker, fmtTime(&a.StartedAt), exitText(a.ExitCode), a.Error))
	}
	for _, n := range x.Notes {
		t.row("note", n)
	}
	t.flush()
	return nil
}

func printLog(c *cli.Context, cl *client.Client, id string) error {
	if c.Bool("follow") {
		return cl.FollowLog(c.Context, id, c.App.Writer)
	}
	err := cl.Log(c.Context, id, c.Int("attempt"), c.App.Writer)
	if errors.Is(err, client.ErrNoLog) {
		return &exitError{code: exitNotFound, msg: err.Error() + " (running? use -f to follow it)"}
	}
	if errors.Is(err, client.ErrNoLogServer) {
		return &exitError{code: exitUnavailable, msg: err.Error()}
	}
	return err
}

func execWatch(c *cli.Context) error {
	if c.NArg() > 1 {
		return usageErr("exec watch: at most one JOB")
	}
	asJSON, err := wantJSON(c)
	if err != nil {
		return err
	}
	opts := event.WatchOptions{Job: c.Args().First()}
	if opts.Job != "" {
		if err := job.ValidateName(opts.Job); err != nil {
			return usageErr("JOB %q %v", opts.Job, err)
		}
	}
	if s := c.String("since"); s != "" {
		d, err := job.ParseDuration(s)
		if err != nil {
			return usageErr("--since: %v", err)
		}
		opts.Since = time.Now().Add(-d)
	}
	cl, err := newClient(c)
	if err != nil {
		return err
	}
	for e, err := range cl.Watch(c.Context, opts) {
		if err != nil {
			return err
		}
		if asJSON {
			if err := printJSONLine(c, e); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintln(c.App.Writer, eventLine(e))
	}
	return nil
}

// eventLine is the one-line form of an event for `exec watch`.
func eventLine(e event.Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %-10s %s", e.Time.Local().Format("15:04:05.000"), e.Kind, e.Job)
	if e.Execution != "" {
		fmt.Fprintf(&b, "  %s", e.Execution)
	}
	if e.Attempt > 0 && e.Execution != "" {
		fmt.Fprintf(&b, "  attempt=%d", e.Attempt)
	}
	if e.Worker != "" {
		fmt.Fprintf(&b, "  worker=%s", e.Worker)
	}
	if e.ExitCode != nil {
		fmt.Fprintf(&b, "  exit=%d", *e.ExitCode)
	}
	if e.DurationMS != nil {
		fmt.Fprintf(&b, "  took=%s", fmtDuration(time.Duration(*e.DurationMS)*time.Millisecond))
	}
	if e.NextAttempt != nil {
		fmt.Fprintf(&b, "  next=%s", e.NextAttempt.Local().Format("15:04:05"))
	}
	if e.Error != "" {
		fmt.Fprintf(&b, "  error=%q", e.Error)
	} else if e.Reason != "" {
		fmt.Fprintf(&b, "  reason=%q", e.Reason)
	}
	return b.String()
}

func cancelExecution(c *cli.Context, cl *client.Client, id string) error {
	r, err := cl.Cancel(c.Context, id, c.String("reason"))
	if err != nil {
		return err
	}
	switch {
	case r.Result == "cancelling":
		fmt.Fprintf(c.App.Writer, "%s: cancelling on worker %s\n", id, r.Worker)
	case r.AfterAttempt > 0:
		fmt.Fprintf(c.App.Writer, "%s: %s; attempt %d ran on worker %s and ended before the cancel reached it, and no retry will run\n", id, r.Result, r.AfterAttempt, r.Worker)
	default:
		fmt.Fprintf(c.App.Writer, "%s: %s\n", id, r.Result)
	}
	return nil
}
