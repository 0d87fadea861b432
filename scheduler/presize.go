package scheduler

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/scheduler/internal/plan"
)

// maxPresize bounds the room presize makes.
const maxPresize = 10_000_000

// presize makes room in the job map and the plan for the jobs bucket's
// keys, before the watch loads them (best effort: without the bucket's
// status they grow as they fill).
func (r *leaderRun) presize(ctx context.Context) {
	sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	st, err := r.jobs.kv.Status(sctx)
	if err != nil {
		return
	}
	bs, ok := st.(*jetstream.KeyValueBucketStatus)
	if !ok || bs.StreamInfo() == nil {
		return
	}
	n := int(min(bs.StreamInfo().State.NumSubjects, maxPresize))
	r.jobs.byName = make(map[string]*known, n)
	r.jobs.defs.Grow(n)
	r.plan = plan.NewSized(n)
}
