package topology

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/natsconn"
)

// Config sets what may differ between installations. The zero value is a
// single-node file-backed setup with the documented defaults.
type Config struct {
	// Namespace prefixes every name. Defaults to "jetcron".
	Namespace string
	// Replicas of every stream and bucket: 1 on a single server, 3 in a
	// cluster. Defaults to 1.
	Replicas int
	// Memory stores everything in memory instead of files (tests only: a
	// restart loses it all).
	Memory bool
	// LeaseTTL is the leader lease; the leader renews it every third.
	// Defaults to 15s.
	LeaseTTL time.Duration
	// WorkerTTL is how long a worker's presence outlives its last heartbeat.
	// Defaults to 15s.
	WorkerTTL time.Duration
	// ClaimTTL is how long an execution claim is kept; it must exceed the
	// longest catch-up window. Defaults to 25h.
	ClaimTTL time.Duration
	// AckWait is how long a worker may go without heartbeating before its
	// execution is redelivered to another. Defaults to 30s.
	AckWait time.Duration
	// MaxDeliver bounds deliveries of one work item, counting attempts lost
	// with their worker. Defaults to 25.
	MaxDeliver int
	// DuplicateWindow is the work and events streams' deduplication window.
	// Defaults to 10m.
	DuplicateWindow time.Duration
	// MaxWork bounds the work stream; when it is full, publishing fails
	// loudly instead of dropping work. Defaults to 1,000,000 messages.
	MaxWork int64
	// EventsMaxAge and EventsMaxBytes bound the events stream's retention.
	// Zero keeps events forever.
	EventsMaxAge   time.Duration
	EventsMaxBytes int64
	// LogsMaxAge bounds how long stored logs are kept. Zero keeps them.
	LogsMaxAge time.Duration
	// JSDomain is the JetStream domain the resources live in, for a role
	// connected to a leaf node (see JetStream). Empty: the connection's own.
	JSDomain string
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	c.Namespace = cmp.Or(c.Namespace, DefaultNamespace)
	c.Replicas = cmp.Or(c.Replicas, 1)
	c.LeaseTTL = cmp.Or(c.LeaseTTL, 15*time.Second)
	c.WorkerTTL = cmp.Or(c.WorkerTTL, 15*time.Second)
	c.ClaimTTL = cmp.Or(c.ClaimTTL, 25*time.Hour)
	c.AckWait = cmp.Or(c.AckWait, 30*time.Second)
	c.MaxDeliver = cmp.Or(c.MaxDeliver, 25)
	c.DuplicateWindow = cmp.Or(c.DuplicateWindow, 10*time.Minute)
	c.MaxWork = cmp.Or(c.MaxWork, 1_000_000)
	return c
}

// Validate reports the first invalid setting, naming it.
func (c Config) Validate() error {
	if err := ValidateNamespace(c.Namespace); err != nil {
		return err
	}
	if err := natsconn.ValidateJSDomain(c.JSDomain); err != nil {
		return err
	}
	switch {
	case c.Replicas < 1 || c.Replicas > 5:
		return fmt.Errorf("replicas: %d is not in 1-5", c.Replicas)
	case c.LeaseTTL < time.Second:
		return fmt.Errorf("lease ttl: %s is shorter than 1s", c.LeaseTTL)
	case c.WorkerTTL < time.Second:
		return fmt.Errorf("worker ttl: %s is shorter than 1s", c.WorkerTTL)
	case c.AckWait < time.Second:
		return fmt.Errorf("ack wait: %s is shorter than 1s", c.AckWait)
	case c.ClaimTTL <= 24*time.Hour:
		return fmt.Errorf("claim ttl: %s must exceed the longest catch-up window (24h)", c.ClaimTTL)
	case c.MaxDeliver < 2:
		return fmt.Errorf("max deliver: %d is below 2", c.MaxDeliver)
	}
	return nil
}

// Names returns the names of c's namespace.
func (c Config) Names() Names { return MustNames(cmp.Or(c.Namespace, DefaultNamespace)) }

func (c Config) storage() jetstream.StorageType {
	if c.Memory {
		return jetstream.MemoryStorage
	}
	return jetstream.FileStorage
}

// KeyValueConfigs returns the configuration of every KV bucket.
func (c Config) KeyValueConfigs() []jetstream.KeyValueConfig {
	c = c.WithDefaults()
	n := c.Names()
	st := c.storage()
	return []jetstream.KeyValueConfig{
		{Bucket: n.JobsBucket(), Description: "jetcron job definitions", History: 10, Storage: st, Replicas: c.Replicas},
		{Bucket: n.StateBucket(), Description: "jetcron per-job runtime state (leader only)", History: 1, Storage: st, Replicas: c.Replicas},
		{Bucket: n.LeaderBucket(), Description: "jetcron leader lease", History: 1, TTL: c.LeaseTTL, LimitMarkerTTL: time.Second, Storage: st, Replicas: c.Replicas},
		{Bucket: n.WorkersBucket(), Description: "jetcron worker presence", History: 1, TTL: c.WorkerTTL, LimitMarkerTTL: time.Second, Storage: st, Replicas: c.Replicas},
		{Bucket: n.ClaimsBucket(), Description: "jetcron execution claims", History: 1, TTL: c.ClaimTTL, Storage: st, Replicas: c.Replicas},
		{Bucket: n.PendingBucket(), Description: "jetcron ad hoc runs waiting for their time", History: 1, Storage: st, Replicas: c.Replicas},
		{Bucket: n.NotifyBucket(), Description: "jetcron notification sinks and their deliveries", History: 5, Storage: st, Replicas: c.Replicas},
		{Bucket: n.CheckpointsBucket(), Description: "jetcron per-job checkpoints (last success, value for the next run)", History: 1, Storage: st, Replicas: c.Replicas},
		{Bucket: n.QueuesBucket(), Description: "jetcron queue settings", History: 1, Storage: st, Replicas: c.Replicas},
		c.backfillsConfig(),
		{Bucket: n.HealthBucket(), Description: "jetcron job health (every scheduler replica)", History: 1, Storage: st, Replicas: c.Replicas},
		{Bucket: n.CalendarsBucket(), Description: "jetcron exclusion calendars", History: 5, Storage: st, Replicas: c.Replicas},
	}
}

// WorkStreamConfig returns the work stream's configuration.
func (c Config) WorkStreamConfig() jetstream.StreamConfig {
	c = c.WithDefaults()
	n := c.Names()
	return jetstream.StreamConfig{
		Name:                 n.WorkStream(),
		Description:          "jetcron due executions (work queue)",
		Subjects:             []string{n.WorkSubjects()},
		Retention:            jetstream.WorkQueuePolicy,
		Discard:              jetstream.DiscardNew,
		DiscardNewPerSubject: true,
		MaxMsgsPerSubject:    1,
		MaxMsgs:              c.MaxWork,
		MaxBytes:             -1,
		MaxAge:               0,
		Duplicates:           c.DuplicateWindow,
		Storage:              c.storage(),
		Replicas:             c.Replicas,
		AllowDirect:          true,
		AllowAtomicPublish:   true,
	}
}

// EventsStreamConfig returns the events stream's configuration.
func (c Config) EventsStreamConfig() jetstream.StreamConfig {
	c = c.WithDefaults()
	n := c.Names()
	dup := c.DuplicateWindow
	if c.EventsMaxAge > 0 && dup > c.EventsMaxAge {
		dup = c.EventsMaxAge
	}
	return jetstream.StreamConfig{
		Name:        n.EventsStream(),
		Description: "jetcron execution events (append-only)",
		Subjects:    []string{n.EventSubjects()},
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      c.EventsMaxAge,
		MaxBytes:    cmp.Or(c.EventsMaxBytes, -1),
		MaxMsgs:     -1,
		Duplicates:  dup,
		DenyDelete:  true,
		// Purges are allowed for per-job retention alone: the leader
		// purges whole executions by subject (scheduler/prune.go), and
		// only its user may (deploy/nats/accounts.conf). No single
		// event can be deleted.
		DenyPurge:   false,
		Storage:     c.storage(),
		Replicas:    c.Replicas,
		AllowDirect: true,
		// The leader appends a burst of "scheduled" events as atomic
		// batches: one commit and one fsync per thousand events.
		AllowAtomicPublish: true,
	}
}

// AlertsStreamConfig returns the alerts stream's configuration: append-only
// like the events, bounded by the same age and by a deduplication window of
// at least a day, so that the same change detected by several processes is
// stored once (package alert).
func (c Config) AlertsStreamConfig() jetstream.StreamConfig {
	c = c.WithDefaults()
	n := c.Names()
	dup := max(c.DuplicateWindow, 24*time.Hour)
	if c.EventsMaxAge > 0 && dup > c.EventsMaxAge {
		dup = c.EventsMaxAge
	}
	return jetstream.StreamConfig{
		Name:        n.AlertsStream(),
		Description: "jetcron job health changes (append-only)",
		Subjects:    []string{n.AlertSubjects()},
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      c.EventsMaxAge,
		MaxBytes:    -1,
		MaxMsgs:     -1,
		Duplicates:  dup,
		DenyDelete:  true,
		DenyPurge:   true,
		Storage:     c.storage(),
		Replicas:    c.Replicas,
		AllowDirect: true,
		// A watchdog round appends its alerts in atomic batches.
		AllowAtomicPublish: true,
	}
}

// ObjectStoreConfigs returns the configuration of the scripts and logs stores.
func (c Config) ObjectStoreConfigs() []jetstream.ObjectStoreConfig {
	c = c.WithDefaults()
	n := c.Names()
	return []jetstream.ObjectStoreConfig{
		{Bucket: n.ScriptsStore(), Description: "jetcron scripts (content-addressed)", Storage: c.storage(), Replicas: c.Replicas},
		{Bucket: n.LogsStore(), Description: "jetcron execution logs", TTL: c.LogsMaxAge, Storage: c.storage(), Replicas: c.Replicas},
	}
}

// WorkConsumerConfig returns the configuration of a queue's consumer.
func (c Config) WorkConsumerConfig(queue string) jetstream.ConsumerConfig {
	c = c.WithDefaults()
	n := c.Names()
	return jetstream.ConsumerConfig{
		Durable:       n.WorkConsumer(queue),
		Description:   "jetcron workers of queue " + queue,
		FilterSubject: n.WorkQueueFilter(queue),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       c.AckWait,
		MaxDeliver:    c.MaxDeliver,
		MaxAckPending: 100_000,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		Replicas:      c.Replicas,
	}
}

// EnsureTimeout bounds Ensure when its context has no deadline.
const EnsureTimeout = 2 * time.Minute

// ensureTry bounds one request of Ensure; a request that times out is
// asked again (the resource may exist by then).
const ensureTry = 10 * time.Second

// Ensure creates or updates every stream, bucket, object store and the
// default queue's consumer. It is idempotent and safe to run concurrently
// (several schedulers starting at once on a fresh cluster).
//
// Each resource is created first and updated only if it exists with
// another configuration. The client's CreateOrUpdate asks to update first:
// on a cluster (nats-server 2.15), an update of a stream that another
// client is creating at that moment goes unanswered, so replicas starting
// together waited out their whole deadline. Creating an existing resource
// with the same configuration succeeds at once.
func Ensure(ctx context.Context, js jetstream.JetStream, c Config) error {
	if _, ok := ctx.Deadline(); !ok {
		// Without a deadline the client allows each request 5s, too short
		// for a replicated stream whose Raft group is being elected.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, EnsureTimeout)
		defer cancel()
	}
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return fmt.Errorf("topology: %w", err)
	}
	for _, kv := range c.KeyValueConfigs() {
		if n := c.Names(); kv.Bucket == n.StateBucket() || kv.Bucket == n.ClaimsBucket() || kv.Bucket == n.HealthBucket() {
			// The leader writes cursors, workers group-commit their
			// claims, and every replica's watchdog writes job health, as
			// atomic batches of revision-checked writes, which a bucket's
			// configuration cannot allow: its stream is made here (an
			// existing bucket is updated to allow them).
			sc := KeyValueStreamConfig(kv)
			sc.AllowAtomicPublish = true
			if err := ensureStream(ctx, js, sc); err != nil {
				return fmt.Errorf("ensure bucket %s: %w", kv.Bucket, err)
			}
			continue
		}
		if err := createOrUpdate(ctx, js.CreateKeyValue, js.UpdateKeyValue, kv, jetstream.ErrBucketExists); err != nil {
			return fmt.Errorf("ensure bucket %s: %w", kv.Bucket, err)
		}
	}
	for _, sc := range []jetstream.StreamConfig{c.WorkStreamConfig(), c.EventsStreamConfig(), c.AlertsStreamConfig(), c.HistoryStreamConfig()} {
		if err := ensureStream(ctx, js, sc); err != nil {
			return err
		}
	}
	if err := EnsureNotifyConsumer(ctx, js, c); err != nil {
		return err
	}
	for _, os := range c.ObjectStoreConfigs() {
		if err := createOrUpdate(ctx, js.CreateObjectStore, js.UpdateObjectStore, os, jetstream.ErrBucketExists); err != nil {
			return fmt.Errorf("ensure object store %s: %w", os.Bucket, err)
		}
	}
	return EnsureQueue(ctx, js, c, "default")
}

// retry runs try with a bounded context until it succeeds, fails for a
// reason other than a timeout or a server failure, or ctx ends. A request
// the server failed internally (HTTP code 500) is asked again up to
// serverFailures times: the first stream made on a fresh data directory
// once failed with "error creating store for stream" (a fresh-clone CI
// run; the server's reason was not logged), and `jetcron dev` exited.
func retry(ctx context.Context, try func(context.Context) error) error {
	failures := 0
	for {
		tctx, cancel := context.WithTimeout(ctx, ensureTry)
		err := try(tctx)
		cancel()
		if err == nil || ctx.Err() != nil {
			return err
		}
		switch {
		case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout), errors.Is(err, nats.ErrNoResponders):
		case serverFailed(err) && failures < serverFailures:
			failures++
		default:
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(failures+1) * 100 * time.Millisecond):
		}
	}
}

// serverFailures bounds the requests a server failed internally that retry
// asks again in a row: a failure that lasts is reported, not hidden.
const serverFailures = 4

// serverFailed reports whether err is the server's own failure (HTTP code
// 500 in a JetStream API answer), not a refusal of the request.
func serverFailed(err error) bool {
	var ae *jetstream.APIError
	return errors.As(err, &ae) && ae.Code >= 500
}

// ensureStream creates a stream, or updates it if it exists with another
// configuration.
func ensureStream(ctx context.Context, js jetstream.JetStream, sc jetstream.StreamConfig) error {
	update := func(ctx context.Context, sc jetstream.StreamConfig) (jetstream.Stream, error) {
		// A deny a stream has cannot be lifted (nats-server refuses the
		// update): an events stream made before per-job retention keeps
		// denying purges, and the retention says so when it runs.
		if st, err := js.Stream(ctx, sc.Name); err == nil {
			old := st.CachedInfo().Config
			sc.DenyPurge = sc.DenyPurge || old.DenyPurge
			sc.DenyDelete = sc.DenyDelete || old.DenyDelete
		}
		return js.UpdateStream(ctx, sc)
	}
	if err := createOrUpdate(ctx, js.CreateStream, update, sc, jetstream.ErrStreamNameAlreadyInUse); err != nil {
		return fmt.Errorf("ensure stream %s: %w", sc.Name, err)
	}
	return nil
}

// createOrUpdate creates a stream or bucket from cfg, or updates it when
// create fails with exists, retrying timeouts (retry).
func createOrUpdate[C, R any](ctx context.Context, create, update func(context.Context, C) (R, error), cfg C, exists error) error {
	return retry(ctx, func(ctx context.Context) error {
		_, err := create(ctx, cfg)
		if errors.Is(err, exists) {
			_, err = update(ctx, cfg)
		}
		return err
	})
}

// KeyValueStreamConfig returns the stream configuration the client makes
// for a bucket (jetstream.CreateKeyValue), for the options jetcron's
// buckets use (description, history, TTL, limit markers, storage,
// replicas), with every default spelled out so that creating it again is a
// no-op. A test compares it with what the client makes.
func KeyValueStreamConfig(kv jetstream.KeyValueConfig) jetstream.StreamConfig {
	duplicates := 2 * time.Minute
	if kv.TTL > 0 && kv.TTL < duplicates {
		duplicates = kv.TTL
	}
	return jetstream.StreamConfig{
		Name:                   "KV_" + kv.Bucket,
		Description:            kv.Description,
		Subjects:               []string{"$KV." + kv.Bucket + ".>"},
		MaxMsgsPerSubject:      int64(cmp.Or(kv.History, 1)),
		MaxBytes:               cmp.Or(kv.MaxBytes, -1),
		MaxAge:                 kv.TTL,
		MaxMsgSize:             cmp.Or(kv.MaxValueSize, -1),
		Storage:                kv.Storage,
		Replicas:               cmp.Or(kv.Replicas, 1),
		AllowRollup:            true,
		DenyDelete:             true,
		Duplicates:             duplicates,
		MaxMsgs:                -1,
		MaxConsumers:           -1,
		AllowDirect:            true,
		Discard:                jetstream.DiscardNew,
		AllowMsgTTL:            kv.LimitMarkerTTL != 0,
		SubjectDeleteMarkerTTL: kv.LimitMarkerTTL,
	}
}

// EnsureQueue creates or updates the consumer of a queue.
func EnsureQueue(ctx context.Context, js jetstream.JetStream, c Config, queue string) error {
	c = c.WithDefaults()
	cc := c.WorkConsumerConfig(queue)
	if err := retry(ctx, func(ctx context.Context) error {
		_, err := js.CreateOrUpdateConsumer(ctx, c.Names().WorkStream(), cc)
		return err
	}); err != nil {
		return fmt.Errorf("ensure consumer %s: %w", cc.Durable, err)
	}
	return nil
}

// ErrNotReady means the topology has not been created yet (no one has run
// Ensure against this NATS account and namespace).
var ErrNotReady = errors.New("jetcron resources not found (is a scheduler or `jetcron dev` running?)")

// Check verifies that the streams exist, translating "not found" into
// ErrNotReady.
func Check(ctx context.Context, js jetstream.JetStream, n Names) error {
	return checkStreams(ctx, js, []string{n.WorkStream(), n.EventsStream()})
}

// checkStreams verifies that streams exist, translating "not found" into
// ErrNotReady.
func checkStreams(ctx context.Context, js jetstream.JetStream, streams []string) error {
	for _, s := range streams {
		if _, err := js.Stream(ctx, s); err != nil {
			if errors.Is(err, jetstream.ErrStreamNotFound) {
				return fmt.Errorf("stream %s: %w", s, ErrNotReady)
			}
			return fmt.Errorf("stream %s: %w", s, err)
		}
	}
	return nil
}
