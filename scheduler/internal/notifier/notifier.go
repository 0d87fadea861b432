package notifier

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/clock"
	"github.com/jetcron/jetcron/pkg/lifecycle"
	"github.com/jetcron/jetcron/pkg/notify"
	"github.com/jetcron/jetcron/pkg/topology"
)

// Config configures a notifier.
type Config struct {
	// Topology names the alerts stream, the notify bucket and the consumer.
	Topology topology.Config
	// ID names the replica in delivery records.
	ID string
	// UIURL is the web UI's base URL, linked from each message. Defaults
	// to none.
	UIURL string
	// Clock tells the time of re-alerts and records. Defaults to the wall
	// clock.
	Clock clock.Clock
	// Logger defaults to a discarding logger.
	Logger *slog.Logger
	// AttemptTimeout bounds one delivery attempt. Defaults to 10s.
	AttemptTimeout time.Duration
	// MaxAttempts bounds the attempts to deliver one alert to one sink.
	// Defaults to 5.
	MaxAttempts int
	// Backoff is the wait after the first failed attempt; it doubles after
	// each, up to BackoffMax. Defaults to 1s and 30s.
	Backoff, BackoffMax time.Duration
	// QueueSize bounds the alerts waiting for one sink. Defaults to 64.
	QueueSize int
	// RetryDelay is how long an alert that a sink could not take yet (its
	// queue was full) waits before it comes again. Defaults to 10s.
	RetryDelay time.Duration
	// RealertScan is how often the states are scanned for due
	// repetitions. Defaults to 30s.
	RealertScan time.Duration
	// Progress is how often alerts in work are reported in progress to
	// the server. Defaults to a third of topology.NotifyAckWait.
	Progress time.Duration
}

func (c Config) withDefaults() Config {
	c.AttemptTimeout = cmp.Or(c.AttemptTimeout, notify.DefaultAttemptTimeout)
	c.MaxAttempts = cmp.Or(c.MaxAttempts, 5)
	c.Backoff = cmp.Or(c.Backoff, time.Second)
	c.BackoffMax = cmp.Or(c.BackoffMax, 30*time.Second)
	c.QueueSize = cmp.Or(c.QueueSize, 64)
	c.RetryDelay = cmp.Or(c.RetryDelay, 10*time.Second)
	c.RealertScan = cmp.Or(c.RealertScan, 30*time.Second)
	c.Progress = cmp.Or(c.Progress, topology.NotifyAckWait/3)
	if c.Clock == nil {
		c.Clock = clock.New()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Notifier delivers alerts to the sinks.
type Notifier struct {
	lifecycle.Base
	cfg    Config
	nc     *nats.Conn
	js     jetstream.JetStream
	names  topology.Names
	log    *slog.Logger
	sender *notify.Sender

	mu    sync.Mutex             // guards sinks
	sinks map[string]*sinkWorker // by sink name

	work *inWork
}

// New returns a notifier on nc; Start runs it.
func New(nc *nats.Conn, cfg Config) (*Notifier, error) {
	cfg.Topology = cfg.Topology.WithDefaults()
	cfg = cfg.withDefaults()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("notifier: %w", err)
	}
	return &Notifier{
		cfg: cfg, nc: nc, js: js, names: cfg.Topology.Names(),
		log:    cfg.Logger.With("component", "scheduler.notifier"),
		sender: notify.NewSender(nc, cfg.AttemptTimeout),
		sinks:  map[string]*sinkWorker{}, work: newInWork(),
	}, nil
}

// Start starts delivering in the background: it opens the notify bucket
// and the consumer as soon as they exist (an operator may create them
// after the scheduler starts), loads the sinks, then consumes alerts.
func (n *Notifier) Start(ctx context.Context) error {
	if err := n.Go(ctx, n.run); err != nil {
		return fmt.Errorf("notifier: %w", err)
	}
	return nil
}

// run is the notifier's life: sessions, one after the other, until ctx
// ends. A session ends early when its consumer is lost (NATS restarted
// from an empty store, an operator deleted it): the next one waits for the
// resources again.
func (n *Notifier) run(ctx context.Context) {
	defer n.sender.Close()
	for n.session(ctx) && ctx.Err() == nil {
		n.log.WarnContext(ctx, "alerts consumer lost; opening it again", "in", reopenDelay)
		// The server tells a consumer's clients that it is deleted before
		// it has finished tearing it down. A durable of the same name
		// created meanwhile can lose its first delivery to the teardown
		// (nats-server 2.15), and that alert then waits for the ack wait
		// (topology.NotifyAckWait) to come again.
		select {
		case <-ctx.Done():
		case <-time.After(reopenDelay):
		}
	}
}

// reopenDelay is the pause before a lost consumer is opened again.
const reopenDelay = time.Second

// session opens the bucket and the consumer, loads the sinks, and consumes
// alerts until ctx ends (false) or the consumer is lost (true); then it
// stops the sinks, handing back the alerts they had not finished.
func (n *Notifier) session(ctx context.Context) (lost bool) {
	kv, cons, ok := n.open(ctx)
	if !ok {
		return false
	}
	sctx, cancel := context.WithCancel(ctx)
	store := notify.Store{KV: kv}
	var wg sync.WaitGroup
	defer func() {
		cancel()
		n.stopSinks(true)
		wg.Wait()
	}()
	if !n.loadSinks(sctx, kv, store, &wg) {
		return false
	}
	gone := make(chan struct{}, 1)
	cc, err := cons.Consume(func(m jetstream.Msg) { n.handle(m) },
		jetstream.PullMaxMessages(256),
		// A pull that the server forgot (it restarted) is noticed within
		// seconds, not the default half minute.
		jetstream.PullExpiry(10*time.Second), jetstream.PullHeartbeat(3*time.Second),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			if errors.Is(err, jetstream.ErrConsumerDeleted) || errors.Is(err, jetstream.ErrConsumerNotFound) {
				select {
				case gone <- struct{}{}:
				default:
				}
				return
			}
			n.log.Debug("alerts consumer", "error", err)
		}))
	if err != nil {
		n.log.ErrorContext(ctx, "cannot consume alerts", "error", err)
		return true
	}
	defer cc.Stop()
	wg.Add(2)
	go func() { defer wg.Done(); n.work.progressLoop(sctx, n.cfg.Progress) }()
	go func() { defer wg.Done(); n.realertLoop(sctx, store) }()
	n.log.InfoContext(ctx, "delivering alerts to notification sinks")
	select {
	case <-ctx.Done():
		return false
	case <-gone:
		return true
	}
}

// open waits for the notify bucket and the consumer.
func (n *Notifier) open(ctx context.Context) (jetstream.KeyValue, jetstream.Consumer, bool) {
	warned := false
	for {
		kv, cons, err := n.tryOpen(ctx)
		if err == nil {
			return kv, cons, true
		}
		if ctx.Err() != nil {
			return nil, nil, false
		}
		if !warned {
			n.log.WarnContext(ctx, "notifications wait for the notify bucket and the alerts consumer", "error", err)
			warned = true
		}
		select {
		case <-ctx.Done():
			return nil, nil, false
		case <-time.After(2 * time.Second):
		}
	}
}

func (n *Notifier) tryOpen(ctx context.Context) (jetstream.KeyValue, jetstream.Consumer, error) {
	octx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	kv, err := n.js.KeyValue(octx, n.names.NotifyBucket())
	if err != nil {
		return nil, nil, fmt.Errorf("bucket %s: %w", n.names.NotifyBucket(), err)
	}
	cons, err := n.js.Consumer(octx, n.names.AlertsStream(), n.names.NotifyConsumer())
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		// Made by topology.Ensure; a scheduler may make it too.
		if err = topology.EnsureNotifyConsumer(octx, n.js, n.cfg.Topology); err == nil {
			cons, err = n.js.Consumer(octx, n.names.AlertsStream(), n.names.NotifyConsumer())
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("consumer %s of %s: %w", n.names.NotifyConsumer(), n.names.AlertsStream(), err)
	}
	return kv, cons, nil
}

var _ lifecycle.Service = (*Notifier)(nil)
