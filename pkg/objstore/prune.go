package objstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/nats-io/nats.go/jetstream"
)

// Object is one stored object as a listing shows it.
type Object struct {
	Key      string
	Size     int64
	Modified time.Time
}

// Pruner lists and deletes objects: what per-job log retention needs
// (`jetcron admin prune-logs`). Only the admin role uses it; the other
// roles' NATS users may not purge the object stores.
type Pruner interface {
	// List returns the objects whose key starts with prefix.
	List(ctx context.Context, prefix string) ([]Object, error)
	// Delete removes the object under key; a missing one is no error.
	Delete(ctx context.Context, key string) error
}

// List returns the objects of the bucket whose key starts with prefix.
func (n *NATS) List(ctx context.Context, prefix string) ([]Object, error) {
	infos, err := n.os.List(ctx)
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", n.URL(prefix), err)
	}
	var out []Object
	for _, in := range infos {
		if in.Deleted || !strings.HasPrefix(in.Name, prefix) {
			continue
		}
		out = append(out, Object{Key: in.Name, Size: int64(in.Size), Modified: in.ModTime})
	}
	return out, nil
}

// Delete removes the object under key.
func (n *NATS) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if err := n.os.Delete(ctx, key); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
		return fmt.Errorf("delete %s: %w", n.URL(key), err)
	}
	return nil
}

// List returns the objects of the view whose key starts with prefix; keys
// are relative to the view.
func (s *S3) List(ctx context.Context, prefix string) ([]Object, error) {
	var out []Object
	for obj := range s.client.ListObjects(ctx, s.loc.Bucket, minio.ListObjectsOptions{Prefix: s.prefix + prefix, Recursive: true}) {
		if obj.Err != nil {
			return nil, s.explain("list", prefix, obj.Err)
		}
		out = append(out, Object{Key: strings.TrimPrefix(obj.Key, s.prefix), Size: obj.Size, Modified: obj.LastModified})
	}
	return out, nil
}

// Delete removes the object under key.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.loc.Bucket, s.prefix+key, minio.RemoveObjectOptions{}); err != nil {
		return s.explain("delete", key, err)
	}
	return nil
}

var (
	_ Pruner = (*NATS)(nil)
	_ Pruner = (*S3)(nil)
)
