package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/jetcron/jetcron/pkg/job"
)

// settleQuiet is how long nothing new must arrive before a trailing
// measurement (events, cursor writes) counts as complete.
const settleQuiet = 2 * time.Second

// dispatchResult is one dispatch-rate measurement.
type dispatchResult struct {
	// NoBatch is set when the dispatcher's atomic batches were off.
	NoBatch bool
	Jobs    int
	// Setup is how long creating the jobs took.
	Setup time.Duration
	// Woke is from the slot until the leader's loop woke to fire it (the
	// earliest `scheduled` event time).
	Woke time.Duration
	// First and All are from the slot until the first and the last work
	// item was stored.
	First, All time.Duration
	// Rate is Jobs per second of All: slots per second into the work stream.
	Rate float64
	// EventsDone is from the slot until the last `scheduled` event was
	// stored; EventsMissing counts slots fired without one.
	EventsDone    time.Duration
	EventsMissing int
	// CursorsDone is from the slot until the leader sent its last cursor
	// write for these slots; Cursors counts the writes.
	CursorsDone time.Duration
	Cursors     int
}

// measureDispatch creates o.Jobs jobs due at the same slot and measures how
// long the leader takes to put them all on the work stream, and how long it
// stays busy recording them afterwards.
func measureDispatch(ctx context.Context, o options, dir string, noBatch bool, log *slog.Logger, progress io.Writer) (dispatchResult, error) {
	phase := phaseBatch
	if noBatch {
		phase = phaseNoBatch
	}
	n := o.Jobs
	fmt.Fprintf(progress, "%s: creating %d jobs via %s\n", phase, n, o.Setup)
	p, err := prepare(ctx, o, dir, o.envConfig(noBatch), n, func(slot time.Time) []job.Spec {
		specs := make([]job.Spec, n)
		for i := range specs {
			specs[i] = benchJob(fmt.Sprintf("d%06d", i), slot, time.Hour)
		}
		return specs
	}, log, progress)
	if err != nil {
		return dispatchResult{}, fmt.Errorf("%s: %w", phase, err)
	}
	defer p.e.close()
	fmt.Fprintf(progress, "%s: created in %s; firing at %s\n", phase, p.Setup.Round(time.Millisecond), p.Slot.Format("15:04:05.000"))
	res := dispatchResult{NoBatch: noBatch, Jobs: n, Setup: p.Setup}

	work, err := p.e.js.Stream(ctx, p.e.names.WorkStream())
	if err != nil {
		return res, fmt.Errorf("%s: work stream: %w", phase, err)
	}
	if err := sleepUntil(ctx, p.Slot.Add(-100*time.Millisecond)); err != nil {
		return res, err
	}
	cursors, err := tapBucket(p.e.nc, p.e.names.StateBucket())
	if err != nil {
		return res, err
	}
	defer cursors.close()
	events, err := tapSubject(p.e.nc, scheduledSubjects(p.e))
	if err != nil {
		return res, err
	}
	defer events.close()
	stop, err := startProfile(o.CPUProfile, phase)
	if err != nil {
		return res, err
	}
	// The figures come from the stored timestamps; polling only tells when
	// to read them.
	err = poll(ctx, time.Minute+time.Duration(n)*time.Millisecond, 20*time.Millisecond, func() (bool, error) {
		info, err := work.Info(ctx)
		if err != nil {
			return false, fmt.Errorf("work stream: %w", err)
		}
		return info.State.Msgs >= uint64(n), nil
	})
	if perr := stop(); perr != nil && err == nil {
		err = perr
	}
	if err != nil {
		return res, fmt.Errorf("%s: waiting for %d work items: %w", phase, n, err)
	}

	if err := res.readItems(ctx, p, phase); err != nil {
		return res, err
	}
	// The scheduled events follow the items, the cursor writes follow at
	// the leader's next flush: wait until each is complete or quiet.
	if err := settle(ctx, events, n); err != nil {
		return res, fmt.Errorf("%s: waiting for scheduled events: %w", phase, err)
	}
	sent, _ := events.seen()
	if err := res.readEvents(ctx, p, phase, sent); err != nil {
		return res, err
	}
	if err := settle(ctx, cursors, n); err != nil {
		return res, fmt.Errorf("%s: waiting for cursor writes: %w", phase, err)
	}
	c, last := cursors.seen()
	res.Cursors = c
	if c > 0 {
		res.CursorsDone = last.Sub(p.Slot)
	}
	return res, nil
}

// settle waits until tap has seen n messages, or some and then none for
// settleQuiet (a phase that lost some reports them missing). A loaded
// machine may take longer than settleQuiet to send the first one.
func settle(ctx context.Context, tap *writeTap, n int) error {
	lastGrowth, seen := time.Now(), 0
	return poll(ctx, 2*time.Minute, 50*time.Millisecond, func() (bool, error) {
		c, _ := tap.seen()
		if c > seen {
			lastGrowth, seen = time.Now(), c
		}
		return c >= n || (c > 0 && time.Since(lastGrowth) > settleQuiet), nil
	})
}

// readItems checks that the work stream holds exactly one item per job,
// all for the slot, and records when the first and last were stored.
func (res *dispatchResult) readItems(ctx context.Context, p *prepared, phase string) error {
	items, err := readWork(ctx, p.e)
	if err != nil {
		return fmt.Errorf("%s: %w", phase, err)
	}
	ids := map[string]bool{}
	var first, last time.Time
	for _, it := range items {
		if !it.ScheduledAt.Equal(p.Slot) {
			return fmt.Errorf("%s: work item %s is for %s, not the slot %s", phase, it.ID, it.ScheduledAt, p.Slot)
		}
		ids[it.ID] = true
		if first.IsZero() || it.Stored.Before(first) {
			first = it.Stored
		}
		if it.Stored.After(last) {
			last = it.Stored
		}
	}
	if len(items) != res.Jobs || len(ids) != res.Jobs {
		return fmt.Errorf("%s: %d work items (%d distinct), want %d", phase, len(items), len(ids), res.Jobs)
	}
	res.First, res.All = first.Sub(p.Slot), last.Sub(p.Slot)
	res.Rate = float64(res.Jobs) / res.All.Seconds()
	return nil
}

// readEvents reads the scheduled events and records when the loop woke,
// when the last was stored, and how many are missing. sent is how many the
// leader was seen sending: an atomic batch's messages are on the wire
// before the stream commits them, so the read waits until the stream holds
// as many (or a while).
func (res *dispatchResult) readEvents(ctx context.Context, p *prepared, phase string, sent int) error {
	var evs []scheduledEvent
	err := poll(ctx, 30*time.Second, 50*time.Millisecond, func() (bool, error) {
		var err error
		evs, err = readScheduled(ctx, p.e)
		return len(evs) >= sent, err
	})
	if err != nil && len(evs) == 0 {
		return fmt.Errorf("%s: %w", phase, err)
	}
	if len(evs) == 0 {
		return fmt.Errorf("%s: no scheduled event", phase)
	}
	res.EventsMissing = res.Jobs - len(evs)
	woke, done := evs[0].Time, evs[0].Stored
	for _, ev := range evs {
		if ev.Time.Before(woke) {
			woke = ev.Time
		}
		if ev.Stored.After(done) {
			done = ev.Stored
		}
	}
	res.Woke, res.EventsDone = woke.Sub(p.Slot), done.Sub(p.Slot)
	return nil
}
