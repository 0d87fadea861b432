package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/nats-io/nats.go/jetstream"
)

// NATS is a Store on a NATS object store bucket.
type NATS struct {
	bucket string
	os     jetstream.ObjectStore
}

// OpenNATS opens the object store bucket (it must exist: topology.Ensure
// creates it).
func OpenNATS(ctx context.Context, js jetstream.JetStream, bucket string) (*NATS, error) {
	os, err := js.ObjectStore(ctx, bucket)
	if err != nil {
		return nil, fmt.Errorf("open object store %s: %w", bucket, err)
	}
	return &NATS{bucket: bucket, os: os}, nil
}

// Put stores r under key.
func (n *NATS) Put(ctx context.Context, key string, r io.Reader, size int64) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	if _, err := n.os.Put(ctx, jetstream.ObjectMeta{Name: key}, r); err != nil {
		return "", fmt.Errorf("put %s: %w", n.URL(key), err)
	}
	return n.URL(key), nil
}

// Get opens the object under key.
func (n *NATS) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	res, err := n.os.Get(ctx, key)
	if err != nil {
		if errors.Is(err, jetstream.ErrObjectNotFound) {
			return nil, fmt.Errorf("%s: %w", n.URL(key), ErrNotFound)
		}
		return nil, fmt.Errorf("get %s: %w", n.URL(key), err)
	}
	return res, nil
}

// URL returns nats://<bucket>/<key>.
func (n *NATS) URL(key string) string { return "nats://" + n.bucket + "/" + key }

var _ Store = (*NATS)(nil)
