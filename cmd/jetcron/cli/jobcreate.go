package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/schedule"
)

func jobCreateCommand() *cli.Command {
	return &cli.Command{
		Name:      "create",
		Usage:     "create a job (or replace it with --update)",
		ArgsUsage: "NAME (--cron SPEC | --every DUR | --at TIME) ( -- ARGV... | --script FILE --interpreter NAME | --http-url URL )",
		Description: "Examples:\n" +
			"   jetcron job create hello --every 2s -- echo hello\n" +
			"   jetcron job create nightly --cron \"0 30 2 * * *\" --tz Europe/Berlin -- date\n" +
			"   jetcron job create fetch --every 1m --script fetch.py --interpreter python3\n" +
			"   jetcron job create report --cron \"0 9 * * 1-5\" --cron \"0 14 * * 5\" --skip-calendar holidays-de -- ./report",
		Flags: append(append(scheduleFlags(),
			&cli.StringFlag{Name: "at", Usage: "one instant (RFC 3339, or YYYY-MM-DD HH:MM[:SS] in --tz)"},
			&cli.StringFlag{Name: "tz", Usage: "IANA time zone of the schedule (default UTC)"},
			&cli.StringFlag{Name: "start", Usage: "no slot before this time (also anchors --every)"},
			&cli.StringFlag{Name: "end", Usage: "no slot after this time"},
			&cli.StringFlag{Name: "timeout", Usage: "bound on one attempt (SIGTERM, then SIGKILL after --kill-grace)"},
			&cli.StringFlag{Name: "kill-grace", Usage: "time between SIGTERM and SIGKILL (default 10s)"},
			&cli.IntFlag{Name: "retries", Usage: "attempts after a failed one"},
			&cli.StringFlag{Name: "backoff", Usage: "retry delay INITIAL[:MAX], exponential with jitter (default 10s:10m)"},
			&cli.StringFlag{Name: "retry-on-exit", Usage: "exit codes to retry, comma-separated (default: any non-zero)"},
			&cli.StringFlag{Name: "overlap", Usage: "delay (default), skip, allow or replace"},
			&cli.StringFlag{Name: "concurrency-key", Usage: "`KEY[:N]`: at most N (default 1) executions of all the jobs with this key run at once; the others wait, recorded delayed"},
			&cli.StringFlag{Name: "catchup", Usage: "how far back missed slots still fire (default 5m)"},
			&cli.StringFlag{Name: "catchup-policy", Usage: "all (default) or latest"},
			&cli.IntFlag{Name: "completions", Usage: "stop after this many fires"},
			&cli.StringFlag{Name: "jitter", Usage: "delay every fire by a fixed per-job offset below this"},
			&cli.StringFlag{Name: "queue", Usage: "worker pool (default \"default\")"},
			&cli.StringSliceFlag{Name: "param", Aliases: []string{"p"}, Usage: "param K=V passed as JETCRON_PARAMS (repeatable)"},
			&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "environment variable K=V of the run (repeatable)"},
			&cli.StringSliceFlag{Name: "label", Aliases: []string{"l"}, Usage: "label K=V (repeatable)"},
			&cli.StringFlag{Name: "description", Usage: "free text"},
			&cli.StringFlag{Name: "script", Usage: "script file to upload and run with --interpreter"},
			&cli.StringFlag{Name: "interpreter", Usage: "python3, ruby, bash, sh, node, perl, php, pwsh"},
			&cli.StringFlag{Name: "http-url", Usage: "URL of an http task"},
			&cli.StringFlag{Name: "http-method", Usage: "method of an http task (default GET)"},
			&cli.StringSliceFlag{Name: "http-header", Usage: "header K:V of an http task (repeatable)"},
			&cli.StringFlag{Name: "http-body", Usage: "body of an http task: TEXT, or @FILE"},
			&cli.StringFlag{Name: "http-timeout", Usage: "timeout of one http request (default: --timeout, else 30s)"},
			&cli.StringFlag{Name: "handler", Usage: "Go handler name (a worker embedded in a Go program runs it)"},
			&cli.BoolFlag{Name: "disabled", Usage: "create the job paused"},
			&cli.BoolFlag{Name: "update", Usage: "replace the job if it exists"},
			reasonFlag, dryRunFlag,
			outputFlag,
		), expectFlags()...),
		Action: jobCreate,
	}
}

func jobCreate(c *cli.Context) error {
	args := c.Args().Slice()
	if len(args) == 0 {
		return usageErr("job create: NAME is required")
	}
	name, argv := args[0], args[1:]
	asJSON, err := wantJSON(c)
	if err != nil {
		return err
	}
	spec, err := specFromFlags(c, name, argv)
	if err != nil {
		return err
	}
	if err := preValidate(spec); err != nil {
		return err
	}
	cl, err := newClient(c)
	if err != nil {
		return err
	}
	if path := c.String("script"); path != "" {
		ref, err := cl.UploadScript(c.Context, path)
		if err != nil {
			return err
		}
		spec.Task.Script = ref
	}
	opts := []client.CreateOption{client.WithReason(c.String("reason"))}
	if c.Bool("update") {
		opts = append(opts, client.WithUpdate())
	}
	if c.Bool("dry-run") {
		opts = append(opts, client.WithDryRun())
	}
	resp, err := cl.CreateJob(c.Context, spec, opts...)
	if err != nil {
		return err
	}
	if asJSON {
		return printJSON(c.App.Writer, resp)
	}
	if resp.Preview != nil {
		return printCreatePreview(c.App.Writer, spec.Name, resp)
	}
	next := ""
	if len(resp.Job.Next) > 0 {
		next = "; next " + resp.Job.Next[0]
	}
	changes := ""
	if len(resp.Changes) > 0 {
		changes = " (" + strings.Join(resp.Changes, ", ") + ")"
	}
	fmt.Fprintf(c.App.Writer, "job %s %s%s%s\n", spec.Name, resp.Result, changes, next)
	return nil
}

// preValidate is one call to the definition's validator, so that bad
// input never uploads a script or reaches the network; the API checks the
// definition again and has the last word. A script not uploaded yet stands
// as a reference of its size with a placeholder digest.
func preValidate(spec job.Spec) error {
	if ref := spec.Task.Script; ref != nil && ref.SHA256 == "" {
		placeholder := strings.Repeat("0", 64)
		spec.Task.Script = &job.ScriptRef{Name: ref.Name, Key: job.ScriptKey(placeholder), SHA256: placeholder, Size: ref.Size}
	}
	if err := spec.Validate(); err != nil {
		return err
	}
	return spec.CheckFuture(time.Now())
}

// specFromFlags builds a definition from the create flags. It reads the
// flags' values; judging them is the validator's (preValidate), except for
// what only a flag can get wrong (syntax, files, zero, flags combined).
func specFromFlags(c *cli.Context, name string, argv []string) (job.Spec, error) {
	spec := job.Spec{Name: name, Description: c.String("description"), Queue: c.String("queue"), Disabled: c.Bool("disabled")}
	var err error
	tz := c.String("tz")
	loc := time.UTC
	if tz != "" {
		if l, err := schedule.LoadLocation(tz); err == nil {
			loc = l // else the validator names schedule.tz
		}
	}
	spec.Schedule.TZ = tz
	if err := setSchedules(c, &spec); err != nil {
		return spec, err
	}
	for flag, dst := range map[string]**time.Time{"at": &spec.Schedule.At, "start": &spec.Schedule.Start, "end": &spec.Schedule.End} {
		if s := c.String(flag); s != "" {
			t, err := parseTime(s, loc)
			if err != nil {
				return spec, job.Fieldf("schedule."+flag, "%v", err)
			}
			*dst = &t
		}
	}
	durations := []struct {
		flag  string
		field string
		dst   *job.Duration
	}{
		{"timeout", "timeout", &spec.Timeout},
		{"kill-grace", "kill_grace", &spec.KillGrace},
		{"catchup", "catchup.window", &spec.CatchUp.Window},
		{"jitter", "jitter", &spec.Jitter},
	}
	for _, d := range durations {
		if *d.dst, err = durationFlag(c.String(d.flag), d.field); err != nil {
			return spec, err
		}
	}
	if c.IsSet("completions") {
		spec.Completions = c.Int("completions")
		if spec.Completions == 0 {
			return spec, job.Fieldf("completions", "0 would leave it unset (no limit); give at least 1")
		}
	}
	if err := expectFromFlags(c, &spec); err != nil {
		return spec, err
	}
	spec.Retry.Retries = c.Int("retries")
	if s := c.String("backoff"); s != "" {
		initial, maxS, hasMax := strings.Cut(s, ":")
		if initial == "" || hasMax && maxS == "" {
			return spec, job.Fieldf("retry.backoff", "%q is not INITIAL[:MAX] (e.g. 10s:10m)", s)
		}
		if spec.Retry.Backoff, err = durationFlag(initial, "retry.backoff"); err != nil {
			return spec, err
		}
		if hasMax {
			if spec.Retry.BackoffMax, err = durationFlag(maxS, "retry.backoff_max"); err != nil {
				return spec, err
			}
		}
	}
	if s := c.String("retry-on-exit"); s != "" {
		for _, part := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(part))
			if err != nil {
				return spec, job.Fieldf("retry.on_exit", "%q is not a list of exit codes", s)
			}
			spec.Retry.OnExit = append(spec.Retry.OnExit, n)
		}
	}
	spec.Overlap = job.Overlap(c.String("overlap"))
	spec.ConcurrencyKey = c.String("concurrency-key")
	spec.CatchUp.Policy = c.String("catchup-policy")
	if spec.Params, err = keyValues("param", c.StringSlice("param")); err != nil {
		return spec, err
	}
	if spec.Env, err = keyValues("env", c.StringSlice("env")); err != nil {
		return spec, err
	}
	if spec.Labels, err = keyValues("label", c.StringSlice("label")); err != nil {
		return spec, err
	}
	spec.Task, err = taskFromFlags(c, argv)
	return spec, err
}

// durationFlag reads a flag's duration for field; "" is not given. Zero is
// refused here because a definition cannot tell it from a field not set,
// so the flag would silently do nothing; any other value, negative ones
// too, is the validator's to judge.
func durationFlag(s, field string) (job.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := job.ParseDuration(s)
	if err != nil {
		return 0, job.Fieldf(field, "%v", err)
	}
	if d == 0 {
		return 0, job.Fieldf(field, "%s would leave it unset; give a positive duration", s)
	}
	return job.Duration(d), nil
}

// taskFromFlags picks the task kind from the flags given. A task without
// any is left empty for the validator to report.
func taskFromFlags(c *cli.Context, argv []string) (job.Task, error) {
	kinds := 0
	for _, set := range []bool{len(argv) > 0, c.String("script") != "", c.String("http-url") != "", c.String("handler") != ""} {
		if set {
			kinds++
		}
	}
	if kinds > 1 {
		return job.Task{}, job.Fieldf("task", "give one of -- ARGV, --script, --http-url or --handler")
	}
	switch {
	case len(argv) > 0:
		return job.Task{Kind: job.TaskCommand, Command: argv}, nil
	case c.String("script") != "":
		path := c.String("script")
		st, err := os.Stat(path)
		if err != nil {
			return job.Task{}, job.Fieldf("task.script", "%v", err)
		}
		if st.IsDir() {
			return job.Task{}, job.Fieldf("task.script", "%s is a directory", path)
		}
		// Uploaded after preValidate, which checks its size.
		ref := &job.ScriptRef{Name: filepath.Base(path), Size: st.Size()}
		return job.Task{Kind: job.TaskScript, Interpreter: c.String("interpreter"), Script: ref}, nil
	case c.String("http-url") != "":
		req := &job.HTTPRequest{URL: c.String("http-url"), Method: strings.ToUpper(c.String("http-method"))}
		for _, h := range c.StringSlice("http-header") {
			k, v, ok := strings.Cut(h, ":")
			if !ok || strings.TrimSpace(k) == "" {
				return job.Task{}, job.Fieldf("task.http.headers", "%q is not K:V", h)
			}
			if req.Headers == nil {
				req.Headers = map[string]string{}
			}
			req.Headers[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
		if body := c.String("http-body"); strings.HasPrefix(body, "@") {
			data, err := os.ReadFile(body[1:])
			if err != nil {
				return job.Task{}, job.Fieldf("task.http.body", "%v", err)
			}
			req.Body = string(data)
		} else {
			req.Body = body
		}
		var err error
		if req.Timeout, err = durationFlag(c.String("http-timeout"), "task.http.timeout"); err != nil {
			return job.Task{}, err
		}
		return job.Task{Kind: job.TaskHTTP, HTTP: req}, nil
	case c.String("handler") != "":
		return job.Task{Kind: job.TaskGo, Handler: c.String("handler")}, nil
	}
	if c.String("interpreter") != "" {
		return job.Task{}, job.Fieldf("task.script", "--interpreter needs --script FILE")
	}
	return job.Task{}, nil
}

// timeLayouts are the accepted forms of a time without an offset.
var timeLayouts = []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"}

// parseTime reads RFC 3339, or a local time form in loc.
func parseTime(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time (use RFC 3339 like 2026-12-24T18:00:00+01:00, or 2026-12-24 18:00)", s)
}

func loadZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return time.Local, nil
	}
	loc, err := schedule.LoadLocation(name)
	if err != nil {
		return nil, usageErr("--tz: %v", err)
	}
	return loc, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
