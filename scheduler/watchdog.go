package scheduler

import (
	"context"
	"time"

	"github.com/jetcron/jetcron/scheduler/internal/watchdog"
)

// runWatchdog runs the watchdog on this replica, leader or not, for as
// long as ctx lasts (scheduler/internal/watchdog): once the replica serves,
// it starts it, trying again while it cannot (a bucket an older `admin
// ensure` did not make), and stops it at the end. The watchdog never keeps
// the replica from serving or leading.
func (s *Scheduler) runWatchdog(ctx context.Context) {
	wait := time.Second
	for ctx.Err() == nil {
		if s.Ready() != nil {
			s.sleep(ctx, 250*time.Millisecond)
			continue
		}
		wd := watchdog.New(s.nc, s.js, watchdog.Config{
			Topology: s.cfg.Topology, Detector: s.cfg.ID, Interval: s.cfg.WatchdogInterval,
			Lookback: s.cfg.WatchdogLookback, Window: s.cfg.WatchdogWindow,
			Clock: s.cfg.Clock, Logger: s.log, Metrics: s.cfg.Metrics.watchdogMetrics(), Definitions: s.defs,
		})
		// The look-back's events are read before it runs: give it time.
		sctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		err := wd.Start(sctx)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				s.log.WarnContext(ctx, "the watchdog could not start; retrying", "error", err, "retry_in", wait)
			}
			s.sleep(ctx, wait)
			wait = min(2*wait, 10*time.Second)
			continue
		}
		s.mu.Lock()
		s.wd = wd
		s.mu.Unlock()
		<-ctx.Done()
		s.mu.Lock()
		s.wd = nil
		s.mu.Unlock()
		_ = wd.Stop(context.Background())
		return
	}
}

// CheckHealth runs one round of this replica's watchdog now: every job's
// health is checked, and changes are alerted and stored, before it
// returns. It is a no-op while the watchdog has not started.
func (s *Scheduler) CheckHealth(ctx context.Context) error {
	s.mu.Lock()
	wd := s.wd
	s.mu.Unlock()
	if wd == nil {
		return nil
	}
	return wd.Check(ctx)
}
