package worker

import (
	"context"
	"fmt"

	"github.com/jetcron/jetcron/pkg/claim"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/natsconn"
	"github.com/jetcron/jetcron/pkg/streamio"
)

// GroupCommit says when a worker group-commits its events and claim
// writes: the writes of concurrent executions to one stream go as one
// atomic batch (streamio.Committer), one commit and one fsync instead of
// one per write, each execution still waiting for its own answer and its
// own revision check.
type GroupCommit string

// Group commit modes.
const (
	// GroupCommitAuto (the default, ""): on when the events stream has a
	// single replica. There the server fsyncs every write on its own
	// (sync_interval: always), and batching is what lets a busy worker
	// keep up; a replicated stream already batches its writes in its
	// Raft log, and measured no gain (docs/benchmarks.md, "Group commit").
	GroupCommitAuto GroupCommit = ""
	// GroupCommitOn batches whatever the replicas.
	GroupCommitOn GroupCommit = "on"
	// GroupCommitOff writes each event and claim on its own: for a
	// single-replica server that does not fsync every write (`jetcron dev
	// --no-sync`), where the server's staging of each batch costs more
	// than it saves.
	GroupCommitOff GroupCommit = "off"
	// GroupCommitAll sends every write through the batch queue, however
	// few wait. For tests: it puts the batch path under the faults of runs
	// with few executions at a time.
	GroupCommitAll GroupCommit = "all"
)

// ParseGroupCommit reads a mode as the CLI takes it: auto, on, off (or all).
func ParseGroupCommit(s string) (GroupCommit, error) {
	switch s {
	case "auto", "":
		return GroupCommitAuto, nil
	case string(GroupCommitOn), string(GroupCommitOff), string(GroupCommitAll):
		return GroupCommit(s), nil
	}
	return "", fmt.Errorf("%q is none of auto, on, off", s)
}

// groupCommit is how the worker batches where the server fsyncs every
// write: a write goes on its own while fewer than 4 writes to its stream
// wait (the stream keeps up), else what queued goes as one atomic batch
// once there are 16 of them (fewer go one by one, all in flight). A
// single-replica server stages each atomic batch in a file store of its
// own, created, fsynced and removed per batch: with 64 executions at once
// and an fsync per write, 4 and 16 measured 1.1–1.4x the rate of 8 and 32,
// and without the fsync per write both cost (docs/benchmarks.md, "Group
// commit"), which is why a server that does not fsync every write wants
// group commit off.
var groupCommit = streamio.CommitterConfig{Direct: 4, MinAtomic: 16}

// startCommitters makes the worker's committers, unless group commit is
// off; open decides whether the writes go through them.
func (w *Worker) startCommitters() {
	if w.cfg.GroupCommit == GroupCommitOff {
		return
	}
	cfg := groupCommit
	if w.cfg.GroupCommit == GroupCommitAll {
		cfg = streamio.CommitterConfig{Direct: -1}
	}
	w.commitEvents = streamio.NewCommitter(w.nc, w.js, cfg)
	w.commitClaims = streamio.NewCommitter(w.nc, w.js, cfg)
}

// stopCommitters publishes what the committers hold and stops them, once
// no execution runs any more.
func (w *Worker) stopCommitters(ctx context.Context) {
	if w.commitEvents == nil {
		return
	}
	_ = w.commitEvents.Stop(context.WithoutCancel(ctx))
	_ = w.commitClaims.Stop(context.WithoutCancel(ctx))
}

// openWrites sets where events and claim writes go: through the
// committers when group commit applies (GroupCommitAuto asks the events
// stream's replicas), else straight to the streams.
func (w *Worker) openWrites(ctx context.Context) error {
	w.events = event.NewPublisher(w.js, w.names)
	w.claimWrites = w.claims
	grouped := w.commitEvents != nil
	if grouped && w.cfg.GroupCommit == GroupCommitAuto {
		st, err := w.js.Stream(ctx, w.names.EventsStream())
		if err != nil {
			return fmt.Errorf("events stream: %w", err)
		}
		grouped = st.CachedInfo().Config.Replicas <= 1
	}
	if grouped {
		w.events = w.events.Through(w.commitEvents)
		w.claimWrites = claim.Batched(w.claims, w.commitClaims, natsconn.APIPrefix(w.cfg.Topology.JSDomain))
	}
	return nil
}
