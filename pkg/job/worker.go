package job

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// WorkerInfo is a worker's record in the workers bucket, refreshed every
// third of the bucket's TTL; it disappears by itself when the worker dies.
type WorkerInfo struct {
	ID       string   `json:"id"`
	Host     string   `json:"host"`
	PID      int      `json:"pid"`
	Queues   []string `json:"queues"`
	Handlers []string `json:"handlers,omitempty"`
	// Kinds are the task kinds the worker runs; empty (a worker older
	// than the field) means every kind.
	Kinds       []TaskKind     `json:"kinds,omitempty"`
	Slots       int            `json:"slots"`
	Busy        int            `json:"busy"`
	Running     []RunningEntry `json:"running"`
	StartedAt   time.Time      `json:"started_at"`
	HeartbeatAt time.Time      `json:"heartbeat_at"`
}

// RunningEntry is one execution a worker runs.
type RunningEntry struct {
	ID        string    `json:"id"`
	Job       string    `json:"job"`
	Attempt   int       `json:"attempt"`
	StartedAt time.Time `json:"started_at"`
}

// Runs reports whether the worker lists execution id as running.
func (w *WorkerInfo) Runs(id string) bool {
	for _, r := range w.Running {
		if r.ID == id {
			return true
		}
	}
	return false
}

// Allows reports whether the worker runs tasks of kind k.
func (w *WorkerInfo) Allows(k TaskKind) bool {
	return len(w.Kinds) == 0 || slices.Contains(w.Kinds, k)
}

// ParseTaskKinds reads a list of task kinds, each element possibly a
// comma-separated list ("http,go"). The result is sorted, without
// duplicates; an empty list is an error.
func ParseTaskKinds(vals []string) ([]TaskKind, error) {
	var out []TaskKind
	for _, v := range vals {
		for _, k := range strings.Split(v, ",") {
			k = strings.TrimSpace(k)
			if k == "" {
				continue
			}
			if !slices.Contains(TaskKinds, TaskKind(k)) {
				return nil, fmt.Errorf("%q is not a task kind (want %s)", k, kindList(TaskKinds))
			}
			out = append(out, TaskKind(k))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no task kind given (want %s)", kindList(TaskKinds))
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func kindList(ks []TaskKind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}
