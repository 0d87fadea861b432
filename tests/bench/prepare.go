package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/jetcron/jetcron/pkg/job"
)

// readyMargin is how long before the first slot the leader must have
// loaded every job for a run to count.
const readyMargin = 250 * time.Millisecond

// maxAttempts bounds the retries of a setup that overran its lead.
const maxAttempts = 3

// prepared is a system whose leader has planned every job while the first
// slot is still ahead.
type prepared struct {
	e *env
	// Slot is the first slot of the jobs.
	Slot time.Time
	// Setup is how long creating the jobs took.
	Setup time.Duration
}

// estimateLead guesses how long creating n jobs and loading them into the
// leader takes, generously: an overrun costs a retry.
func estimateLead(mode string, n int) time.Duration {
	per := 1500 * time.Microsecond // API: validate, read, create, audit event; each fsynced
	if mode == setupKV {
		per = 200 * time.Microsecond
	}
	return time.Second + time.Duration(n)*per
}

// prepare starts a system in a directory under dir and creates the n jobs
// specs returns for a first slot lead after the start of setup. If creating
// them or loading them into the leader overruns the lead, it starts over
// with a fresh system and twice the lead, at most maxAttempts times.
func prepare(ctx context.Context, o options, dir string, cfg envConfig, n int, specs func(slot time.Time) []job.Spec, log *slog.Logger, progress io.Writer) (*prepared, error) {
	lead := o.Lead
	if lead == 0 {
		lead = estimateLead(o.Setup, n)
	}
	for attempt := 1; ; attempt++ {
		p, err := prepareOnce(ctx, o, filepath.Join(dir, fmt.Sprintf("attempt%d", attempt)), cfg, n, lead, specs, log)
		if !errors.Is(err, errOverrun) {
			return p, err
		}
		if attempt == maxAttempts {
			return nil, fmt.Errorf("%w %d times; raise -lead (last: %s)", errOverrun, attempt, lead)
		}
		fmt.Fprintf(progress, "  %v; starting over with -lead %s\n", err, 2*lead)
		lead *= 2
	}
}

// errOverrun means setup did not finish before the first slot.
var errOverrun = errors.New("setup overran the first slot")

func prepareOnce(ctx context.Context, o options, dir string, cfg envConfig, n int, lead time.Duration, specs func(slot time.Time) []job.Spec, log *slog.Logger) (_ *prepared, err error) {
	e, err := startEnv(ctx, dir, cfg, log)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			e.close()
		}
	}()
	start := time.Now()
	slot := start.Add(lead).Truncate(time.Millisecond)
	if err := createJobs(ctx, e, o.Setup, o.Inflight, specs(slot)); err != nil {
		if time.Now().After(slot.Add(-readyMargin)) {
			// The API refuses a one-shot job whose instant has passed.
			return nil, fmt.Errorf("%w (%v)", errOverrun, err)
		}
		return nil, err
	}
	setup := time.Since(start)
	ready := slot.Add(-readyMargin)
	err = poll(ctx, max(time.Until(ready), 0), 10*time.Millisecond, func() (bool, error) {
		got, err := e.planned()
		return got == n, err
	})
	if errors.Is(err, errTimeout) || time.Now().After(ready) {
		got, _ := e.planned()
		return nil, fmt.Errorf("%w (created %d jobs in %s, leader had planned %d of them %s before the slot)", errOverrun, n, setup.Round(time.Millisecond), got, readyMargin)
	}
	if err != nil {
		return nil, err
	}
	return &prepared{e: e, Slot: slot, Setup: setup}, nil
}
