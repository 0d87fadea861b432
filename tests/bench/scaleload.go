package main

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/streamio"
)

// loadJobs writes n valid definitions into the jobs bucket as the API
// would store them, in atomic batches of a thousand (one fsync each): a
// million one-by-one writes, each fsynced, would take minutes. The jobs
// bucket's stream does not take atomic batches, so the phase allows them
// first; the scheduler processes never ensure the topology (SkipEnsure),
// and reading the bucket does not depend on it.
func loadJobs(ctx context.Context, e *env, n int, spec func(i int) job.Spec) error {
	stream := "KV_" + e.names.JobsBucket()
	st, err := e.js.Stream(ctx, stream)
	if err != nil {
		return fmt.Errorf("jobs bucket: %w", err)
	}
	cfg := st.CachedInfo().Config
	cfg.AllowAtomicPublish = true
	if _, err := e.js.UpdateStream(ctx, cfg); err != nil {
		return fmt.Errorf("jobs bucket: allow atomic batches: %w", err)
	}
	now := time.Now().UTC()
	const chunk = 10 * streamio.MaxAtomicBatch
	for start := 0; start < n; start += chunk {
		msgs := make([]*nats.Msg, 0, chunk)
		for i := start; i < min(start+chunk, n); i++ {
			s := spec(i)
			data, err := storedJob(s, now)
			if err != nil {
				return err
			}
			m := nats.NewMsg("$KV." + e.names.JobsBucket() + "." + s.Name)
			m.Data = data
			msgs = append(msgs, m)
		}
		for i, a := range streamio.PublishAll(ctx, e.nc, e.js, msgs) {
			if a.Err != nil {
				return fmt.Errorf("write job %s: %w", msgs[i].Subject, a.Err)
			}
		}
	}
	return nil
}
