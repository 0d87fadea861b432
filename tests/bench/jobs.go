package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
)

// benchJob is a job that fires every interval from anchor on, with overlap
// allow so that no worker is needed for its slots to keep firing, and a task
// that is never run.
func benchJob(name string, anchor time.Time, every time.Duration) job.Spec {
	a := anchor.UTC()
	return job.Spec{
		Name:     name,
		Schedule: job.Schedule{Every: job.Duration(every), Start: &a},
		Overlap:  job.OverlapAllow,
		Task:     job.Task{Kind: job.TaskCommand, Command: []string{"true"}},
	}
}

// createJobs creates specs through the API (mode setupAPI, inflight calls
// at a time) or by writing their definitions into the jobs bucket (setupKV).
func createJobs(ctx context.Context, e *env, mode string, inflight int, specs []job.Spec) error {
	if mode == setupKV {
		return writeJobs(ctx, e, specs)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan job.Spec)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for range min(inflight, len(specs)) {
		wg.Go(func() {
			for spec := range next {
				err := api.Call(ctx, e.nc, e.names, api.VerbJobCreate, api.CreateRequest{Spec: spec}, nil)
				if err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("create %s: %w", spec.Name, err)
					}
					mu.Unlock()
					cancel()
				}
			}
		})
	}
feed:
	for _, s := range specs {
		select {
		case next <- s:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// writeJobs writes valid definitions into the jobs bucket as the API would
// store them (defaults filled, timestamps set), up to a thousand writes in
// flight.
func writeJobs(ctx context.Context, e *env, specs []job.Spec) error {
	return writeJobsFunc(ctx, e, len(specs), func(i int) job.Spec { return specs[i] })
}

// storedJob returns a definition as the API stores it: timestamps set,
// validated, defaults filled.
func storedJob(s job.Spec, now time.Time) ([]byte, error) {
	s.CreatedAt, s.UpdatedAt, s.EnabledAt = now, now, now
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("job %s: %w", s.Name, err)
	}
	data, err := json.Marshal(s.WithDefaults())
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", s.Name, err)
	}
	return data, nil
}

// writeJobsFunc is writeJobs of the n definitions spec returns.
func writeJobsFunc(ctx context.Context, e *env, n int, spec func(i int) job.Spec) error {
	now := time.Now().UTC()
	bucket := e.names.JobsBucket()
	const window = 1000
	for start := 0; start < n; start += window {
		futures := make([]jetstream.PubAckFuture, 0, window)
		for i := start; i < min(start+window, n); i++ {
			s := spec(i)
			data, err := storedJob(s, now)
			if err != nil {
				return err
			}
			f, err := e.js.PublishAsync("$KV."+bucket+"."+s.Name, data)
			if err != nil {
				return fmt.Errorf("write job %s: %w", s.Name, err)
			}
			futures = append(futures, f)
		}
		for _, f := range futures {
			select {
			case <-f.Ok():
			case err := <-f.Err():
				return fmt.Errorf("write job %s: %w", f.Msg().Subject, err)
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	return nil
}
