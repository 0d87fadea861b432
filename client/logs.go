package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/objstore"
)

// Headers of live log chunks and log reads (as the worker sends them).
const (
	headerOffset  = "Jetcron-Offset"
	headerEOF     = "Jetcron-Eof"
	headerAttempt = "Jetcron-Attempt"
	headerWritten = "Jetcron-Written"
)

// ErrNoLog means the execution has no stored log (yet).
var ErrNoLog = errors.New("no stored log")

// Log copies the stored log of an execution's attempt (0: the last one
// that has a log) to w, wherever the workers keep it (see CopyLog): the
// key is derived from the execution ID and attempt, and a location named by
// an event is never opened.
func (c *Client) Log(ctx context.Context, id string, attempt int, w io.Writer) error {
	if _, _, err := job.ParseExecutionID(id); err != nil {
		return fmt.Errorf("%w: %w", job.ErrInvalid, err)
	}
	x, err := c.reader.Get(ctx, id)
	if err != nil {
		return err
	}
	n, empty := 0, false
	for _, a := range x.Attempts {
		if a.LogURL != "" && (attempt == 0 || a.N == attempt) {
			n, empty = a.N, a.LogBytes == 0
		}
	}
	if n == 0 && attempt == 0 && x.LogURL != "" {
		n = x.Attempt
	}
	if n == 0 {
		return fmt.Errorf("execution %s (%s): %w", id, x.State, ErrNoLog)
	}
	if empty {
		return nil // the attempt printed nothing: no object was stored
	}
	return c.CopyLog(ctx, id, n, w)
}

// CopyLog copies the stored log of attempt n of execution id to w: from the
// log store given with WithLogStore, else from the NATS object store
// <ns>-logs, or, when the log is not there (the workers keep logs in S3),
// through the workers (fetchLog). A client needs no store credentials.
func (c *Client) CopyLog(ctx context.Context, id string, n int, w io.Writer) error {
	jobName, _, err := job.ParseExecutionID(id)
	if err != nil {
		return fmt.Errorf("%w: %w", job.ErrInvalid, err)
	}
	if n < 1 {
		return fmt.Errorf("%w: attempt %d", job.ErrInvalid, n)
	}
	store, own, err := c.logStore(ctx)
	if err != nil && own {
		return err
	}
	key := objstore.LogKey(jobName, id, n)
	var rc io.ReadCloser
	if err == nil {
		rc, err = store.Get(ctx, key)
	}
	if err != nil && (!own || errors.Is(err, objstore.ErrNotFound)) {
		// Not in the NATS object store (or not readable here), or not in
		// the store this client was given: the workers read theirs for us.
		return c.fetchLog(ctx, id, n, w)
	}
	if err != nil {
		return err
	}
	defer rc.Close()
	if _, err := io.Copy(w, rc); err != nil {
		return fmt.Errorf("read log %s: %w", key, err)
	}
	return nil
}

// logStore returns the log store given with WithLogStore (own), or the
// NATS object store, opened on first use.
func (c *Client) logStore(ctx context.Context) (objstore.Store, bool, error) {
	c.logMu.Lock()
	defer c.logMu.Unlock()
	if c.logs != nil {
		return c.logs, c.logSet, nil
	}
	s, err := objstore.OpenNATS(ctx, c.js, c.names.LogsStore())
	if err != nil {
		return nil, false, fmt.Errorf("log store: %w", err)
	}
	c.logs = s
	return s, false, nil
}

// FollowLog copies an execution's output to w from its first byte while it
// runs, through every attempt, and returns when the execution ends. An
// execution that already ended prints its stored log.
//
// A slow w never makes the follower hold more than FollowBuffer bytes of
// live output: what does not fit is skipped, with a marker in the output.
func (c *Client) FollowLog(ctx context.Context, id string, w io.Writer) error {
	return c.followLog(ctx, id, w, newChunkQueue(FollowBuffer))
}

func (c *Client) followLog(ctx context.Context, id string, w io.Writer, chunks *chunkQueue) error {
	sub, err := c.nc.Subscribe(c.names.LogSubject(id), chunks.push)
	if err != nil {
		return fmt.Errorf("follow log: %w", err)
	}
	defer sub.Unsubscribe()
	// push never blocks, so little waits in the connection's own queue;
	// bound it anyway.
	_ = sub.SetPendingLimits(1024, 2*FollowBuffer)

	evCtx, stopEvents := context.WithCancel(ctx)
	defer stopEvents()
	jobName, _, err := job.ParseExecutionID(id)
	if err != nil {
		return fmt.Errorf("%w: %w", job.ErrInvalid, err)
	}
	events := make(chan event.Event, 64)
	go func() {
		defer close(events)
		for e, err := range c.reader.Watch(evCtx, event.WatchOptions{Job: jobName, Execution: id, FromSeq: 1}) {
			if err != nil {
				return
			}
			select {
			case events <- e:
			case <-evCtx.Done():
				return
			}
		}
	}()

	if err := c.checkExists(ctx, id); err != nil {
		return err
	}
	f := follower{c: c, id: id, w: w}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e, ok := <-events:
			if !ok {
				return fmt.Errorf("follow log: event watch ended")
			}
			switch {
			case e.Kind == event.Started:
				if err := f.startAttempt(ctx, e.Attempt); err != nil {
					return err
				}
			case e.Kind.Final():
				return f.finish(ctx, e, chunks)
			}
		case <-chunks.ready:
			for m, lossy := chunks.pop(); m != nil; m, lossy = chunks.pop() {
				f.lossy = f.lossy || lossy
				if err := f.chunk(ctx, m); err != nil {
					return err
				}
			}
		}
	}
}

// checkExists fails with job.ErrNotFound unless the execution waits in the
// pending bucket or has events. The pending bucket is read first: the
// leader removes a pending run only once its events are stored, so a run
// missing from the bucket at that moment has its events by then (read in
// the other order, a run published in between is in neither place).
func (c *Client) checkExists(ctx context.Context, id string) error {
	kv, err := c.js.KeyValue(ctx, c.names.PendingBucket())
	if err == nil {
		if _, err := kv.Get(ctx, id); err == nil {
			return nil
		}
	}
	evs, err := c.reader.Events(ctx, id)
	if err != nil {
		return err
	}
	if len(evs) > 0 {
		return nil
	}
	return fmt.Errorf("execution %s: %w", id, job.ErrNotFound)
}

// follower assembles a live log from worker reads and chunks, by offset.
type follower struct {
	c       *Client
	id      string
	w       io.Writer
	attempt int
	offset  int64
	eof     bool
	lossy   bool // live chunks were dropped: skip the next gap
}

func (f *follower) startAttempt(ctx context.Context, attempt int) error {
	if attempt <= f.attempt {
		return nil
	}
	if f.attempt > 0 {
		fmt.Fprintf(f.w, "\n--- attempt %d ---\n", attempt)
	}
	f.attempt, f.offset, f.eof = attempt, 0, false
	return f.catchUp(ctx, -1)
}

// catchUp reads what the worker has written since our offset (up to limit
// if limit >= 0).
func (f *follower) catchUp(ctx context.Context, limit int64) error {
	for limit < 0 || f.offset < limit {
		req, _ := json.Marshal(map[string]int64{"offset": f.offset})
		rctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		m, err := f.c.nc.RequestWithContext(rctx, f.c.names.LogReadSubject(f.id), req)
		cancel()
		if err != nil {
			return nil // not running here (yet, or any more): chunks and the stored log cover it
		}
		if a, _ := strconv.Atoi(m.Header.Get(headerAttempt)); a != f.attempt {
			return nil
		}
		start, _ := strconv.ParseInt(m.Header.Get(headerOffset), 10, 64)
		written, _ := strconv.ParseInt(m.Header.Get(headerWritten), 10, 64)
		if start > f.offset {
			fmt.Fprintf(f.w, "\n[jetcron: %d bytes not kept live; see the stored log]\n", start-f.offset)
			f.offset = start
		}
		if len(m.Data) == 0 {
			return nil
		}
		if _, err := f.w.Write(m.Data); err != nil {
			return err
		}
		f.offset = start + int64(len(m.Data))
		if f.offset >= written {
			return nil
		}
	}
	return nil
}

func (f *follower) chunk(ctx context.Context, m *nats.Msg) error {
	attempt, _ := strconv.Atoi(m.Header.Get(headerAttempt))
	if attempt > f.attempt {
		if err := f.startAttempt(ctx, attempt); err != nil {
			return err
		}
	}
	if attempt != f.attempt || f.eof {
		return nil
	}
	off, _ := strconv.ParseInt(m.Header.Get(headerOffset), 10, 64)
	if off > f.offset && f.lossy && m.Header.Get(headerEOF) != "" {
		// The end of the output came after chunks the writer could not
		// take: skipping to it would print nothing of the end. finish
		// prints the tail from the stored log instead.
		return nil
	}
	if off > f.offset && f.lossy {
		// The writer is slower than the run: skip ahead rather than
		// read back what it could not take.
		fmt.Fprintf(f.w, "\n[… %d bytes skipped …]\n", off-f.offset)
		f.offset, f.lossy = off, false
	}
	if off > f.offset {
		if err := f.catchUp(ctx, off); err != nil {
			return err
		}
	}
	end := off + int64(len(m.Data))
	if end > f.offset && off <= f.offset {
		if _, err := f.w.Write(m.Data[f.offset-off:]); err != nil {
			return err
		}
		f.offset = end
	}
	if m.Header.Get(headerEOF) != "" && f.offset >= end {
		f.eof = true // printed to the end; else finish reads the rest from the stored log
	}
	return nil
}

// finish ends following when the execution ended: the rest comes from the
// stored log of the last attempt if the live stream did not deliver it all.
func (f *follower) finish(ctx context.Context, e event.Event, chunks *chunkQueue) error {
	// Drain chunks that arrived before the final event.
	for m, lossy := chunks.pop(); m != nil; m, lossy = chunks.pop() {
		f.lossy = f.lossy || lossy
		if err := f.chunk(ctx, m); err != nil {
			return err
		}
	}
	if f.attempt == e.Attempt && f.eof {
		return nil
	}
	if e.LogURL == "" || e.LogBytes == 0 || e.Attempt < 1 {
		return nil // no stored log, or an empty one; its location is derived, never read from the event
	}
	if f.attempt != e.Attempt || f.offset == 0 {
		if f.attempt != e.Attempt && f.offset > 0 {
			fmt.Fprintf(f.w, "\n--- attempt %d (stored log) ---\n", e.Attempt)
		}
		return f.c.CopyLog(ctx, f.id, e.Attempt, f.w)
	}
	// Print what we missed of the last attempt from the stored log,
	// streamed past what was printed already.
	if !f.lossy {
		return f.c.CopyLog(ctx, f.id, e.Attempt, &skipWriter{w: f.w, skip: f.offset})
	}
	// The writer fell behind: skip to the last FollowBuffer bytes.
	t := &tailWriter{max: FollowBuffer}
	if err := f.c.CopyLog(ctx, f.id, e.Attempt, &skipWriter{w: t, skip: f.offset}); err != nil {
		return err
	}
	return t.flush(f.w)
}

// skipWriter drops the first skip bytes written to it and passes the rest
// to w.
type skipWriter struct {
	w    io.Writer
	skip int64
}

func (s *skipWriter) Write(p []byte) (int, error) {
	n := len(p)
	if s.skip >= int64(n) {
		s.skip -= int64(n)
		return n, nil
	}
	p, s.skip = p[s.skip:], 0
	if _, err := s.w.Write(p); err != nil {
		return 0, err
	}
	return n, nil
}
