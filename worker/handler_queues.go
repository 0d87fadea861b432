package worker

import (
	"slices"

	"github.com/jetcron/jetcron/pkg/job"
)

// Jobs of Go handlers route by queue: a job whose task is a Go handler runs
// on the handler's queue, "go-<handler>" (job.GoQueue, the default
// job.Spec.WithDefaults gives it), and a worker pulls the queue of every
// handler it has. So the program that embeds a worker with its handlers
// gets their jobs, and a generic worker (jetcron dev, jetcron worker) that
// pulls "default" never takes a job it cannot run.

// wantedQueues returns Config.Queues and the queues of the handlers, sorted.
func (w *Worker) wantedQueues() []string {
	qs := slices.Clone(w.cfg.Queues)
	for _, name := range w.handlerNames() {
		qs = append(qs, job.GoQueue(name))
	}
	slices.Sort(qs)
	return slices.Compact(qs)
}

// Queues returns the queues the worker pulls, or will pull once started.
func (w *Worker) Queues() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.started {
		return w.wantedQueues()
	}
	qs := make([]string, 0, len(w.pulling))
	for q := range w.pulling {
		qs = append(qs, q)
	}
	slices.Sort(qs)
	return qs
}

// pullHandlerQueue starts pulling the queue of handler name if the worker
// runs and does not pull it yet.
func (w *Worker) pullHandlerQueue(name string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.started || w.stopping {
		return // Start pulls it
	}
	w.pullQueueLocked(job.GoQueue(name))
}

// pullQueueLocked starts pulling queue once; w.mu is held.
func (w *Worker) pullQueueLocked(queue string) {
	if w.pulling[queue] || w.startPull == nil {
		return
	}
	w.pulling[queue] = true
	w.startPull(queue)
}
