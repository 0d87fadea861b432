package cli

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/job"
)

func queueCommand() *cli.Command {
	return &cli.Command{
		Name:    "queue",
		Aliases: []string{"queues"},
		Usage:   "show the queues live workers pull, and the task kinds each allows",
		Subcommands: []*cli.Command{
			{Name: "list", Aliases: []string{"ls"}, Usage: "list the queues of live workers and the queues' caps", Flags: []cli.Flag{outputFlag}, Action: showAction(anyArgs, listQueues, printQueues)},
			queueSetCommand(),
		},
	}
}

// Queue is one queue as its live workers describe it.
type Queue struct {
	Name    string   `json:"name"`
	Workers []string `json:"workers"`
	Slots   int      `json:"slots"`
	Busy    int      `json:"busy"`
	// Kinds are the task kinds at least one of its live workers runs; the
	// API refuses a job of any other kind on this queue.
	Kinds []job.TaskKind `json:"kinds"`
	// MaxRunning caps the queue's executions across all workers (queue
	// set); 0 is no cap.
	MaxRunning int `json:"max_running,omitempty"`
}

// queuesOf groups live workers by the queues they pull.
func queuesOf(workers []job.WorkerInfo) []Queue {
	byName := map[string]*Queue{}
	for _, w := range workers {
		kinds := w.Kinds
		if len(kinds) == 0 {
			kinds = job.TaskKinds
		}
		for _, name := range w.Queues {
			q := byName[name]
			if q == nil {
				q = &Queue{Name: name}
				byName[name] = q
			}
			q.Workers = append(q.Workers, w.ID)
			q.Slots += w.Slots
			q.Busy += w.Busy
			q.Kinds = append(q.Kinds, kinds...)
		}
	}
	out := make([]Queue, 0, len(byName))
	for _, q := range byName {
		slices.Sort(q.Workers)
		slices.Sort(q.Kinds)
		q.Kinds = slices.Compact(q.Kinds)
		out = append(out, *q)
	}
	slices.SortFunc(out, func(a, b Queue) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func listQueues(c *cli.Context, cl *client.Client, _ struct{}) ([]Queue, error) {
	workers, err := cl.Workers(c.Context)
	if err != nil {
		return nil, err
	}
	settings, err := cl.QueueSettings(c.Context)
	if err != nil {
		// An older scheduler has no queue settings: list the queues anyway.
		_, _ = fmt.Fprintf(c.App.ErrWriter, "jetcron: queue caps not shown: %v\n", err)
	}
	return withSettings(queuesOf(workers), settings), nil
}

func printQueues(c *cli.Context, qs []Queue) error {
	t := newTable(c.App.Writer, "QUEUE", "WORKERS", "SLOTS", "BUSY", "MAX RUNNING", "KINDS")
	for _, q := range qs {
		kinds := make([]string, len(q.Kinds))
		for i, k := range q.Kinds {
			kinds[i] = string(k)
		}
		t.row(q.Name, strconv.Itoa(len(q.Workers)), strconv.Itoa(q.Slots), strconv.Itoa(q.Busy), maxRunningText(q.MaxRunning), orDash(strings.Join(kinds, ",")))
	}
	t.flush()
	if len(qs) == 0 {
		_, _ = c.App.ErrWriter.Write([]byte("no live worker\n"))
	}
	return nil
}
