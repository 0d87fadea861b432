package job

import "time"

// WorkerInfo is a worker's record in the workers bucket, refreshed every
// third of the bucket's TTL; it disappears by itself when the worker dies.
type WorkerInfo struct {
	ID          string         `json:"id"`
	Host        string         `json:"host"`
	PID         int            `json:"pid"`
	Queues      []string       `json:"queues"`
	Handlers    []string       `json:"handlers,omitempty"`
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
