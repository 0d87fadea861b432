package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/streamio"
	"github.com/jetcron/jetcron/pkg/topology"
)

// Msg returns the NATS message of a: its subject, payload and message ID.
func Msg(names topology.Names, a Alert) (*nats.Msg, error) {
	a.V = Version
	if err := a.Validate(); err != nil {
		return nil, err
	}
	data, err := json.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("encode alert: %w", err)
	}
	m := nats.NewMsg(names.AlertSubject(a.Job))
	m.Data = data
	m.Header.Set(jetstream.MsgIDHeader, a.MsgID())
	return m, nil
}

// Publish appends a to the alerts stream and waits until it is stored,
// retrying transient errors with the same message ID until ctx ends. It
// returns the alert's stream sequence; an alert already stored by another
// process within the duplicate window is not stored twice.
func Publish(ctx context.Context, js jetstream.JetStream, names topology.Names, a Alert) (uint64, error) {
	m, err := Msg(names, a)
	if err != nil {
		return 0, err
	}
	ack, err := streamio.Publish(ctx, js, m, 5*time.Second)
	if err != nil {
		return 0, fmt.Errorf("publish %s alert of %s: %w", a.Health, a.Job, err)
	}
	return ack.Sequence, nil
}
