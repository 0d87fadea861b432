package worker

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/jetcron/jetcron/pkg/job"
)

func (w *Worker) presenceRecord() job.WorkerInfo {
	host, _ := os.Hostname()
	p := job.WorkerInfo{
		ID: w.cfg.ID, Host: host, PID: os.Getpid(), Queues: w.Queues(), Handlers: w.handlerNames(), Kinds: w.cfg.AllowKinds,
		Slots: w.cfg.Concurrency, StartedAt: w.startAt.UTC(), HeartbeatAt: w.cfg.Clock.Now().UTC(),
		Running: []job.RunningEntry{},
	}
	w.running.Range(func(_, v any) bool {
		x := v.(*execution)
		p.Running = append(p.Running, job.RunningEntry{ID: x.work.ID, Job: x.work.Job, Attempt: x.attempt, StartedAt: x.startedAt.UTC()})
		return true
	})
	slices.SortFunc(p.Running, func(a, b job.RunningEntry) int { return strings.Compare(a.ID, b.ID) })
	p.Busy = len(p.Running)
	return p
}

// presence keeps the worker's record fresh until ctx ends.
func (w *Worker) presence(ctx context.Context) {
	kv, err := w.js.KeyValue(ctx, w.names.WorkersBucket())
	if err != nil {
		w.log.WarnContext(ctx, "workers bucket unavailable; presence not published", "error", err)
		return
	}
	every := w.cfg.Topology.WorkerTTL / 3
	var lastErr string // the error last logged at warn level
	for {
		data, _ := json.Marshal(w.presenceRecord())
		pctx, cancel := context.WithTimeout(ctx, every)
		if _, err := kv.Put(pctx, w.cfg.ID, data); err != nil && ctx.Err() == nil {
			// Once per distinct error: an outage fails every update alike.
			level := slog.LevelWarn
			if err.Error() == lastErr {
				level = slog.LevelDebug
			}
			lastErr = err.Error()
			w.log.Log(ctx, level, "presence update failed", "error", err)
		} else if err == nil {
			lastErr = ""
		}
		cancel()
		t := w.cfg.Clock.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
	}
}

func (w *Worker) removePresence() {
	if !w.nc.IsConnected() {
		return // the record expires with its TTL; do not wait on a request
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	kv, err := w.js.KeyValue(ctx, w.names.WorkersBucket())
	if err != nil {
		return
	}
	_ = kv.Delete(ctx, w.cfg.ID)
}
