package client

import (
	"fmt"
	"io"
	"sync"

	"github.com/nats-io/nats.go"
)

// FollowBuffer is the most live log output, in bytes, that one follower
// holds while its writer is slow. Chunks that arrive beyond it are dropped:
// the follower skips ahead with a "[… N bytes skipped …]" marker instead of
// growing without limit.
const FollowBuffer = 1 << 20

// chunkQueue holds live log chunks between the subscription and a
// follower, bounded in bytes. Pushing never blocks: a chunk that does not
// fit is dropped and the follower sees a gap.
type chunkQueue struct {
	max   int
	ready chan struct{} // signalled (capacity 1) when a chunk is queued

	mu      sync.Mutex // guards the fields below
	q       []*nats.Msg
	bytes   int   // bytes of Data queued
	peak    int   // the most bytes ever queued
	dropped int64 // chunks dropped because the queue was full
}

func newChunkQueue(max int) *chunkQueue {
	return &chunkQueue{max: max, ready: make(chan struct{}, 1)}
}

// push queues m, or drops it if the queue would hold more than max bytes.
func (q *chunkQueue) push(m *nats.Msg) {
	q.mu.Lock()
	if q.bytes+len(m.Data) > q.max && len(q.q) > 0 || len(m.Data) > q.max {
		q.dropped++
		q.mu.Unlock()
		return
	}
	q.q = append(q.q, m)
	q.bytes += len(m.Data)
	q.peak = max(q.peak, q.bytes)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// pop returns the oldest queued chunk, if any, and whether chunks were
// dropped since the last pop (a gap before the next chunk is then skipped,
// not caught up).
func (q *chunkQueue) pop() (m *nats.Msg, lossy bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.q) == 0 {
		return nil, false
	}
	m = q.q[0]
	q.q[0] = nil
	q.q = q.q[1:]
	if len(q.q) == 0 {
		q.q = nil // let the backing array go
	}
	q.bytes -= len(m.Data)
	lossy = q.dropped > 0
	q.dropped = 0
	return m, lossy
}

// Peak returns the most bytes the queue ever held.
func (q *chunkQueue) Peak() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.peak
}

// tailWriter keeps the last max bytes written to it.
type tailWriter struct {
	max     int
	buf     []byte
	skipped int64
}

func (t *tailWriter) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) >= t.max {
		t.skipped += int64(len(t.buf) + len(p) - t.max)
		t.buf = append(t.buf[:0], p[len(p)-t.max:]...)
		return n, nil
	}
	if over := len(t.buf) + len(p) - t.max; over > 0 {
		t.skipped += int64(over)
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	t.buf = append(t.buf, p...)
	return n, nil
}

// flush writes the skip marker, if bytes were skipped, and the tail.
func (t *tailWriter) flush(w io.Writer) error {
	if t.skipped > 0 {
		if _, err := fmt.Fprintf(w, "\n[… %d bytes skipped …]\n", t.skipped); err != nil {
			return err
		}
	}
	_, err := w.Write(t.buf)
	return err
}
