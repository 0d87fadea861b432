package logcap

import (
	"bytes"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/clock"
)

func TestLive(t *testing.T) {
	t.Parallel()

	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

	type testBundle struct {
		clock *clock.Fake
		sink  chunkSink
	}

	// setup returns a Capture on a fake clock that never fires unless the
	// test advances it, so chunks come only from full chunks and Close.
	setup := func(t *testing.T, cfg Config) (*Capture, *testBundle) {
		t.Helper()
		b := &testBundle{clock: clock.NewFake(t0), sink: make(chunkSink, 1024)}
		cfg.Clock = b.clock
		cfg.PublishFunc = b.sink.publish
		return newCapture(t, cfg), b
	}

	t.Run("ChunksContiguousAndComplete", func(t *testing.T) {
		t.Parallel()
		const chunkSize = 1000
		c, b := setup(t, Config{ChunkSize: chunkSize, MaxBytes: 100})
		rng := rand.New(rand.NewPCG(7, 8))
		stream := randomBytes(rng, 123_457)
		var got []byte
		var next int64
		for w := 0; w < len(stream); {
			n := min(len(stream)-w, 1+rng.IntN(5*chunkSize))
			_, err := c.Write(stream[w : w+n])
			require.NoError(t, err)
			w += n
			// Wait for every full chunk this write completed, so that
			// the publisher keeps up by construction.
			for int64(w)-next >= chunkSize {
				ch := b.sink.next(t)
				require.Equal(t, next, ch.Offset)
				require.Len(t, ch.Data, chunkSize)
				require.False(t, ch.EOF)
				got = append(got, ch.Data...)
				next += chunkSize
			}
			b.sink.none(t)
		}
		require.NoError(t, c.Close())
		last := b.sink.next(t)
		require.True(t, last.EOF)
		require.Equal(t, next, last.Offset)
		require.Len(t, last.Data, len(stream)%chunkSize)
		got = append(got, last.Data...)
		b.sink.none(t)
		require.Equal(t, stream, got, "the chunks are the raw stream, untouched by the cap")
		require.Zero(t, c.Dropped())
	})

	t.Run("EOFChunkEmptyAfterFullChunk", func(t *testing.T) {
		t.Parallel()
		c, b := setup(t, Config{ChunkSize: 4})
		_, err := c.Write([]byte("abcdefgh"))
		require.NoError(t, err)
		require.Equal(t, Chunk{Offset: 0, Data: []byte("abcd")}, b.sink.next(t))
		require.Equal(t, Chunk{Offset: 4, Data: []byte("efgh")}, b.sink.next(t))
		require.NoError(t, c.Close())
		last := b.sink.next(t)
		require.Equal(t, int64(8), last.Offset)
		require.Empty(t, last.Data)
		require.True(t, last.EOF)
	})

	t.Run("EOFChunkWithoutOutput", func(t *testing.T) {
		t.Parallel()
		c, b := setup(t, Config{})
		require.NoError(t, c.Close())
		last := b.sink.next(t)
		require.Equal(t, int64(0), last.Offset)
		require.Empty(t, last.Data)
		require.True(t, last.EOF)
		b.sink.none(t)
	})

	t.Run("FlushIntervalEmitsPartialChunk", func(t *testing.T) {
		t.Parallel()
		c, b := setup(t, Config{FlushInterval: time.Second})
		_, err := c.Write([]byte("hello"))
		require.NoError(t, err)
		b.clock.BlockUntil(1) // the pump armed the flush timer
		b.sink.none(t)
		b.clock.Advance(999 * time.Millisecond)
		b.sink.none(t)
		b.clock.Advance(time.Millisecond)
		require.Equal(t, Chunk{Offset: 0, Data: []byte("hello")}, b.sink.next(t))

		// The timer is armed again by the next partial chunk.
		_, err = c.Write([]byte(" world"))
		require.NoError(t, err)
		b.clock.BlockUntil(1)
		b.clock.Advance(time.Second)
		require.Equal(t, Chunk{Offset: 5, Data: []byte(" world")}, b.sink.next(t))

		require.NoError(t, c.Close())
		require.Equal(t, Chunk{Offset: 11, Data: nil, EOF: true}, b.sink.next(t))
	})

	t.Run("FlushIntervalRealClock", func(t *testing.T) {
		t.Parallel()
		sink := make(chunkSink, 16)
		c := newCapture(t, Config{FlushInterval: time.Millisecond, PublishFunc: sink.publish})
		for i, s := range []string{"one", "two", "three"} {
			_, err := c.Write([]byte(s))
			require.NoError(t, err)
			ch := sink.next(t)
			require.Equal(t, s, string(ch.Data), "partial chunk %d", i)
			require.False(t, ch.EOF)
		}
		require.NoError(t, c.Close())
		require.True(t, sink.next(t).EOF)
	})

	t.Run("SlowPublishDropsRatherThanBlocks", func(t *testing.T) {
		t.Parallel()
		const chunkSize = 100
		release := make(chan struct{})
		var (
			mu     sync.Mutex // guards chunks
			chunks []Chunk
		)
		blocked := make(chan struct{})
		var once sync.Once
		c := newCapture(t, Config{
			ChunkSize: chunkSize,
			Clock:     clock.NewFake(t0), // no partial chunks from the timer
			PublishFunc: func(ch Chunk) {
				once.Do(func() {
					close(blocked)
					<-release // a publisher stuck on the network
				})
				mu.Lock()
				defer mu.Unlock()
				chunks = append(chunks, ch)
			},
		})
		rng := rand.New(rand.NewPCG(9, 10))
		stream := randomBytes(rng, 100*chunkSize+37)
		_, err := c.Write(stream[:chunkSize])
		require.NoError(t, err)
		<-blocked

		wrote := make(chan error, 1)
		go func() {
			var err error
			for w := chunkSize; w < len(stream) && err == nil; w += chunkSize / 2 {
				_, err = c.Write(stream[w:min(w+chunkSize/2, len(stream))])
			}
			wrote <- err
		}()
		select {
		case err := <-wrote:
			require.NoError(t, err)
		case <-time.After(10 * time.Second):
			close(release)
			require.FailNow(t, "Write blocked on a stuck publisher")
		}
		// 99 more full chunks were cut; at most queueLen fit in the queue.
		require.GreaterOrEqual(t, c.Dropped(), int64(99-queueLen))
		close(release)
		require.NoError(t, c.Close())

		mu.Lock()
		defer mu.Unlock()
		require.Equal(t, Chunk{Offset: 0, Data: stream[:chunkSize]}, chunks[0])
		var end int64
		for i, ch := range chunks {
			require.GreaterOrEqual(t, ch.Offset, end, "chunk %d is in order and does not overlap", i)
			require.True(t, bytes.Equal(stream[ch.Offset:ch.Offset+int64(len(ch.Data))], ch.Data), "chunk %d holds the stream's bytes", i)
			require.Equal(t, i == len(chunks)-1, ch.EOF)
			end = ch.Offset + int64(len(ch.Data))
		}
		require.Equal(t, int64(len(stream)), end)
		require.Equal(t, int64(len(chunks)-1)+c.Dropped(), int64(len(stream)/chunkSize), "every full chunk was published or counted as dropped")
		require.Equal(t, stream, stored(t, c), "the stored log is complete regardless")
	})
}
