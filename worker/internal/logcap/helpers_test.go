package logcap

import (
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// newCapture returns a Capture; Dir defaults to a path that does not exist
// yet in t.TempDir(), as the worker's are. It is closed at the end of the
// test if the test did not.
func newCapture(t *testing.T, cfg Config) *Capture {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = filepath.Join(t.TempDir(), "run")
	}
	c, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// stored returns the stored log of a closed Capture and checks its size.
func stored(t *testing.T, c *Capture) []byte {
	t.Helper()
	rc, size, err := c.Open()
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.Equal(t, size, int64(len(b)), "Open reports the size it returns")
	return b
}

// wantStored is the reference for Open: the stream whole, or head, marker
// and tail.
func wantStored(stream []byte, maxBytes int64) []byte {
	w := int64(len(stream))
	if w <= maxBytes {
		return stream
	}
	h := maxBytes / 2
	out := append([]byte(nil), stream[:h]...)
	out = fmt.Appendf(out, "\n[jetcron: %d bytes truncated]\n", w-2*h)
	return append(out, stream[w-h:]...)
}

// randomBytes returns n pseudo-random bytes from rng.
func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// writeRandomly writes stream to c in pieces of 1 to maxPiece bytes.
func writeRandomly(t *testing.T, c *Capture, rng *rand.Rand, stream []byte, maxPiece int) {
	t.Helper()
	for len(stream) > 0 {
		n := min(len(stream), 1+rng.IntN(maxPiece))
		k, err := c.Write(stream[:n])
		require.NoError(t, err)
		require.Equal(t, n, k)
		stream = stream[n:]
	}
}

// chunkSink is a PublishFunc that hands chunks to the test over a channel.
type chunkSink chan Chunk

func (s chunkSink) publish(ch Chunk) { s <- ch }

// next returns the next published chunk, waiting up to 10s.
func (s chunkSink) next(t *testing.T) Chunk {
	t.Helper()
	select {
	case ch := <-s:
		return ch
	case <-time.After(10 * time.Second):
		require.FailNow(t, "no chunk published")
		return Chunk{}
	}
}

// none checks that no chunk is waiting.
func (s chunkSink) none(t *testing.T) {
	t.Helper()
	select {
	case ch := <-s:
		require.FailNow(t, "unexpected chunk", "%+v", ch)
	default:
	}
}
