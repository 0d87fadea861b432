package cli

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/job"
)

func queueSetCommand() *cli.Command {
	return &cli.Command{
		Name:      "set",
		Usage:     "change a queue's settings: --max-running N caps its executions across all workers (0: no cap)",
		ArgsUsage: "QUEUE",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "max-running", Required: true, Usage: "at most `N` executions of the queue waiting for a worker or running at once, across all workers; the others wait, recorded delayed (0 removes the cap)"},
		},
		Action: doAction(queueSetArgs, setQueue),
	}
}

func queueSetArgs(c *cli.Context) (job.QueueSettings, error) {
	name, err := oneName(c)
	if err != nil {
		return job.QueueSettings{}, err
	}
	qs := job.QueueSettings{Queue: name, MaxRunning: c.Int("max-running")}
	if err := qs.Validate(); err != nil {
		var fe *job.FieldError
		if errors.As(err, &fe) && fe.Field == "max_running" {
			return qs, usageErr("queue set: --max-running (max_running): %s", fe.Msg)
		}
		return qs, usageErr("queue set: %v", err)
	}
	return qs, nil
}

func setQueue(c *cli.Context, cl *client.Client, qs job.QueueSettings) error {
	got, err := cl.SetQueue(c.Context, qs)
	if err != nil {
		return err
	}
	if got.MaxRunning == 0 {
		_, err = fmt.Fprintf(c.App.Writer, "queue %s: no cap\n", got.Queue)
		return err
	}
	_, err = fmt.Fprintf(c.App.Writer, "queue %s: at most %d running\n", got.Queue, got.MaxRunning)
	return err
}

// withSettings adds the queues' settings to the queues of live workers,
// and lists the queues that have settings but no live worker.
func withSettings(qs []Queue, settings []job.QueueSettings) []Queue {
	for _, s := range settings {
		i := slices.IndexFunc(qs, func(q Queue) bool { return q.Name == s.Queue })
		if i < 0 {
			qs = append(qs, Queue{Name: s.Queue, Workers: []string{}, Kinds: []job.TaskKind{}})
			i = len(qs) - 1
		}
		qs[i].MaxRunning = s.MaxRunning
	}
	slices.SortFunc(qs, func(a, b Queue) int { return strings.Compare(a.Name, b.Name) })
	return qs
}

func maxRunningText(n int) string {
	if n == 0 {
		return "-"
	}
	return strconv.Itoa(n)
}
