package apiservice

import (
	"context"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/api"
)

// lazyBucket is a KV bucket opened on first use: a scheduler started
// against resources an operator has not updated yet (--skip-ensure)
// answers every other verb, and this bucket's once `jetcron admin ensure`
// has made it.
type lazyBucket struct {
	mu sync.Mutex
	kv jetstream.KeyValue
}

func (b *lazyBucket) open(ctx context.Context, js jetstream.JetStream, name string) (jetstream.KeyValue, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.kv != nil {
		return b.kv, nil
	}
	kv, err := js.KeyValue(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("bucket %s (run `jetcron admin ensure` to make it): %w: %w", name, api.ErrUnavailable, err)
	}
	b.kv = kv
	return kv, nil
}
