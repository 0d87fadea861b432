// Package objstore keeps scripts and complete logs in object storage: the
// NATS object store by default (nothing to set up), or an S3-compatible
// service.
//
// Keys are validated before any call: no local path is ever derived from a
// key, but a key that could mean something else to a file-system-backed
// store (.., a leading /, NUL, control characters, over 1,024 bytes) is
// refused anyway. Objects are addressed by URLs that name the store:
// nats://<bucket>/<key> or s3://<bucket>/<key>.
package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// Store puts and gets objects by key.
type Store interface {
	// Put stores the object read from r (size bytes, or -1 if unknown) under
	// key and returns its URL.
	Put(ctx context.Context, key string, r io.Reader, size int64) (string, error)
	// Get opens the object under key. It returns ErrNotFound if there is none.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// URL returns the URL of key.
	URL(key string) string
}

// ErrNotFound means no object exists under the key.
var ErrNotFound = errors.New("object not found")

// ErrBadKey means a key is not acceptable.
var ErrBadKey = errors.New("invalid object key")

// MaxKeyLen is the longest key.
const MaxKeyLen = 1024

// ValidateKey refuses keys that are empty, too long, absolute, contain a
// "." or ".." segment, a backslash, NUL or other control characters, or
// percent-encoded dots.
func ValidateKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty", ErrBadKey)
	case len(key) > MaxKeyLen:
		return fmt.Errorf("%w: %d bytes, at most %d", ErrBadKey, len(key), MaxKeyLen)
	case strings.HasPrefix(key, "/"):
		return fmt.Errorf("%w: %q is absolute", ErrBadKey, key)
	case strings.Contains(key, "\\"):
		return fmt.Errorf("%w: %q contains a backslash", ErrBadKey, key)
	case strings.Contains(strings.ToLower(key), "%2e") || strings.Contains(strings.ToLower(key), "%2f"):
		return fmt.Errorf("%w: %q contains an encoded dot or slash", ErrBadKey, key)
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: %q contains a control character", ErrBadKey, key)
		}
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%w: %q has an empty, . or .. segment", ErrBadKey, key)
		}
	}
	return nil
}

// ParseURL splits an object URL into scheme, bucket and key.
func ParseURL(raw string) (scheme, bucket, key string, err error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", "", fmt.Errorf("object url %q: %w", raw, err)
	}
	if u.Scheme != "nats" && u.Scheme != "s3" {
		return "", "", "", fmt.Errorf("object url %q: unknown scheme %q (want nats or s3)", raw, u.Scheme)
	}
	key = strings.TrimPrefix(u.Path, "/")
	if err := ValidateKey(key); err != nil {
		return "", "", "", fmt.Errorf("object url %q: %w", raw, err)
	}
	return u.Scheme, u.Host, key, nil
}

// LogKey is the key of one attempt's log.
func LogKey(job, execution string, attempt int) string {
	return fmt.Sprintf("%s/%s/%d.log", job, execution, attempt)
}
