package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
)

func jobCommand() *cli.Command {
	return &cli.Command{
		Name:  "job",
		Usage: "define, inspect, run and pause jobs",
		Subcommands: append([]*cli.Command{
			jobCreateCommand(),
			{
				Name: "get", Usage: "show a job, its state and its next fire times", ArgsUsage: "NAME",
				Flags:  []cli.Flag{outputFlag},
				Action: showAction(oneName, getJob, printJob),
			},
			{
				Name: "list", Aliases: []string{"ls"}, Usage: "list jobs",
				Flags: []cli.Flag{
					outputFlag,
					&cli.StringSliceFlag{Name: "label", Aliases: []string{"l"}, Usage: "only jobs with label K=V (repeatable)"},
					&cli.StringFlag{Name: "prefix", Usage: "only jobs whose name starts with this"},
					&cli.IntFlag{Name: "limit", Usage: "at most this many jobs, in name order (default: all)"},
					&cli.StringFlag{Name: "after", Usage: "only jobs whose name sorts after this (the last name of the previous page)"},
				},
				Action: showAction(jobListArgs, listJobs, printJobs),
			},
			jobAuditCommand(),
			{
				Name: "disable", Usage: "pause a job; it keeps its definition and history", ArgsUsage: "NAME",
				Flags:  []cli.Flag{&cli.StringFlag{Name: "reason", Usage: "why, for people and the job's history"}},
				Action: doAction(oneName, disableJob),
			},
			{
				Name: "enable", Usage: "resume a job from now", ArgsUsage: "NAME",
				Flags:  []cli.Flag{&cli.BoolFlag{Name: "catchup-on-enable", Usage: "fire slots missed while disabled, within the catch-up window"}, reasonFlag},
				Action: doAction(oneName, enableJob),
			},
			{
				Name: "delete", Aliases: []string{"rm"}, Usage: "delete a job's definition (its history stays)", ArgsUsage: "NAME",
				Flags:  []cli.Flag{reasonFlag},
				Action: doAction(oneName, deleteJob),
			},
			{
				Name: "run", Usage: "run a job now", ArgsUsage: "NAME",
				Flags: []cli.Flag{
					&cli.StringSliceFlag{Name: "param", Aliases: []string{"p"}, Usage: "run param K=V (repeatable)"},
					&cli.BoolFlag{Name: "force", Usage: "run even if the job is running and its overlap policy forbids it"},
					&cli.BoolFlag{Name: "follow", Aliases: []string{"f"}, Usage: "follow the run's log until it ends; exit 6 if it did not succeed"},
				},
				Action: doAction(jobRunArgs, runJob),
			},
			{
				Name: "enqueue", Usage: "add a run of a job at a time, with params", ArgsUsage: "NAME",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "at", Usage: "when (RFC 3339, or YYYY-MM-DD HH:MM[:SS] in --tz)"},
					&cli.StringFlag{Name: "in", Usage: "after this long (e.g. 10m)"},
					&cli.StringFlag{Name: "tz", Usage: "time zone of --at without an offset", Value: "Local"},
					&cli.StringSliceFlag{Name: "param", Aliases: []string{"p"}, Usage: "run param K=V (repeatable)"},
				},
				Action: doAction(jobEnqueueArgs, enqueueJob),
			},
		}, jobHistoryCommands()...),
	}
}

// oneName returns the single NAME argument.
func oneName(c *cli.Context) (string, error) {
	switch c.NArg() {
	case 1:
		return c.Args().First(), nil
	case 0:
		return "", usageErr("%s: NAME is required", c.Command.FullName())
	default:
		return "", usageErr("%s: expected one NAME, got %q (put the command's argv after --)", c.Command.FullName(), c.Args().Slice())
	}
}

// keyValues parses repeated K=V flags.
func keyValues(flag string, vals []string) (map[string]string, error) {
	if len(vals) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(vals))
	for _, kv := range vals {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageErr("--%s: %q is not K=V", flag, kv)
		}
		out[k] = v
	}
	return out, nil
}

func getJob(c *cli.Context, cl *client.Client, name string) (api.JobView, error) {
	return cl.GetJob(c.Context, name)
}

func printJob(c *cli.Context, v api.JobView) error {
	w := c.App.Writer
	t := newTable(w, "FIELD", "VALUE")
	t.row("name", v.Name)
	t.row("status", statusText(v))
	t.row("health", healthText(v, true))
	t.row("schedule", v.Schedule.String())
	t.row("in words", orDash(v.Describe))
	t.row("task", taskText(v.Task))
	t.row("queue", v.Queue)
	t.row("overlap", string(v.Overlap))
	if k, ok := v.Concurrency(); ok {
		t.row("concurrency key", k.String())
	}
	t.row("catch-up", v.CatchUp.Window.String()+" ("+v.CatchUp.Policy+")")
	if v.Timeout > 0 {
		t.row("timeout", v.Timeout.String()+" (kill grace "+v.KillGrace.String()+")")
	}
	if v.Retry.Retries > 0 {
		t.row("retries", fmt.Sprintf("%d (backoff %s up to %s)", v.Retry.Retries, v.Retry.Backoff, v.Retry.BackoffMax))
	}
	if v.Completions > 0 {
		fired := int64(0)
		if v.State != nil {
			fired = v.State.Fired
		}
		t.row("completions", fmt.Sprintf("%d of %d", fired, v.Completions))
	}
	if v.Jitter > 0 {
		t.row("jitter", v.Jitter.String())
	}
	if e := expectText(v.Expect); e != "" {
		t.row("expect", e)
	}
	if r := retentionText(v.Retention); r != "" {
		t.row("retention", r)
	}
	if len(v.Params) > 0 {
		t.row("params", kvText(v.Params))
	}
	if len(v.Env) > 0 {
		t.row("env", strings.Join(sortedKeys(v.Env), ", "))
	}
	if len(v.Labels) > 0 {
		t.row("labels", kvText(v.Labels))
	}
	if v.State != nil && !v.State.LastSlot.IsZero() {
		last := v.State.LastSlot
		t.row("last slot", fmtTime(&last))
	}
	if v.State != nil && v.State.Buffered != nil {
		t.row("waiting", v.State.Buffered.ID+" (delayed until its job or concurrency key frees)")
	}
	checkpointRows(t, v.Checkpoint)
	printNext(t, v)
	t.row("revision", strconv.FormatUint(v.Revision, 10))
	t.flush()
	return nil
}

func statusText(v api.JobView) string {
	if v.Status == api.StatusDisabled && v.DisabledReason != "" {
		return "disabled: " + v.DisabledReason
	}
	return v.Status
}

func taskText(t job.Task) string {
	switch t.Kind {
	case job.TaskCommand:
		return strings.Join(t.Command, " ")
	case job.TaskScript:
		name := ""
		if t.Script != nil {
			name = t.Script.Name + " (sha256 " + t.Script.SHA256[:12] + "…)"
		}
		return t.Interpreter + " " + name
	case job.TaskHTTP:
		if t.HTTP != nil {
			return t.HTTP.Method + " " + t.HTTP.URL
		}
	case job.TaskGo:
		return "go handler " + t.Handler
	}
	return string(t.Kind)
}

func kvText(m map[string]string) string {
	keys := sortedKeys(m)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m[k]
	}
	return strings.Join(parts, ", ")
}

// jobListArgs checks job list's arguments and flags. It checks -o before
// --label, as job list always did; showAction's second check of -o then
// passes.
func jobListArgs(c *cli.Context) (api.ListRequest, error) {
	if c.NArg() > 0 {
		return api.ListRequest{}, usageErr("job list takes no arguments (use --prefix or --label)")
	}
	if _, err := wantJSON(c); err != nil {
		return api.ListRequest{}, err
	}
	labels, err := keyValues("label", c.StringSlice("label"))
	if err != nil {
		return api.ListRequest{}, err
	}
	if c.Int("limit") < 0 {
		return api.ListRequest{}, usageErr("--limit: %d is negative", c.Int("limit"))
	}
	return api.ListRequest{Labels: labels, Prefix: c.String("prefix"), Page: api.Page{Limit: c.Int("limit"), After: c.String("after")}}, nil
}

func listJobs(c *cli.Context, cl *client.Client, req api.ListRequest) ([]api.JobView, error) {
	return cl.ListJobs(c.Context, req)
}

func printJobs(c *cli.Context, jobs []api.JobView) error {
	t := newTable(c.App.Writer, "NAME", "SCHEDULE", "TASK", "STATUS", "HEALTH", "NEXT")
	for _, v := range jobs {
		next := "-"
		if len(v.Next) > 0 {
			next = v.Next[0]
		}
		t.row(v.Name, v.Schedule.String(), truncate(taskText(v.Task), 40), statusText(v), healthText(v, false), next)
	}
	t.flush()
	return nil
}

func truncate(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

func disableJob(c *cli.Context, cl *client.Client, name string) error {
	v, err := cl.DisableJob(c.Context, name, c.String("reason"))
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "job %s disabled%s\n", v.Name, reasonText(v.DisabledReason))
	return nil
}

func reasonText(r string) string {
	if r == "" {
		return ""
	}
	return ": " + r
}

func enableJob(c *cli.Context, cl *client.Client, name string) error {
	v, err := cl.EnableJob(c.Context, name, c.Bool("catchup-on-enable"), client.Because(c.String("reason")))
	if err != nil {
		return err
	}
	next := ""
	if len(v.Next) > 0 {
		next = "; next " + v.Next[0]
	}
	fmt.Fprintf(c.App.Writer, "job %s enabled%s\n", v.Name, next)
	return nil
}

func deleteJob(c *cli.Context, cl *client.Client, name string) error {
	if err := cl.DeleteJob(c.Context, name, client.Because(c.String("reason"))); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "job %s deleted (its executions stay in the history)\n", name)
	return nil
}

// runArgs are a run's job and params: the arguments of job run and job
// enqueue.
type runArgs struct {
	name   string
	params map[string]string
	at     time.Time // job enqueue only
}

func jobRunArgs(c *cli.Context) (runArgs, error) {
	name, err := oneName(c)
	if err != nil {
		return runArgs{}, err
	}
	params, err := keyValues("param", c.StringSlice("param"))
	if err != nil {
		return runArgs{}, err
	}
	return runArgs{name: name, params: params}, nil
}

func runJob(c *cli.Context, cl *client.Client, a runArgs) error {
	r, err := cl.RunJob(c.Context, a.name, a.params, c.Bool("force"))
	if err != nil {
		return err
	}
	fmt.Fprintln(c.App.Writer, r.ExecutionID)
	if c.Bool("follow") {
		return followAndReport(c, cl, r.ExecutionID)
	}
	return nil
}

func jobEnqueueArgs(c *cli.Context) (runArgs, error) {
	a, err := jobRunArgs(c)
	if err != nil {
		return runArgs{}, err
	}
	switch {
	case c.IsSet("at") && c.IsSet("in"):
		return runArgs{}, usageErr("--at and --in: give one")
	case c.IsSet("at"):
		loc, err := loadZone(c.String("tz"))
		if err != nil {
			return runArgs{}, err
		}
		a.at, err = parseTime(c.String("at"), loc)
		if err != nil {
			return runArgs{}, usageErr("--at: %v", err)
		}
	case c.IsSet("in"):
		d, err := job.ParseDuration(c.String("in"))
		if err != nil || d < 0 {
			return runArgs{}, usageErr("--in: %q is not a duration like 10m or 2h", c.String("in"))
		}
		a.at = time.Now().Add(d)
	default:
		return runArgs{}, usageErr("job enqueue: --at or --in is required")
	}
	return a, nil
}

func enqueueJob(c *cli.Context, cl *client.Client, a runArgs) error {
	r, err := cl.Enqueue(c.Context, a.name, a.at, a.params)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "%s at %s\n", r.ExecutionID, r.At.Local().Format(time.RFC3339))
	return nil
}

// followAndReport follows a run's log, then prints how it ended; a run that
// did not succeed exits with exitRunFailed, so that a script can tell.
func followAndReport(c *cli.Context, cl *client.Client, id string) error {
	if err := cl.FollowLog(c.Context, id, c.App.Writer); err != nil {
		return err
	}
	x, err := cl.Execution(c.Context, id)
	if err != nil {
		return err
	}
	ended := fmt.Sprintf("%s %s%s", id, x.State, reasonText(x.Error))
	if x.State != job.StateSucceeded {
		return &exitError{code: exitRunFailed, msg: ended}
	}
	fmt.Fprintln(c.App.ErrWriter, ended)
	return nil
}

// retentionText describes a job's retention: which executions' history and
// which logs it keeps.
func retentionText(r *job.Retention) string {
	if r == nil {
		return ""
	}
	parts := []string{}
	if d := r.DescribeExecutions(); d != "" {
		parts = append(parts, d)
	}
	if r.Logs > 0 {
		parts = append(parts, "logs "+r.Logs.String()+", failed logs "+r.LogTTL(false).String())
	}
	return strings.Join(parts, "; ")
}
