package logcap

import (
	"bytes"
	"io"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// blockStream is a long, cheap, non-periodic output: piece k is a window of a
// random block that starts at a position that moves by a prime each piece.
type blockStream struct {
	rnd   []byte
	piece int
}

func newBlockStream(piece int) *blockStream {
	rng := rand.New(rand.NewPCG(11, 12))
	return &blockStream{rnd: randomBytes(rng, 1<<20+piece), piece: piece}
}

// at returns piece k.
func (s *blockStream) at(k int64) []byte {
	start := (k * 7919) % (1 << 20)
	return s.rnd[start : start+int64(s.piece)]
}

// bytes returns the stream bytes [from, to).
func (s *blockStream) bytes(from, to int64) []byte {
	out := make([]byte, 0, to-from)
	for off := from; off < to; {
		k, i := off/int64(s.piece), off%int64(s.piece)
		n := min(int64(s.piece)-i, to-off)
		out = append(out, s.at(k)[i:i+n]...)
		off += n
	}
	return out
}

// TestMemoryBounded writes 200 MB through a Capture with a 1 MiB cap, the
// volume of a script printing a million lines per second for a few seconds,
// and checks that the heap stays small and the stored log is exact. It is not
// parallel so that other tests do not disturb the heap measurement.
func TestMemoryBounded(t *testing.T) {
	const (
		total    = 200 << 20
		maxBytes = 1 << 20
		heapCap  = 16 << 20
	)
	for _, tc := range []struct {
		name  string
		piece int
		total int64
	}{
		{name: "Blocks64KiB", piece: 64 << 10, total: total},
		{name: "Lines100B", piece: 100, total: total / 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newBlockStream(tc.piece)
			var published int64
			c := newCapture(t, Config{
				MaxBytes:    maxBytes,
				PublishFunc: func(ch Chunk) { published += int64(len(ch.Data)) },
			})
			runtime.GC()
			var ms runtime.MemStats
			var peak uint64
			pieces := tc.total / int64(tc.piece)
			for k := range pieces {
				_, err := c.Write(s.at(k))
				require.NoError(t, err)
				if k%(pieces/64) == 0 {
					runtime.ReadMemStats(&ms)
					peak = max(peak, ms.HeapInuse)
				}
			}
			require.NoError(t, c.Close())
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			t.Logf("wrote %d MB in %d writes; peak HeapInuse %.1f MiB; published %d MB live, dropped %d chunks",
				tc.total>>20, pieces, float64(peak)/(1<<20), published>>20, c.Dropped())
			require.Less(t, peak, uint64(heapCap))

			w := pieces * int64(tc.piece)
			require.Equal(t, w, c.Written())
			require.True(t, c.Truncated())
			rc, size, err := c.Open()
			require.NoError(t, err)
			defer rc.Close()
			got, err := io.ReadAll(rc)
			require.NoError(t, err)
			require.Equal(t, size, int64(len(got)))
			want := s.bytes(0, maxBytes/2)
			want = append(want, "\n[jetcron: "...)
			want = append(want, strconv.FormatInt(w-maxBytes, 10)+" bytes truncated]\n"...)
			want = append(want, s.bytes(w-maxBytes/2, w)...)
			require.True(t, bytes.Equal(want, got), "head, marker and tail are exact")

			tail, start, err := c.ReadStream(w-1000, 1000)
			require.NoError(t, err)
			require.Equal(t, w-1000, start)
			require.Equal(t, s.bytes(w-1000, w), tail)
		})
	}
}
