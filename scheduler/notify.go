package scheduler

import (
	"context"
	"sync"
	"time"

	"github.com/jetcron/jetcron/scheduler/internal/notifier"
)

// NotifyConfig configures the delivery of alerts to notification sinks,
// which every replica takes part in (scheduler/internal/notifier), and the
// leader's heartbeat.
type NotifyConfig struct {
	// UIURL is the web UI's base URL (http://host:8080), linked from
	// notifications. Defaults to none: messages carry no link.
	UIURL string
	// HeartbeatURL is pinged (GET) every HeartbeatInterval while this
	// replica leads: an external dead man's switch. Defaults to none.
	HeartbeatURL string
	// HeartbeatInterval defaults to 1m.
	HeartbeatInterval time.Duration
	// Delivery tunes retries and queues; zero fields take the notifier's
	// defaults (tests shorten them).
	Delivery DeliveryConfig
}

// DeliveryConfig tunes the notifier (see notifier.Config for each field).
type DeliveryConfig struct {
	AttemptTimeout, Backoff, BackoffMax, RetryDelay, RealertScan time.Duration
	MaxAttempts, QueueSize                                       int
}

// startNotifier starts this replica's share of the alerts' delivery.
func (s *Scheduler) startNotifier(ctx context.Context) (*notifier.Notifier, error) {
	d := s.cfg.Notify.Delivery
	n, err := notifier.New(s.nc, notifier.Config{
		Topology: s.cfg.Topology, ID: s.cfg.ID, UIURL: s.cfg.Notify.UIURL, Clock: s.cfg.Clock, Logger: s.log,
		AttemptTimeout: d.AttemptTimeout, MaxAttempts: d.MaxAttempts, Backoff: d.Backoff, BackoffMax: d.BackoffMax,
		QueueSize: d.QueueSize, RetryDelay: d.RetryDelay, RealertScan: d.RealertScan,
	})
	if err != nil {
		return nil, err
	}
	return n, n.Start(ctx)
}

// heartbeat pings the heartbeat URL, if any, until ctx ends (the lease);
// the returned function stops it and waits.
func (s *Scheduler) heartbeat(ctx context.Context) func() {
	if s.cfg.Notify.HeartbeatURL == "" {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		notifier.Heartbeat{URL: s.cfg.Notify.HeartbeatURL, Interval: s.cfg.Notify.HeartbeatInterval, Clock: s.cfg.Clock, Logger: s.log}.Run(ctx)
	}()
	return func() { cancel(); wg.Wait() }
}
