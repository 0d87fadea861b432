package topology

import "github.com/nats-io/nats.go/jetstream"

// BackfillsBucket holds the backfills of jobs (pkg/backfill), key
// <job>.<id>.
func (n Names) BackfillsBucket() string { return n.bucket("backfills") }

// backfillsConfig is the backfills bucket's configuration: a backfill is
// kept after it ends, as the record of what it ran.
func (c Config) backfillsConfig() jetstream.KeyValueConfig {
	n := c.Names()
	return jetstream.KeyValueConfig{Bucket: n.BackfillsBucket(), Description: "jetcron backfills of past slots", History: 1, Storage: c.storage(), Replicas: c.Replicas}
}
