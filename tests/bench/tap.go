package main

import (
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// flushGap separates two cursor flushes: writes closer than this belong to
// the same flush.
const flushGap = 50 * time.Millisecond

// writeTap watches messages as they are sent (the leader's cursor writes,
// its events), with a plain subscription: it sees them without reading the
// streams.
type writeTap struct {
	sub *nats.Subscription
	mu  sync.Mutex
	at  []time.Time
}

// tapBucket starts watching the writes to a KV bucket.
func tapBucket(nc *nats.Conn, bucket string) (*writeTap, error) {
	return tapSubject(nc, "$KV."+bucket+".>")
}

// tapSubject starts watching the messages sent to subject.
func tapSubject(nc *nats.Conn, subject string) (*writeTap, error) {
	t := &writeTap{}
	sub, err := nc.Subscribe(subject, func(*nats.Msg) {
		now := time.Now()
		t.mu.Lock()
		t.at = append(t.at, now)
		t.mu.Unlock()
	})
	if err != nil {
		return nil, fmt.Errorf("tap %s: %w", subject, err)
	}
	if err := sub.SetPendingLimits(-1, -1); err != nil {
		return nil, fmt.Errorf("tap %s: %w", subject, err)
	}
	if err := nc.Flush(); err != nil {
		return nil, fmt.Errorf("tap %s: %w", subject, err)
	}
	t.sub = sub
	return t, nil
}

// close stops watching.
func (t *writeTap) close() { _ = t.sub.Unsubscribe() }

// seen returns how many writes were seen so far and when the last was.
func (t *writeTap) seen() (int, time.Time) {
	if t == nil {
		return 0, time.Time{}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.at) == 0 {
		return 0, time.Time{}
	}
	return len(t.at), t.at[len(t.at)-1]
}

// flushStats describes the cursor flushes seen.
type flushStats struct {
	Count int
	// Keys is the median number of writes in a flush.
	Keys int
	// Spread summarises the time from a flush's first write to its last.
	Spread quantiles
}

// stop stops the tap and groups the writes seen in [from, to) into
// flushes: how many, and how long each took from its first write sent to
// its last.
func (t *writeTap) stop(from, to time.Time) flushStats {
	t.close()
	t.mu.Lock()
	at := t.at
	t.mu.Unlock()
	var spreads []time.Duration
	var keys []int
	var first, last time.Time
	n := 0
	end := func() {
		if n > 0 {
			spreads = append(spreads, last.Sub(first))
			keys = append(keys, n)
		}
	}
	for _, a := range at {
		if a.Before(from) || !a.Before(to) {
			continue
		}
		if n > 0 && a.Sub(last) > flushGap {
			end()
			n = 0
		}
		if n == 0 {
			first = a
		}
		last = a
		n++
	}
	end()
	st := flushStats{Count: len(spreads), Spread: summarize(spreads)}
	if len(keys) > 0 {
		d := make([]time.Duration, len(keys))
		for i, k := range keys {
			d[i] = time.Duration(k)
		}
		st.Keys = int(summarize(d).P50)
	}
	return st
}
