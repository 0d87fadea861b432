package cli

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/alert"
	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/notify"
	"github.com/jetcron/jetcron/pkg/topology"
)

func notifyCommand() *cli.Command {
	return &cli.Command{
		Name:  "notify",
		Usage: "define where alerts go: webhooks, Slack, NATS subjects",
		Subcommands: []*cli.Command{
			{
				Name: "create", Usage: "create a notification sink", ArgsUsage: "NAME",
				Description: "A sink receives the alerts of the jobs it matches (--match, every label) and of the healths it\n" +
					"   takes (--health; the recovery to ok from one of them too). Without --match and --health it takes every alert.",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "webhook", Usage: "http(s) URL the alert is POSTed to as JSON"},
					&cli.BoolFlag{Name: "slack", Usage: "POST a Slack-compatible payload ({\"text\": ...}) to --webhook"},
					&cli.StringFlag{Name: "subject", Usage: "NATS subject the alert's JSON is published on (instead of --webhook)"},
					&cli.StringSliceFlag{Name: "match", Aliases: []string{"l"}, Usage: "only jobs with label K=V (repeatable)"},
					&cli.StringSliceFlag{Name: "health", Usage: "only these healths, comma-separated: " + strings.Join(healthNames(), ", ")},
					&cli.StringFlag{Name: "realert", Usage: "repeat while a job stays in a bad health, this often (e.g. 1h; at least 1m)"},
					&cli.IntFlag{Name: "limit", Usage: fmt.Sprintf("notifications a minute, at most (each scheduler replica; default %d, up to %d); the alerts beyond it go as one summary at the minute's end", notify.DefaultLimit, notify.MaxLimit)},
					&cli.StringFlag{Name: "description", Usage: "free text for people"},
					&cli.BoolFlag{Name: "update", Usage: "replace the sink if it exists"},
					&cli.BoolFlag{Name: "dry-run", Usage: "validate and show what would change, without changing anything"},
				},
				Action: doAction(notifyCreateArgs, createNotify),
			},
			{
				Name: "list", Aliases: []string{"ls"}, Usage: "list notification sinks",
				Flags:  []cli.Flag{outputFlag},
				Action: showAction(anyArgs, listNotify, printNotifyList),
			},
			{
				Name: "get", Usage: "show a sink and its last deliveries", ArgsUsage: "NAME",
				Flags:  []cli.Flag{outputFlag},
				Action: showAction(oneName, getNotify, printNotify),
			},
			{
				Name: "delete", Aliases: []string{"rm"}, Usage: "delete a sink", ArgsUsage: "NAME",
				Action: doAction(oneName, deleteNotify),
			},
			{
				Name: "test", Usage: "send a test alert to a sink, once; exits non-zero if it was not delivered", ArgsUsage: "NAME",
				Action: doAction(oneName, testNotify),
			},
		},
	}
}

func healthNames() []string {
	var out []string
	for _, h := range []alert.Health{alert.OK, alert.Late, alert.Failing, alert.Overrunning, alert.TooShort, alert.Paused, alert.Unaccounted} {
		out = append(out, string(h))
	}
	return out
}

// notifyFlagOf maps a sink's fields to the flags of `notify create`.
var notifyFlagOf = map[string]string{
	"name": "NAME", "webhook": "--webhook", "slack": "--slack", "subject": "--subject", "match": "--match",
	"health": "--health", "realert": "--realert", "description": "--description", "limit": "--limit",
}

// sinkErr names a refused definition's fields by their flags (terms) and
// says "invalid sink".
func sinkErr(err error, terms func(field, msg string) string) error {
	var ae *api.Error
	var fe *job.FieldError
	var fes job.FieldErrors
	var parts []string
	switch {
	case errors.As(err, &ae) && len(ae.Fields) > 0:
		for _, f := range ae.Fields {
			parts = append(parts, terms(f.Field, f.Message))
		}
	case errors.As(err, &fes):
		for _, f := range fes {
			parts = append(parts, terms(f.Field, f.Msg))
		}
	case errors.As(err, &fe):
		parts = append(parts, terms(fe.Field, fe.Msg))
	default:
		return err
	}
	sort.Strings(parts)
	return &exitError{code: exitUsage, msg: "invalid sink: " + strings.Join(parts, "; ")}
}

func notifyFlagTerms(field, msg string) string {
	if flag, ok := notifyFlagOf[field]; ok {
		return fmt.Sprintf("%s (%s): %s", flag, field, msg)
	}
	return fileTerms(field, msg)
}

func notifyCreateArgs(c *cli.Context) (notify.Sink, error) {
	name, err := oneName(c)
	if err != nil {
		return notify.Sink{}, err
	}
	s := notify.Sink{Name: name, Webhook: c.String("webhook"), Slack: c.Bool("slack"), Subject: c.String("subject"), Description: c.String("description"), Limit: c.Int("limit")}
	if c.IsSet("limit") && s.Limit == 0 {
		return s, usageErr("--limit: 0 is not between 1 and %d notifications a minute (leave it out for %d)", notify.MaxLimit, notify.DefaultLimit)
	}
	if s.Match, err = keyValues("match", c.StringSlice("match")); err != nil {
		return s, err
	}
	for _, v := range c.StringSlice("health") {
		for _, h := range strings.Split(v, ",") {
			if h = strings.TrimSpace(h); h != "" {
				s.Health = append(s.Health, alert.Health(h))
			}
		}
	}
	if v := c.String("realert"); v != "" {
		d, err := job.ParseDuration(v)
		if err != nil {
			return s, usageErr("--realert: %v", err)
		}
		s.Realert = job.Duration(d)
	}
	names, err := topology.NewNames(c.String("namespace"))
	if err != nil {
		return s, usageErr("--namespace: %v", err)
	}
	// Refused here already, before connecting; the API checks again.
	if err := s.Validate(names); err != nil {
		return s, sinkErr(err, notifyFlagTerms)
	}
	return s, nil
}

func createNotify(c *cli.Context, cl *client.Client, s notify.Sink) error {
	var opts []client.CreateOption
	if c.Bool("update") {
		opts = append(opts, client.WithUpdate())
	}
	suffix := ""
	if c.Bool("dry-run") {
		opts, suffix = append(opts, client.WithDryRun()), " (dry run)"
	}
	r, err := cl.CreateNotify(c.Context, s, opts...)
	if err != nil {
		return sinkErr(err, notifyFlagTerms)
	}
	changes := ""
	if len(r.Changes) > 0 {
		changes = " (" + strings.Join(r.Changes, ", ") + ")"
	}
	fmt.Fprintf(c.App.Writer, "sink %s %s%s%s\n", s.Name, r.Result, changes, suffix)
	return nil
}

func listNotify(c *cli.Context, cl *client.Client, _ struct{}) ([]api.NotifyView, error) {
	return cl.ListNotify(c.Context)
}

func printNotifyList(c *cli.Context, vs []api.NotifyView) error {
	t := newTable(c.App.Writer, "NAME", "KIND", "TARGET", "MATCH", "HEALTH", "REALERT")
	for _, v := range vs {
		t.row(v.Name, v.Kind, v.Target(), orDash(kvText(v.Match)), orDash(healthsText(v.Health)), orDash(realertText(v.Realert)))
	}
	t.flush()
	return nil
}

func healthsText(hs []alert.Health) string {
	parts := make([]string, len(hs))
	for i, h := range hs {
		parts[i] = string(h)
	}
	return strings.Join(parts, ",")
}

func realertText(d job.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

func getNotify(c *cli.Context, cl *client.Client, name string) (api.NotifyView, error) {
	return cl.GetNotify(c.Context, name)
}

func printNotify(c *cli.Context, v api.NotifyView) error {
	w := c.App.Writer
	t := newTable(w, "FIELD", "VALUE")
	t.row("name", v.Name)
	t.row("kind", v.Kind)
	t.row("target", v.Target())
	t.row("match", orDash(kvText(v.Match)))
	t.row("health", orDash(healthsText(v.Health)))
	t.row("realert", orDash(realertText(v.Realert)))
	t.row("limit", fmt.Sprintf("%d a minute", v.PerMinute()))
	if v.Description != "" {
		t.row("description", v.Description)
	}
	t.row("updated", fmtTime(&v.UpdatedAt))
	t.flush()
	fmt.Fprintln(w)
	if len(v.Deliveries) == 0 {
		fmt.Fprintln(w, "no deliveries yet")
		return nil
	}
	fmt.Fprintln(w, "last deliveries (newest first):")
	d := newTable(w, "TIME", "JOB", "HEALTH", "ATTEMPT", "STATUS", "CODE", "TOOK", "ERROR")
	for _, x := range v.Deliveries {
		job, health := x.Job, string(x.Health)
		switch {
		case x.Summary > 0:
			job, health = fmt.Sprintf("(%d alerts)", x.Summary), "summary"
		case x.Test:
			health += " (test)"
		case x.Realert:
			health += " (repeat)"
		}
		code := "-"
		if x.Code != 0 {
			code = fmt.Sprint(x.Code)
		}
		d.row(fmtTime(&x.Time), job, health, fmt.Sprint(x.Attempt), x.Status, code, fmtDuration(x.Duration), orDash(x.Error))
	}
	d.flush()
	return nil
}

func deleteNotify(c *cli.Context, cl *client.Client, name string) error {
	if err := cl.DeleteNotify(c.Context, name); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "sink %s deleted\n", name)
	return nil
}

func testNotify(c *cli.Context, cl *client.Client, name string) error {
	d, err := cl.TestNotify(c.Context, name)
	if err != nil {
		return err
	}
	code := ""
	if d.Code != 0 {
		code = fmt.Sprintf("%d, ", d.Code)
	}
	if d.Status != notify.StatusDelivered {
		return &exitError{code: exitFailure, msg: fmt.Sprintf("test alert not delivered to %s (%s%s): %s", name, code, fmtDuration(d.Duration), d.Error)}
	}
	fmt.Fprintf(c.App.Writer, "test alert delivered to %s (%sin %s)\n", name, code, fmtDuration(d.Duration))
	return nil
}
