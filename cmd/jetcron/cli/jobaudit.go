package cli

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
)

func jobAuditCommand() *cli.Command {
	return &cli.Command{
		Name:      "audit",
		Usage:     "list every slot the job's schedule expected in a window, with its outcome",
		ArgsUsage: "NAME",
		Description: "Each row is one slot: FIRED says whether it happened and when (on_time, late, caught_up,\n" +
			"delayed, skipped, missed, paused, pruned, due, unaccounted), RESULT how its run ended, REV the\n" +
			"definition revision in force. See docs/monitoring.md.",
		Flags: []cli.Flag{
			outputFlag,
			&cli.StringFlag{Name: "since", Value: "7d", Usage: "start of the window: a duration ago (7d, 12h) or a time (RFC 3339, or YYYY-MM-DD HH:MM[:SS] in --tz)"},
			&cli.StringFlag{Name: "until", Usage: "end of the window, like --since (default now)"},
			&cli.StringFlag{Name: "grace", Usage: "how late a run may start and be on time; a slot without any event after it is unaccounted (default: the job's --expect-start-within, else 1m)"},
			&cli.StringFlag{Name: "tz", Value: "Local", Usage: "time zone of --since and --until without an offset"},
		},
		Action: showAction(jobAuditArgs, auditJob, printAudit),
	}
}

// jobAuditArgs checks job audit's argument and flags.
func jobAuditArgs(c *cli.Context) (api.AuditRequest, error) {
	name, err := oneName(c)
	if err != nil {
		return api.AuditRequest{}, err
	}
	loc, err := loadZone(c.String("tz"))
	if err != nil {
		return api.AuditRequest{}, err
	}
	now := time.Now()
	req := api.AuditRequest{Name: name}
	if req.Since, err = whenFlag(c, "since", loc, now); err != nil {
		return api.AuditRequest{}, err
	}
	if req.Until, err = whenFlag(c, "until", loc, now); err != nil {
		return api.AuditRequest{}, err
	}
	if !req.Until.IsZero() && req.Since.After(req.Until) {
		return api.AuditRequest{}, usageErr("--since: %s is after --until %s", req.Since.Format(time.RFC3339), req.Until.Format(time.RFC3339))
	}
	if c.String("grace") == "" {
		return req, nil // the job's expectation
	}
	grace, err := job.ParseDuration(c.String("grace"))
	if err != nil || grace < 0 {
		return api.AuditRequest{}, usageErr("--grace: %q is not a duration like 30s or 5m", c.String("grace"))
	}
	req.Grace = job.Duration(grace)
	return req, nil
}

// whenFlag reads a window bound: a duration ago, or a time; zero when the
// flag is empty.
func whenFlag(c *cli.Context, flag string, loc *time.Location, now time.Time) (time.Time, error) {
	s := strings.TrimSpace(c.String(flag))
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := job.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, usageErr("--%s: %q is negative (give how long ago, like 7d)", flag, s)
		}
		return now.Add(-d), nil
	}
	t, err := parseTime(s, loc)
	if err != nil {
		return time.Time{}, usageErr("--%s: %q is neither a duration like 7d or 12h nor a time (RFC 3339, or YYYY-MM-DD HH:MM[:SS])", flag, s)
	}
	if t.After(now) && flag == "since" {
		return time.Time{}, usageErr("--since: %s is in the future", t.Format(time.RFC3339))
	}
	return t, nil
}

func auditJob(c *cli.Context, cl *client.Client, req api.AuditRequest) (api.AuditResponse, error) {
	return cl.AuditJob(c.Context, req)
}

func printAudit(c *cli.Context, l api.AuditResponse) error {
	w := c.App.Writer
	t := newTable(w, "SLOT", "EXECUTION", "REV", "FIRED", "RESULT", "LATENESS", "NOTE")
	for _, r := range l.Rows {
		late := "-"
		if d, ok := r.Lateness(); ok {
			late = fmtDuration(d)
		}
		rev := "-"
		if r.Revision > 0 {
			rev = fmt.Sprint(r.Revision)
		}
		note := r.Reason
		if r.Unexpected {
			note = strings.TrimSpace("not a slot of a kept definition; " + note)
		}
		if b := r.Backfill; b != nil {
			note = strings.TrimSpace("backfilled: " + string(b.Result) + "; " + note)
		}
		slot := r.Slot
		t.row(fmtTime(&slot), r.ExecutionID, rev, string(r.Fired), orDash(string(r.Result)), late, orDash(truncate(note, 60)))
	}
	t.flush()
	fmt.Fprintf(w, "\n%d slots from %s to %s (grace %s): %s\n", l.Slots, fmtTime(&l.Since), fmtTime(&l.Until), l.Grace, counts(l.Fired))
	if len(l.Results) > 0 {
		fmt.Fprintf(w, "results: %s\n", counts(l.Results))
	}
	for _, n := range l.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	return nil
}

// counts writes "3 on_time, 1 paused" in a stable order.
func counts[K ~string](m map[K]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", m[k], k)
	}
	return strings.Join(parts, ", ")
}
