package logcap

import (
	"time"

	"github.com/jetcron/jetcron/pkg/clock"
)

// liveLocked cuts p, which Write has not yet counted in written, into live
// chunks. Full chunks are queued at once; a partial one waits for more output
// or for the flush timer.
func (c *Capture) liveLocked(p []byte) {
	end := c.written.Load() // stream offset after the bytes consumed from p
	for len(p) > 0 {
		if c.pend == nil {
			c.pend = make([]byte, 0, c.cfg.ChunkSize)
		}
		n := min(len(p), c.cfg.ChunkSize-len(c.pend))
		c.pend = append(c.pend, p[:n]...)
		p, end = p[n:], end+int64(n)
		if len(c.pend) == c.cfg.ChunkSize {
			c.emitLocked(end - int64(c.cfg.ChunkSize))
		}
	}
	if len(c.pend) > 0 && !c.kicked {
		c.kicked = true
		select {
		case c.kick <- struct{}{}:
		default: // a kick is pending already
		}
	}
}

// emitLocked queues the pending chunk, which starts at offset, or drops it
// if the queue is full.
func (c *Capture) emitLocked(offset int64) {
	select {
	case c.queue <- Chunk{Data: c.pend[:len(c.pend):len(c.pend)], Offset: offset}:
		c.pend = nil
	default:
		c.dropped.Add(1)
		c.pend = c.pend[:0]
	}
	c.kicked = false
}

// flushPartial queues the pending partial chunk when the flush timer fires.
func (c *Capture) flushPartial() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || len(c.pend) == 0 {
		return
	}
	c.emitLocked(c.written.Load() - int64(len(c.pend)))
}

// pump is the single goroutine that calls PublishFunc. It also runs the flush
// timer, armed when a partial chunk starts.
func (c *Capture) pump() {
	defer close(c.pumpDone)
	var (
		timer clock.Timer
		fire  <-chan time.Time // nil while the timer is not armed
	)
	for {
		select {
		case ch, ok := <-c.queue:
			if !ok {
				if timer != nil {
					timer.Stop()
				}
				return
			}
			c.cfg.PublishFunc(ch)
		case <-c.kick:
			if fire != nil {
				continue // armed already; it flushes whatever is pending
			}
			if timer == nil {
				timer = c.cfg.Clock.NewTimer(c.cfg.FlushInterval)
			} else {
				timer.Reset(c.cfg.FlushInterval)
			}
			fire = timer.C()
		case <-fire:
			fire = nil
			c.flushPartial()
		}
	}
}
