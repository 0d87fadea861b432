package logcap

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStoredLog(t *testing.T) {
	t.Parallel()

	t.Run("RoundTripUnderCap", func(t *testing.T) {
		t.Parallel()
		const maxBytes = 10_000
		rng := rand.New(rand.NewPCG(1, 2))
		for _, n := range []int{0, 1, 999, maxBytes/2 - 1, maxBytes / 2, maxBytes/2 + 1, maxBytes - 1, maxBytes} {
			c := newCapture(t, Config{MaxBytes: maxBytes})
			stream := randomBytes(rng, n)
			writeRandomly(t, c, rng, stream, 3000)
			require.NoError(t, c.Close())
			require.Equal(t, stream, stored(t, c), "n=%d", n)
			require.False(t, c.Truncated())
			require.Equal(t, int64(n), c.Written())
		}
	})

	t.Run("TruncationLayoutExact", func(t *testing.T) {
		t.Parallel()
		const stream = "0123456789abcdefghijklmnopqrstuvwxyz"
		for _, tc := range []struct {
			maxBytes int64
			written  string
			want     string
		}{
			{10, stream[:10], stream[:10]},
			{10, stream[:11], "01234\n[jetcron: 1 bytes truncated]\n6789a"},
			{10, stream[:20], "01234\n[jetcron: 10 bytes truncated]\nfghij"},
			{11, stream[:11], stream[:11]},
			{11, stream[:12], "01234\n[jetcron: 2 bytes truncated]\n789ab"},
			{11, stream[:36], "01234\n[jetcron: 26 bytes truncated]\nvwxyz"},
			{1, stream[:1], "0"},
			{1, stream[:2], "\n[jetcron: 2 bytes truncated]\n"},
			{2, stream[:3], "0\n[jetcron: 1 bytes truncated]\n2"},
		} {
			for _, piece := range []int{1, 3, 64} {
				c := newCapture(t, Config{MaxBytes: tc.maxBytes})
				for w := tc.written; len(w) > 0; {
					n := min(piece, len(w))
					_, err := c.Write([]byte(w[:n]))
					require.NoError(t, err)
					w = w[n:]
				}
				require.NoError(t, c.Close())
				require.Equal(t, tc.want, string(stored(t, c)), "max %d, %d bytes in pieces of %d", tc.maxBytes, len(tc.written), piece)
				require.Equal(t, int64(len(tc.written)) > tc.maxBytes, c.Truncated())
			}
		}
	})

	t.Run("TruncationLayoutRandom", func(t *testing.T) {
		t.Parallel()
		rng := rand.New(rand.NewPCG(3, 4))
		for _, maxBytes := range []int64{1, 2, 3, 10, 11, 4096, 4097, 65535, 65536, 200_001} {
			ring := maxBytes - maxBytes/2
			for _, n := range []int64{maxBytes + 1, maxBytes + ring - 1, maxBytes + ring, maxBytes + ring + 1, 2*maxBytes + 3, 7*maxBytes + 5} {
				if n <= maxBytes {
					continue
				}
				c := newCapture(t, Config{MaxBytes: maxBytes})
				stream := randomBytes(rng, int(n))
				// Pieces up to twice the cap cover writes larger than the
				// ring and larger than the write buffer.
				writeRandomly(t, c, rng, stream, int(min(2*maxBytes+1, 300_000)))
				require.NoError(t, c.Close())
				require.Equal(t, wantStored(stream, maxBytes), stored(t, c), "max %d, %d bytes", maxBytes, n)
				require.True(t, c.Truncated())
			}
		}
	})

	t.Run("StorageErrorIsSticky", func(t *testing.T) {
		t.Parallel()
		sink := make(chunkSink, 16)
		c := newCapture(t, Config{MemBytes: 4, PublishFunc: sink.publish})
		_, err := c.Write([]byte("fine!")) // past MemBytes: on disk
		require.NoError(t, err)
		require.True(t, c.DirCreated())
		require.NoError(t, c.st.head.Close()) // as if the disk went away
		_, err = c.Write(make([]byte, 4))
		require.ErrorIs(t, err, os.ErrClosed)
		_, err = c.Write([]byte("x"))
		require.ErrorIs(t, err, os.ErrClosed, "the error sticks")
		_, _, err = c.ReadStream(0, 10)
		require.ErrorIs(t, err, os.ErrClosed)
		require.ErrorIs(t, c.Close(), os.ErrClosed)
		_, _, err = c.Open()
		require.ErrorIs(t, err, os.ErrClosed)
		last := sink.next(t)
		require.True(t, last.EOF, "followers still learn that the run ended")
	})

	t.Run("OpenBeforeClose", func(t *testing.T) {
		t.Parallel()
		c := newCapture(t, Config{})
		_, _, err := c.Open()
		require.ErrorIs(t, err, ErrNotClosed)
	})
}

func TestReadStream(t *testing.T) {
	t.Parallel()

	const maxBytes = 1000 // head [0,500), ring of 500
	rng := rand.New(rand.NewPCG(5, 6))
	stream := randomBytes(rng, 3210)

	// check verifies one ReadStream against the stream: the data is the
	// stream from the returned start, which is the offset itself unless the
	// offset was left out.
	check := func(t *testing.T, c *Capture, w int64, offset int64, limit int) ([]byte, int64) {
		t.Helper()
		data, start, err := c.ReadStream(offset, limit)
		require.NoError(t, err)
		headEnd, ringStart := min(w, maxBytes/2), max(maxBytes/2, w-maxBytes/2)
		if offset < headEnd || offset >= ringStart {
			require.Equal(t, offset, start)
		} else {
			require.Equal(t, ringStart, start, "an offset that was left out starts at the oldest byte held")
		}
		require.LessOrEqual(t, len(data), limit)
		require.True(t, bytes.Equal(stream[start:start+int64(len(data))], data), "data at %d", start)
		if start < headEnd && w > maxBytes {
			require.LessOrEqual(t, start+int64(len(data)), headEnd, "a read never spans the gap")
		}
		return data, start
	}

	t.Run("WhileWriting", func(t *testing.T) {
		t.Parallel()
		c := newCapture(t, Config{MaxBytes: maxBytes})
		var w int64
		for w < int64(len(stream)) {
			n := min(int64(len(stream))-w, 1+rng.Int64N(300))
			_, err := c.Write(stream[w : w+n])
			require.NoError(t, err)
			w += n
			for range 5 {
				check(t, c, w, rng.Int64N(w+1), 1+rng.IntN(700))
			}
		}
	})

	t.Run("AfterClose", func(t *testing.T) {
		t.Parallel()
		c := newCapture(t, Config{MaxBytes: maxBytes})
		_, err := c.Write(stream)
		require.NoError(t, err)
		require.NoError(t, c.Close())
		w := int64(len(stream))

		data, start := check(t, c, w, 0, 10_000)
		require.Equal(t, int64(0), start)
		require.Equal(t, stream[:500], data, "the head stops at the gap")

		data, start = check(t, c, w, 500, 10_000)
		require.Equal(t, w-500, start)
		require.Equal(t, stream[w-500:], data, "the tail is the last ring-full")

		data, start = check(t, c, w, w-10, 4)
		require.Equal(t, w-10, start)
		require.Len(t, data, 4)

		data, start = check(t, c, w, w, 10)
		require.Equal(t, w, start)
		require.Empty(t, data, "nothing at the end of the output")

		// A follower walks the whole stream: head, then a jump, then tail.
		var got []byte
		var jumps int
		for off := int64(0); off < w; {
			data, start := check(t, c, w, off, 77)
			if start != off {
				jumps++
			}
			got = append(got, data...)
			off = start + int64(len(data))
		}
		require.Equal(t, 1, jumps)
		require.Equal(t, append(append([]byte(nil), stream[:500]...), stream[w-500:]...), got)
	})

	t.Run("UnderCapIsContiguous", func(t *testing.T) {
		t.Parallel()
		c := newCapture(t, Config{MaxBytes: maxBytes})
		_, err := c.Write(stream[:maxBytes])
		require.NoError(t, err)
		data, start := check(t, c, maxBytes, 10, 10_000)
		require.Equal(t, int64(10), start)
		require.Equal(t, stream[10:maxBytes], data, "head and ring read as one")
	})

	t.Run("BadArguments", func(t *testing.T) {
		t.Parallel()
		c := newCapture(t, Config{MaxBytes: maxBytes})
		_, err := c.Write(stream[:100])
		require.NoError(t, err)
		_, _, err = c.ReadStream(-1, 10)
		require.Error(t, err)
		_, _, err = c.ReadStream(101, 10)
		require.Error(t, err)
		_, _, err = c.ReadStream(0, 0)
		require.Error(t, err)
	})
}

func TestNew(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"NoDir", Config{}, "dir: required"},
		{"NegativeMax", Config{Dir: "x", MaxBytes: -1}, "max bytes"},
		{"NegativeMem", Config{Dir: "x", MemBytes: -1}, "mem bytes"},
		{"NegativeChunk", Config{Dir: "x", ChunkSize: -1}, "chunk size"},
		{"NegativeInterval", Config{Dir: "x", FlushInterval: -1}, "flush interval"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tc.cfg)
			require.ErrorContains(t, err, tc.want)
		})
	}

	t.Run("FilesExist", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(dir, RingFile)))
		_, _, err := createFiles(dir)
		require.ErrorIs(t, err, os.ErrExist)
		_, err = os.Stat(filepath.Join(dir, HeadFile))
		require.NoError(t, err, "the head was created before the ring failed")
	})

	t.Run("Defaults", func(t *testing.T) {
		t.Parallel()
		c := newCapture(t, Config{})
		require.Equal(t, int64(DefaultMaxBytes), c.cfg.MaxBytes)
		require.Equal(t, DefaultMemBytes, c.cfg.MemBytes)
		require.Equal(t, DefaultChunkSize, c.cfg.ChunkSize)
		require.Equal(t, DefaultFlushInterval, c.cfg.FlushInterval)
		require.NotNil(t, c.cfg.Clock)
	})

	t.Run("WriteAfterClose", func(t *testing.T) {
		t.Parallel()
		c := newCapture(t, Config{})
		_, err := c.Write([]byte(strings.Repeat("x", 10)))
		require.NoError(t, err)
		require.NoError(t, c.Close())
		require.NoError(t, c.Close(), "Close is idempotent")
		_, err = c.Write([]byte("y"))
		require.ErrorIs(t, err, ErrClosed)
		require.Equal(t, "xxxxxxxxxx", string(stored(t, c)))
	})
}
