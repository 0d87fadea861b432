package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/minio/minio-go/v7"
	"github.com/nats-io/nats.go/jetstream"
)

// Ranger is a store that reads part of an object without reading what
// precedes it (S3: a range request).
type Ranger interface {
	// ReadRange returns at most n bytes of the object under key from
	// offset off, and the object's size.
	ReadRange(ctx context.Context, key string, off int64, n int) ([]byte, int64, error)
}

// ReadRange returns at most n bytes of the object under key from offset
// off, and the object's size (-1 when the store does not say and the range
// does not reach the end). A store that is not a Ranger is read from the
// start, skipping off bytes.
func ReadRange(ctx context.Context, s Store, key string, off int64, n int) ([]byte, int64, error) {
	if off < 0 || n < 0 {
		return nil, 0, fmt.Errorf("read range %d+%d: negative", off, n)
	}
	if r, ok := s.(Ranger); ok {
		return r.ReadRange(ctx, key, off, n)
	}
	rc, err := s.Get(ctx, key)
	if err != nil {
		return nil, 0, err
	}
	defer rc.Close()
	return readFrom(rc, off, n, -1)
}

// readFrom skips off bytes of r and reads at most n; size is the object's
// size if known, else -1 (found when the read reaches the end).
func readFrom(r io.Reader, off int64, n int, size int64) ([]byte, int64, error) {
	skipped, err := io.CopyN(io.Discard, r, off)
	if errors.Is(err, io.EOF) {
		return nil, skipped, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read: %w", err)
	}
	buf := make([]byte, n+1) // one more tells whether the end is reached
	got, err := io.ReadFull(r, buf)
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return buf[:got], off + int64(got), nil
	case err != nil:
		return nil, 0, fmt.Errorf("read: %w", err)
	}
	return buf[:n], size, nil
}

// ReadRange reads from off without fetching what precedes it.
func (s *S3) ReadRange(ctx context.Context, key string, off int64, n int) ([]byte, int64, error) {
	if err := ValidateKey(key); err != nil {
		return nil, 0, err
	}
	full := s.prefix + key
	if err := ValidateKey(full); err != nil {
		return nil, 0, err
	}
	st, err := s.client.StatObject(ctx, s.loc.Bucket, full, minio.StatObjectOptions{})
	if err != nil {
		return nil, 0, s.explain("get", full, err)
	}
	if off >= st.Size || n == 0 {
		return nil, st.Size, nil
	}
	end := min(off+int64(n), st.Size) - 1
	opts := minio.GetObjectOptions{}
	if err := opts.SetRange(off, end); err != nil {
		return nil, 0, fmt.Errorf("get %s: %w", s.URL(key), err)
	}
	obj, err := s.client.GetObject(ctx, s.loc.Bucket, full, opts)
	if err != nil {
		return nil, 0, s.explain("get", full, err)
	}
	defer obj.Close()
	data, err := io.ReadAll(io.LimitReader(obj, end-off+1))
	if err != nil {
		return nil, 0, s.explain("get", full, err)
	}
	return data, st.Size, nil
}

// ReadRange reads the object's chunks up to off+n (the NATS object store
// has no ranges, but knows the size).
func (n *NATS) ReadRange(ctx context.Context, key string, off int64, max int) ([]byte, int64, error) {
	if err := ValidateKey(key); err != nil {
		return nil, 0, err
	}
	res, err := n.os.Get(ctx, key)
	if err != nil {
		if errors.Is(err, jetstream.ErrObjectNotFound) {
			return nil, 0, fmt.Errorf("%s: %w", n.URL(key), ErrNotFound)
		}
		return nil, 0, fmt.Errorf("get %s: %w", n.URL(key), err)
	}
	defer res.Close()
	size := int64(-1)
	if info, err := res.Info(); err == nil {
		size = int64(info.Size)
	}
	return readFrom(res, off, max, size)
}

var (
	_ Ranger = (*S3)(nil)
	_ Ranger = (*NATS)(nil)
)
