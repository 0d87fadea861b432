// Command refresh-token refreshes a token every 12 hours, 5 times, with a
// Go handler that runs in this program: it embeds a jetcron worker and
// schedules the job with client.OnSchedule, replacing a separate CronJob
// binary. Start `jetcron dev` first, then:
//
//	go run ./examples/refresh-token
//	jetcron exec list refresh-token        # in another terminal
//	jetcron job run refresh-token          # refresh now, besides the schedule
//
// Stop it with Ctrl-C; run it again and it carries on (the job counts its
// five fires across restarts).
package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/topology"
	"github.com/jetcron/jetcron/worker"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg := config{NATS: cmp.Or(os.Getenv("JETCRON_NATS_URL"), nats.DefaultURL), Every: 12 * time.Hour, Times: 5}
	if err := run(ctx, cfg); err != nil {
		log.Fatal(err)
	}
}

// config is what a test changes: where NATS is, the namespace, how often.
type config struct {
	NATS     string
	Topology topology.Config
	Every    time.Duration
	Times    int
}

// run is the whole program: embed a worker, schedule the handler, wait.
func run(ctx context.Context, cfg config) error {
	nc, err := nats.Connect(cfg.NATS)
	if err != nil {
		return err
	}
	defer nc.Close()
	w, err := worker.New(nc, worker.Config{HandlersOnly: true, Topology: cfg.Topology})
	if err != nil {
		return err
	}
	if err := w.Start(ctx); err != nil {
		return err
	}
	defer w.Stop(context.Background())
	c, err := client.New(nc, client.WithHandlers(w), client.WithNamespace(cfg.Topology.WithDefaults().Namespace))
	if err != nil {
		return err
	}
	_, err = c.OnSchedule(ctx, job.Spec{
		Name:        "refresh-token",
		Schedule:    job.Schedule{Every: job.Duration(cfg.Every)},
		Completions: cfg.Times,
		Retry:       job.Retry{Retries: 3},
	}, worker.HandlerFunc(refreshToken))
	if err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}

// refreshToken stands for the real work (asking a registry for a new
// token and storing it); an error is retried, up to three times.
func refreshToken(ctx context.Context, run *worker.Run) error {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	fmt.Fprintf(run.Log, "refreshed token %s…; valid until %s\n", hex.EncodeToString(b)[:8], run.ScheduledAt.Add(12*time.Hour).Format(time.RFC3339))
	return nil
}
