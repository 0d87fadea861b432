package logcap

import (
	"bytes"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// requireNoDir checks that dir does not exist.
func requireNoDir(t *testing.T, dir string) {
	t.Helper()
	_, err := os.Lstat(dir)
	require.ErrorIs(t, err, fs.ErrNotExist, "%s exists", dir)
}

// requireFiles checks that dir is a 0700 directory holding exactly the
// capture files, mode 0600.
func requireFiles(t *testing.T, dir string) {
	t.Helper()
	st, err := os.Lstat(dir)
	require.NoError(t, err)
	require.True(t, st.IsDir())
	require.Equal(t, fs.FileMode(0o700), st.Mode().Perm())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		info, err := e.Info()
		require.NoError(t, err)
		require.True(t, info.Mode().IsRegular())
		require.Equal(t, fs.FileMode(0o600), info.Mode().Perm())
	}
	require.ElementsMatch(t, []string{HeadFile, RingFile}, names)
}

// readAll walks the output with ReadStream from offset 0 in reads of up to
// limit bytes, jumping over the bytes left out as a follower does.
func readAll(t *testing.T, c *Capture, limit int) []byte {
	t.Helper()
	got := []byte{}
	for off := int64(0); off < c.Written(); {
		data, start, err := c.ReadStream(off, limit)
		require.NoError(t, err)
		require.NotEmpty(t, data)
		got = append(got, data...)
		off = start + int64(len(data))
	}
	return got
}

// wantStream is what readAll returns for stream under maxBytes: the whole
// stream, or the head and the tail the stored log keeps.
func wantStream(stream []byte, maxBytes int64) []byte {
	w := int64(len(stream))
	if w <= maxBytes {
		return stream
	}
	h := maxBytes / 2
	return append(append([]byte(nil), stream[:h]...), stream[w-(maxBytes-h):]...)
}

func TestSpill(t *testing.T) {
	t.Parallel()

	t.Run("BelowThresholdNoFiles", func(t *testing.T) {
		t.Parallel()
		rng := rand.New(rand.NewPCG(21, 22))
		for _, n := range []int{0, 1, 1000, DefaultMemBytes - 1, DefaultMemBytes} {
			parent := t.TempDir()
			dir := filepath.Join(parent, "logs", "run")
			sink := make(chunkSink, 64)
			c := newCapture(t, Config{Dir: dir, PublishFunc: sink.publish})
			stream := randomBytes(rng, n)
			writeRandomly(t, c, rng, stream, 5000)
			require.Equal(t, stream, readAll(t, c, 777), "n=%d: ReadStream before Close", n)
			require.NoError(t, c.Close())
			require.Equal(t, stream, readAll(t, c, 1<<20), "n=%d: ReadStream after Close", n)
			require.Equal(t, stream, stored(t, c), "n=%d", n)
			require.Equal(t, stream, stored(t, c), "n=%d: Open again (a retried upload)", n)
			require.False(t, c.DirCreated())
			require.False(t, c.Truncated())
			entries, err := os.ReadDir(parent)
			require.NoError(t, err)
			require.Empty(t, entries, "n=%d: nothing on disk, not even the parents", n)
			require.LessOrEqual(t, cap(c.st.buf), DefaultMemBytes)
		}
	})

	t.Run("CrossingInOneWrite", func(t *testing.T) {
		t.Parallel()
		rng := rand.New(rand.NewPCG(23, 24))
		for _, tc := range []struct {
			name             string
			memBytes         int
			maxBytes         int64
			before, crossing int
		}{
			{"FromEmpty", 1000, 10_000, 0, 1001},
			{"HeldThenSmall", 1000, 10_000, 999, 2},
			{"HeldThenLarge", 1000, 10_000, 500, 5000},
			{"HeldThenLargerThanCap", 1000, 10_000, 700, 25_000},
			{"TruncatedInMemoryLimit", 64 << 10, 1000, 1000, 1},
			{"TruncatedFromEmpty", 64 << 10, 1000, 0, 4321},
			{"DefaultThreshold", 0, 0, DefaultMemBytes, 1},
		} {
			dir := filepath.Join(t.TempDir(), "run")
			c := newCapture(t, Config{Dir: dir, MaxBytes: tc.maxBytes, MemBytes: tc.memBytes})
			maxBytes := c.cfg.MaxBytes
			stream := randomBytes(rng, tc.before+tc.crossing)
			if tc.before > 0 {
				_, err := c.Write(stream[:tc.before])
				require.NoError(t, err, tc.name)
			}
			requireNoDir(t, dir)
			_, err := c.Write(stream[tc.before:])
			require.NoError(t, err, tc.name)
			require.True(t, c.DirCreated(), tc.name)
			requireFiles(t, dir)
			require.Equal(t, wantStream(stream, maxBytes), readAll(t, c, 999), "%s: ReadStream before Close", tc.name)
			require.NoError(t, c.Close())
			require.Equal(t, wantStored(stream, maxBytes), stored(t, c), tc.name)
			require.Equal(t, wantStream(stream, maxBytes), readAll(t, c, 1<<20), "%s: ReadStream after Close", tc.name)
			require.Equal(t, int64(len(stream)) > maxBytes, c.Truncated(), tc.name)
		}
	})

	t.Run("CrossingInManyWrites", func(t *testing.T) {
		t.Parallel()
		rng := rand.New(rand.NewPCG(25, 26))
		for _, tc := range []struct {
			memBytes int
			maxBytes int64
			n        int
			piece    int
		}{
			{1000, 10_000, 9_999, 300},
			{1000, 10_000, 10_000, 1},
			{1000, 10_000, 10_001, 700},
			{1000, 10_000, 123_457, 3000},
			{4096, 4097, 50_000, 100},
			{5000, 3000, 20_000, 450}, // the cap is below the threshold
			{1, 10, 100, 3},
			{DefaultMemBytes, 1 << 20, 3 << 20, 40_000},
		} {
			dir := filepath.Join(t.TempDir(), "run")
			c := newCapture(t, Config{Dir: dir, MaxBytes: tc.maxBytes, MemBytes: tc.memBytes})
			limit := int(min(int64(tc.memBytes), tc.maxBytes))
			stream := randomBytes(rng, tc.n)
			var w int
			for w < len(stream) {
				n := min(len(stream)-w, 1+rng.IntN(tc.piece))
				_, err := c.Write(stream[w : w+n])
				require.NoError(t, err)
				w += n
				if w <= limit {
					requireNoDir(t, dir)
				} else {
					requireFiles(t, dir)
				}
				require.LessOrEqual(t, cap(c.st.buf), limit, "memory never exceeds the threshold")
				if rng.IntN(10) == 0 {
					off := rng.Int64N(int64(w))
					data, start, err := c.ReadStream(off, 1+rng.IntN(2000))
					require.NoError(t, err)
					require.True(t, bytes.Equal(stream[start:start+int64(len(data))], data), "data at %d", start)
				}
			}
			require.NoError(t, c.Close())
			require.Equal(t, wantStored(stream, tc.maxBytes), stored(t, c), "mem %d, max %d, %d bytes", tc.memBytes, tc.maxBytes, tc.n)
			require.Equal(t, wantStream(stream, tc.maxBytes), readAll(t, c, 1234))
			require.Equal(t, tc.n > limit, c.DirCreated())
		}
	})

	t.Run("ReadStreamReturnsACopy", func(t *testing.T) {
		t.Parallel()
		c := newCapture(t, Config{MemBytes: 8})
		_, err := c.Write([]byte("abcdef"))
		require.NoError(t, err)
		data, _, err := c.ReadStream(0, 10)
		require.NoError(t, err)
		copy(data, "XXXXXX")
		_, err = c.Write([]byte("ghijk")) // spills; the memory becomes the write buffer
		require.NoError(t, err)
		require.NoError(t, c.Close())
		require.Equal(t, "abcdefghijk", string(stored(t, c)))
	})

	t.Run("LeftoverDirReplaced", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(t.TempDir(), "run")
		victim := filepath.Join(t.TempDir(), "victim")
		require.NoError(t, os.WriteFile(victim, []byte("keep"), 0o600))
		require.NoError(t, os.Mkdir(dir, 0o755))
		require.NoError(t, os.Symlink(victim, filepath.Join(dir, RingFile)))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "stale"), []byte("x"), 0o644))

		c := newCapture(t, Config{Dir: dir, MemBytes: 4, MaxBytes: 10})
		_, err := c.Write([]byte("0123456789abcdef"))
		require.NoError(t, err)
		requireFiles(t, dir)
		require.NoError(t, c.Close())
		require.Equal(t, "01234\n[jetcron: 6 bytes truncated]\nbcdef", string(stored(t, c)))
		b, err := os.ReadFile(victim)
		require.NoError(t, err)
		require.Equal(t, "keep", string(b), "nothing written through the planted link")
	})

	t.Run("ParentsCreatedPrivate", func(t *testing.T) {
		t.Parallel()
		root := t.TempDir()
		dir := filepath.Join(root, "work", "logs", "run")
		c := newCapture(t, Config{Dir: dir, MemBytes: 1})
		_, err := c.Write([]byte("ab"))
		require.NoError(t, err)
		requireFiles(t, dir)
		for _, d := range []string{filepath.Join(root, "work"), filepath.Join(root, "work", "logs")} {
			st, err := os.Stat(d)
			require.NoError(t, err)
			require.Equal(t, fs.FileMode(0o700), st.Mode().Perm(), d)
		}
	})

	t.Run("SpillFailureIsSticky", func(t *testing.T) {
		t.Parallel()
		parent := filepath.Join(t.TempDir(), "file")
		require.NoError(t, os.WriteFile(parent, nil, 0o600))
		sink := make(chunkSink, 16)
		c := newCapture(t, Config{Dir: filepath.Join(parent, "run"), MemBytes: 4, PublishFunc: sink.publish})
		_, err := c.Write([]byte("fine"))
		require.NoError(t, err, "held in memory")
		_, err = c.Write([]byte("!"))
		require.ErrorContains(t, err, "create capture dir")
		_, err = c.Write([]byte("x"))
		require.ErrorContains(t, err, "create capture dir", "the error sticks")
		_, _, err = c.ReadStream(0, 10)
		require.ErrorContains(t, err, "create capture dir")
		require.ErrorContains(t, c.Close(), "create capture dir")
		_, _, err = c.Open()
		require.ErrorContains(t, err, "create capture dir")
		require.False(t, c.DirCreated())
		require.Equal(t, int64(4), c.Written())
		last := sink.next(t)
		require.True(t, last.EOF, "followers still learn that the run ended")
		require.Equal(t, "fine", string(last.Data))
	})

	t.Run("CloseOpenOrdering", func(t *testing.T) {
		t.Parallel()
		for _, n := range []int{0, 10, 100} { // empty, in memory, on disk
			c := newCapture(t, Config{MemBytes: 50})
			_, err := c.Write(bytes.Repeat([]byte("x"), n))
			require.NoError(t, err)
			_, _, err = c.Open()
			require.ErrorIs(t, err, ErrNotClosed, "n=%d", n)
			require.NoError(t, c.Close())
			require.NoError(t, c.Close(), "n=%d: Close is idempotent", n)
			_, err = c.Write([]byte("y"))
			require.ErrorIs(t, err, ErrClosed, "n=%d", n)
			for range 2 {
				rc, size, err := c.Open()
				require.NoError(t, err)
				b, err := io.ReadAll(rc)
				require.NoError(t, err)
				require.NoError(t, rc.Close())
				require.Equal(t, int64(n), size)
				require.Equal(t, bytes.Repeat([]byte("x"), n), b, "n=%d", n)
			}
			require.Equal(t, n > 50, c.DirCreated())
		}
	})
}
