package claim

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/streamio"
)

// Batched returns kv with its writes (Create and Update, the only ones a
// claim makes) sent through c, so that the claim writes of concurrent
// executions share atomic batches: one commit and one fsync for all.
// Reads and every other operation go to kv itself.
//
// A write is the message the client's KV sends: the value on
// "$KV.<bucket>.<key>" with Nats-Expected-Last-Subject-Sequence set to the
// revision (0 for Create), so the stream checks it per message, inside a
// batch as alone. Errors keep the client's identities: a failed check is
// jetstream.ErrKeyRevisionMismatch for Update and jetstream.ErrKeyExists
// for Create, whether the stream says 10071 (one replica) or 10164
// (replicated). A Create refused because the key has a value is asked
// again of kv.Create, which also succeeds over a deleted or purged key.
//
// apiPrefix is natsconn.APIPrefix of the JetStream domain kv lives in
// ("" for the connection's own): a worker behind a leaf node writes
// through it, as the client does.
func Batched(kv jetstream.KeyValue, c *streamio.Committer, apiPrefix string) jetstream.KeyValue {
	return &batched{KeyValue: kv, c: c, pre: apiPrefix + "$KV." + kv.Bucket() + "."}
}

type batched struct {
	jetstream.KeyValue
	c   *streamio.Committer
	pre string
}

// validKey is the client's check of a key (jetstream keyValid).
var validKey = regexp.MustCompile(`^[-/_=.a-zA-Z0-9]+$`)

func keyValid(key string) bool {
	return key != "" && key[0] != '.' && key[len(key)-1] != '.' && !strings.Contains(key, "..") && validKey.MatchString(key)
}

func (b *batched) write(ctx context.Context, key string, value []byte, revision uint64) (uint64, error) {
	if !keyValid(key) {
		return 0, jetstream.ErrInvalidKey
	}
	m := nats.NewMsg(b.pre + key)
	m.Data = value
	m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(revision, 10))
	a := b.c.Submit(ctx, m)
	return a.Seq, a.Err
}

// Update writes value if key's last revision is revision.
func (b *batched) Update(ctx context.Context, key string, value []byte, revision uint64) (uint64, error) {
	rev, err := b.write(ctx, key, value, revision)
	if streamio.WrongLastSeq(err) {
		return 0, fmt.Errorf("%w: %w", err, jetstream.ErrKeyRevisionMismatch)
	}
	return rev, err
}

// Create writes value if key has none. Options (a per-key TTL) are the
// client's business: a Create with options goes to kv.
func (b *batched) Create(ctx context.Context, key string, value []byte, opts ...jetstream.KVCreateOpt) (uint64, error) {
	if len(opts) > 0 {
		return b.KeyValue.Create(ctx, key, value, opts...)
	}
	rev, err := b.write(ctx, key, value, 0)
	if streamio.WrongLastSeq(err) {
		// The key has a message: a value (the client answers "key
		// exists"), or a delete or purge marker, over which the client
		// creates. Its Create tells the two apart the way it always does.
		return b.KeyValue.Create(ctx, key, value)
	}
	return rev, err
}
