package cli

import (
	"github.com/urfave/cli/v2"

	"github.com/jetcron/jetcron/client"
)

// The commands that call the API share one shape: check the arguments and
// flags, open the client, make one call, print what it answered. showAction
// and doAction are that shape; each command supplies its own steps.
//
// The order of the checks is part of the interface: a usage error is reported
// before the client connects, so a bad argument is named even when NATS is
// down.

// showAction returns the action of a command that prints what the API
// returns, as indented JSON with -o json or else with table. It checks the
// arguments (args), then -o, then opens the client, calls get and prints.
func showAction[A, T any](
	args func(c *cli.Context) (A, error),
	get func(c *cli.Context, cl *client.Client, a A) (T, error),
	table func(c *cli.Context, v T) error,
) cli.ActionFunc {
	return func(c *cli.Context) error {
		a, err := args(c)
		if err != nil {
			return err
		}
		asJSON, err := wantJSON(c)
		if err != nil {
			return err
		}
		cl, err := newClient(c)
		if err != nil {
			return err
		}
		v, err := get(c, cl, a)
		if err != nil {
			return err
		}
		if asJSON {
			return printJSON(c.App.Writer, v)
		}
		return table(c, v)
	}
}

// doAction returns the action of a command that asks the API to do
// something: it checks the arguments (args), opens the client and calls do,
// which prints what happened.
func doAction[A any](
	args func(c *cli.Context) (A, error),
	do func(c *cli.Context, cl *client.Client, a A) error,
) cli.ActionFunc {
	return func(c *cli.Context) error {
		a, err := args(c)
		if err != nil {
			return err
		}
		cl, err := newClient(c)
		if err != nil {
			return err
		}
		return do(c, cl, a)
	}
}

// anyArgs is the args step of a command that ignores its arguments.
func anyArgs(*cli.Context) (struct{}, error) { return struct{}{}, nil }
