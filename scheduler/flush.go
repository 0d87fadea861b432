package scheduler

import "context"

// startFlush writes the dirty cursors in the background: the loop goes on
// firing while the server commits them, and settles the flush when it is
// handed back. One flush at a time: the next expects the revisions this
// one writes.
func (r *leaderRun) startFlush(ctx context.Context) {
	b := r.state.take()
	r.flushing = b
	r.bg.Add(1)
	go func() {
		defer r.bg.Done()
		r.state.send(ctx, r.s.nc, r.s.js, b)
		r.flushed <- b
	}()
}
