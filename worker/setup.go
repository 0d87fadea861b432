package worker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jetcron/jetcron/pkg/objstore"
	"github.com/jetcron/jetcron/pkg/topology"
)

// A worker may start before NATS or before the first scheduler, and may see
// the resources vanish and come back (NATS restarted from an empty store).
// It never exits for that: setup waits for the resources before anything
// uses them, and each pull loop looks its consumer up again when it is gone
// (pull.go). Meanwhile Ready says what the worker waits for.

// setup waits for the topology, then opens the buckets and stores; it
// returns false if ctx ended first.
func (w *Worker) setup(ctx context.Context) bool {
	wait := 250 * time.Millisecond
	for {
		// WaitReady reports nil once the topology is there; the worker is
		// ready only once its stores are open too (below).
		report := func(err error) {
			if err == nil {
				err = errors.New("opening the buckets and stores")
			}
			w.setWaiting(err)
		}
		err := topology.WaitReady(ctx, w.js, w.names, topology.WaitOptions{Logger: w.log, Report: report})
		if err != nil {
			return false
		}
		if err = w.open(ctx); err == nil {
			w.setWaiting(nil)
			w.log.InfoContext(ctx, "worker started", "queues", w.wantedQueues(), "concurrency", w.cfg.Concurrency, "work_dir", w.cfg.WorkDir)
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		// The streams exist but a store does not yet: Ensure makes
		// them after the streams.
		w.setWaiting(err)
		w.log.WarnContext(ctx, "waiting for the jetcron stores", "reason", err.Error(), "retry_in", wait)
		sleep(ctx, wait)
		wait = min(2*wait, 4*time.Second)
	}
}

// open opens the claims bucket, the scripts store and the log store if
// none is configured.
func (w *Worker) open(ctx context.Context) error {
	octx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var err error
	if w.claims == nil {
		if w.claims, err = w.js.KeyValue(octx, w.names.ClaimsBucket()); err != nil {
			return fmt.Errorf("claims bucket: %w", err)
		}
	}
	if w.checkpoints == nil {
		if w.checkpoints, err = w.js.KeyValue(octx, w.names.CheckpointsBucket()); err != nil {
			return fmt.Errorf("checkpoints bucket: %w", err)
		}
	}
	if err := w.openWrites(octx); err != nil {
		return err
	}
	// The stores are set only once opened: a failed open would otherwise
	// leave a nil *objstore.NATS in a non-nil interface, which the next
	// try skips and the first run dereferences.
	if w.scripts == nil {
		st, err := objstore.OpenNATS(octx, w.js, w.names.ScriptsStore())
		if err != nil {
			return err
		}
		w.scripts = st
	}
	if w.cfg.Logs == nil {
		st, err := objstore.OpenNATS(octx, w.js, w.names.LogsStore())
		if err != nil {
			return err
		}
		w.cfg.Logs = st
	}
	return nil
}

// setWaiting records why setup waits (nil: it does not).
func (w *Worker) setWaiting(err error) { w.setQueueWaiting("", err) }

// setQueueWaiting records why the pull loop of queue waits (nil: it
// pulls); "" is setup.
func (w *Worker) setQueueWaiting(queue string, err error) {
	if err == nil {
		w.waiting.Delete(queue)
		return
	}
	w.waiting.Store(queue, err)
}

// waitingFor returns why the worker cannot run executions of some queue,
// or nil.
func (w *Worker) waitingFor() error {
	var keys []string
	w.waiting.Range(func(k, _ any) bool {
		keys = append(keys, k.(string))
		return true
	})
	if len(keys) == 0 {
		return nil
	}
	slices.Sort(keys)
	v, ok := w.waiting.Load(keys[0])
	if !ok {
		return nil
	}
	err := v.(error)
	if keys[0] == "" {
		return fmt.Errorf("waiting: %w", err)
	}
	return fmt.Errorf("queue %s: %w", keys[0], err)
}
