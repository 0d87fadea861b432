package topology

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// NotifyAckWait is how long the notifier may hold an alert without
// acknowledging it before another scheduler replica gets it; the notifier
// signals progress well within it while a sink is being retried.
const NotifyAckWait = time.Minute

// NotifyConsumerConfig returns the configuration of the alerts stream's
// durable consumer that the scheduler replicas share to deliver alerts to
// notification sinks: each alert goes to one replica at a time, is
// acknowledged once every sink that takes it is done, and is redelivered
// (to any replica) otherwise. It never gives up on an alert.
func (c Config) NotifyConsumerConfig() jetstream.ConsumerConfig {
	c = c.WithDefaults()
	n := c.Names()
	return jetstream.ConsumerConfig{
		Durable:       n.NotifyConsumer(),
		Description:   "jetcron notifier: alerts to deliver to notification sinks",
		FilterSubject: n.AlertSubjects(),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       NotifyAckWait,
		MaxDeliver:    -1,
		MaxAckPending: 10_000,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		Replicas:      c.Replicas,
	}
}

// EnsureNotifyConsumer creates or updates the notifier's consumer.
func EnsureNotifyConsumer(ctx context.Context, js jetstream.JetStream, c Config) error {
	cc := c.NotifyConsumerConfig()
	if err := retry(ctx, func(ctx context.Context) error {
		_, err := js.CreateOrUpdateConsumer(ctx, c.WithDefaults().Names().AlertsStream(), cc)
		return err
	}); err != nil {
		return fmt.Errorf("ensure consumer %s: %w", cc.Durable, err)
	}
	return nil
}
