package cli

import (
	"github.com/urfave/cli/v2"

	"github.com/jetcron/jetcron/pkg/job"
)

// expectFlags are job create's expectations (job.Expect): what the
// scheduler replicas watch each job against to set its health.
func expectFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "expect-start-within", Usage: "grace after a slot before it counts late, or unaccounted (default 1m)"},
		&cli.StringFlag{Name: "max-runtime", Usage: "a run lasting longer makes the job overrunning (an alert; --timeout stops a run)"},
		&cli.StringFlag{Name: "min-runtime", Usage: "a successful run ending sooner makes the job too_short"},
		&cli.IntFlag{Name: "alert-after-failures", Usage: "consecutive failed executions that make the job failing", DefaultText: "1"},
	}
}

// expectFromFlags reads the expectations into spec.
func expectFromFlags(c *cli.Context, spec *job.Spec) error {
	for _, d := range []struct {
		flag, field string
		dst         *job.Duration
	}{
		{"expect-start-within", "expect.start_within", &spec.Expect.StartWithin},
		{"max-runtime", "expect.max_runtime", &spec.Expect.MaxRuntime},
		{"min-runtime", "expect.min_runtime", &spec.Expect.MinRuntime},
	} {
		v, err := durationFlag(c.String(d.flag), d.field)
		if err != nil {
			return err
		}
		*d.dst = v
	}
	if c.IsSet("alert-after-failures") {
		n := c.Int("alert-after-failures")
		if n < 1 {
			return job.Fieldf("expect.alert_after_failures", "%d: give at least 1", n)
		}
		spec.Expect.AlertAfterFailures = n
	}
	return nil
}
