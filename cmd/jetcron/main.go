// Command jetcron is a distributed cron and delayed-job system on NATS
// JetStream: `jetcron dev` runs everything in one process; `jetcron
// scheduler`, `jetcron worker` and `jetcron web` are the production roles;
// the rest is the command line client. See `jetcron --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // every IANA zone, even in a minimal image

	"github.com/jetcron/jetcron/cmd/jetcron/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, cli.Deps{Stdout: os.Stdout, Stderr: os.Stderr, Stdin: os.Stdin}, os.Args)
	stop()
	os.Exit(code)
}
