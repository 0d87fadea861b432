package scheduler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/jetcron/jetcron/pkg/topology"
)

// checkEvery is how often a running scheduler checks that the resources
// still exist, besides after each reconnection to NATS.
const checkEvery = 10 * time.Second

// background runs the background loop: first (if start) it waits for NATS
// and the resources (making them unless SkipEnsure) and starts serving;
// then it watches the resources until ctx ends.
func (s *Scheduler) background(ctx context.Context, start bool) {
	// Registered now, not in the goroutine: a reconnection right after
	// Start is not missed.
	reconnected := s.nc.StatusChanged(nats.CONNECTED)
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		defer s.nc.RemoveStatusListener(reconnected)
		if start {
			if !s.waitAndStart(ctx) {
				return
			}
		}
		s.watch(ctx, reconnected)
	}()
}

// waitAndStart prepares the resources, waiting as long as it takes, and
// starts serving; it returns false if ctx ended first.
func (s *Scheduler) waitAndStart(ctx context.Context) bool {
	wait := 250 * time.Millisecond
	for {
		if !s.prepare(ctx) {
			return false
		}
		err := s.startServing(ctx)
		if err == nil {
			s.setWaiting(nil)
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		s.setWaiting(err)
		s.log.WarnContext(ctx, "starting the API and the election failed; retrying", "error", err, "retry_in", wait)
		s.sleep(ctx, wait)
		wait = min(2*wait, 4*time.Second)
	}
}

// prepare waits for NATS and makes the resources, or (SkipEnsure) waits
// for them; it returns false if ctx ended first.
func (s *Scheduler) prepare(ctx context.Context) bool {
	o := topology.WaitOptions{Logger: s.log, Report: s.setWaiting}
	var err error
	if s.cfg.SkipEnsure {
		err = topology.WaitReady(ctx, s.js, s.names, o)
	} else {
		err = topology.EnsureWhenReady(ctx, s.js, s.cfg.Topology, o)
	}
	return err == nil
}

// watch checks the resources after every reconnection and every
// checkEvery, and prepares them again when they are gone. The API and the
// election keep running meanwhile: their requests fail until the resources
// are back, then succeed again.
func (s *Scheduler) watch(ctx context.Context, reconnected <-chan nats.Status) {
	for {
		t := s.cfg.Clock.NewTimer(checkEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-reconnected:
			t.Stop()
		case <-t.C():
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := topology.Check(cctx, s.js, s.names)
		cancel()
		if !errors.Is(err, topology.ErrNotReady) {
			continue
		}
		s.log.WarnContext(ctx, "the jetcron resources are gone (NATS restarted from an empty store?)", "error", err, "ensure", !s.cfg.SkipEnsure)
		s.setWaiting(err)
		if !s.prepare(ctx) {
			return
		}
	}
}

func (s *Scheduler) setWaiting(err error) {
	if err == nil {
		s.waiting.Store(nil)
		return
	}
	s.waiting.Store(&err)
}

func (s *Scheduler) waitingFor() error {
	if p := s.waiting.Load(); p != nil {
		return fmt.Errorf("waiting: %w", *p)
	}
	return nil
}

func (s *Scheduler) sleep(ctx context.Context, d time.Duration) {
	t := s.cfg.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C():
	}
}
