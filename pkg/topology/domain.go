package topology

import (
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/natsconn"
)

// JetStream returns the JetStream context of nc in the configured domain
// (JSDomain): a role behind a leaf node reaches the streams and buckets of
// the hub's domain.
func (c Config) JetStream(nc *nats.Conn) (jetstream.JetStream, error) {
	return natsconn.JetStream(nc, c.JSDomain)
}
