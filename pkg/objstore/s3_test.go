package objstore_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/miniotest"
	"github.com/jetcron/jetcron/pkg/objstore"
)

// TestS3 runs the S3 store against one real MinIO server.
func TestS3(t *testing.T) {
	t.Parallel()
	m := miniotest.Start(t)
	ctx := t.Context()

	t.Run("PutGetRoundTrip", func(t *testing.T) {
		t.Parallel()
		base := m.Open(t, "roundtrip")
		logs := base.Sub("team/logs")
		data := make([]byte, 3<<20+17)
		_, _ = rand.Read(data)
		url, err := logs.Put(ctx, "job/job-20260101T000000Z/1.log", bytes.NewReader(data), int64(len(data)))
		require.NoError(t, err)
		require.Equal(t, "s3://roundtrip/team/logs/job/job-20260101T000000Z/1.log", url)
		require.Equal(t, url, logs.URL("job/job-20260101T000000Z/1.log"))

		// Read back through the view, and by the URL's key at the root.
		for _, get := range []func() (io.ReadCloser, error){
			func() (io.ReadCloser, error) { return logs.Get(ctx, "job/job-20260101T000000Z/1.log") },
			func() (io.ReadCloser, error) {
				scheme, bucket, key, err := objstore.ParseURL(url)
				require.NoError(t, err)
				require.Equal(t, "s3", scheme)
				require.Equal(t, "roundtrip", bucket)
				return base.Get(ctx, key)
			},
		} {
			rc, err := get()
			require.NoError(t, err)
			got, err := io.ReadAll(rc)
			require.NoError(t, err)
			require.NoError(t, rc.Close())
			require.True(t, bytes.Equal(data, got), "byte-for-byte equal")
		}

		// Unknown size.
		_, err = logs.Put(ctx, "unsized", strings.NewReader("abc"), -1)
		require.NoError(t, err)
		rc, err := logs.Get(ctx, "unsized")
		require.NoError(t, err)
		got, _ := io.ReadAll(rc)
		rc.Close()
		require.Equal(t, "abc", string(got))

		_, err = logs.Get(ctx, "missing")
		require.ErrorIs(t, err, objstore.ErrNotFound)
	})

	t.Run("PathTraversalKeysRejected", func(t *testing.T) {
		t.Parallel()
		s := m.Open(t, "traversal")
		for _, key := range []string{"../x", "../../x", "/etc/passwd", "a/../../b", "a/./b", "%2e%2e/x", "a\x00b", "a\\b", "", strings.Repeat("k", 1025)} {
			_, err := s.Put(ctx, key, strings.NewReader("x"), 1)
			require.ErrorIs(t, err, objstore.ErrBadKey, "put %q", key)
			_, err = s.Get(ctx, key)
			require.ErrorIs(t, err, objstore.ErrBadKey, "get %q", key)
			_, _, _, err = objstore.ParseURL("s3://traversal/" + key)
			require.Error(t, err, "url with key %q", key)
		}
		// A prefix that makes a valid key too long is refused too.
		_, err := s.Sub(strings.Repeat("p", 600)).Put(ctx, strings.Repeat("k", 600), strings.NewReader("x"), 1)
		require.ErrorIs(t, err, objstore.ErrBadKey)
		// Nothing was written.
		_, err = s.Put(ctx, "marker", strings.NewReader("x"), 1)
		require.NoError(t, err)
		require.Equal(t, []string{"marker"}, listKeys(t, m, "traversal"))
	})

	t.Run("MissingBucketCreated", func(t *testing.T) {
		t.Parallel()
		loc, err := objstore.ParseLocation(m.Location("created-on-open", "p"))
		require.NoError(t, err)
		s, err := objstore.OpenS3(ctx, loc, m.Credentials())
		require.NoError(t, err)
		_, err = s.Put(ctx, "k", strings.NewReader("x"), 1)
		require.NoError(t, err)
	})

	t.Run("MissingBucketRefused", func(t *testing.T) {
		t.Parallel()
		loc, err := objstore.ParseLocation(m.Location("never-created", "") + "&create=false")
		require.NoError(t, err)
		_, err = objstore.OpenS3(ctx, loc, m.Credentials())
		require.ErrorIs(t, err, objstore.ErrNoBucket)
		require.Contains(t, err.Error(), "never-created")
		require.Contains(t, err.Error(), "create=false")
		// And the bucket still does not exist.
		_, err = objstore.OpenS3(ctx, loc, m.Credentials())
		require.ErrorIs(t, err, objstore.ErrNoBucket)
	})

	t.Run("WrongCredentials", func(t *testing.T) {
		t.Parallel()
		m.Open(t, "wrong-creds")
		loc, err := objstore.ParseLocation(m.Location("wrong-creds", ""))
		require.NoError(t, err)
		for _, c := range []objstore.Credentials{
			{AccessKey: "nobody", SecretKey: "nothing-at-all", Source: "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"},
			{AccessKey: miniotest.User, SecretKey: "wrong-password", Source: "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"},
		} {
			_, err = objstore.OpenS3(ctx, loc, c)
			require.ErrorIs(t, err, objstore.ErrCredentials)
			require.Contains(t, err.Error(), m.Endpoint)
			require.Contains(t, err.Error(), "AWS_ACCESS_KEY_ID")
			s, err := objstore.NewS3(loc, c)
			require.NoError(t, err)
			_, err = s.Put(ctx, "k", strings.NewReader("x"), 1)
			require.ErrorIs(t, err, objstore.ErrCredentials)
		}
	})

	t.Run("UnreachableEndpoint", func(t *testing.T) {
		t.Parallel()
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := l.Addr().String()
		l.Close() // nothing listens there any more
		loc, err := objstore.ParseLocation("s3://b-unreachable?secure=false&endpoint=" + addr)
		require.NoError(t, err)
		start := time.Now()
		_, err = objstore.OpenS3(ctx, loc, m.Credentials())
		require.ErrorIs(t, err, objstore.ErrUnreachable)
		require.Contains(t, err.Error(), addr)
		require.Less(t, time.Since(start), 15*time.Second, "fails fast")
	})
}

func listKeys(t *testing.T, m *miniotest.Server, bucket string) []string {
	t.Helper()
	keys, err := m.Open(t, bucket).Keys(context.Background())
	require.NoError(t, err)
	return keys
}
