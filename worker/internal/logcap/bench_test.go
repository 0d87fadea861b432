package logcap

import (
	"fmt"
	"testing"
)

// BenchmarkWrite measures Write throughput (see MB/s) for large writes, as
// process.Run makes them, and for line-sized writes, with and without a live
// publisher, under the default 10 MiB cap (so most bytes go to the ring).
func BenchmarkWrite(b *testing.B) {
	for _, piece := range []int{32 << 10, 100} {
		for _, live := range []bool{false, true} {
			b.Run(fmt.Sprintf("piece=%d/live=%t", piece, live), func(b *testing.B) {
				cfg := Config{Dir: b.TempDir()}
				if live {
					cfg.PublishFunc = func(Chunk) {}
				}
				c, err := New(cfg)
				if err != nil {
					b.Fatal(err)
				}
				p := make([]byte, piece)
				for i := range p {
					p[i] = byte('a' + i%26)
				}
				b.SetBytes(int64(piece))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := c.Write(p); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				if err := c.Close(); err != nil {
					b.Fatal(err)
				}
				if live {
					chunks := c.Written() / DefaultChunkSize
					b.ReportMetric(float64(c.Dropped())/float64(max(chunks, 1)), "dropped/chunk")
				}
			})
		}
	}
}
