package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/jetcron/jetcron/pkg/job"
)

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
}

// measureDispatch creates o.Jobs jobs due at the same slot and measures how
// long the leader takes to put them all on the work stream.
func measureDispatch(ctx context.Context, o options, dir string, noBatch bool, log *slog.Logger, progress io.Writer) (dispatchResult, error) {
	phase := phaseBatch
	if noBatch {
		phase = phaseNoBatch
	}
	n := o.Jobs
	fmt.Fprintf(progress, "%s: creating %d jobs via %s\n", phase, n, o.Setup)
	p, err := prepare(ctx, o, dir, noBatch, n, func(slot time.Time) []job.Spec {
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

	if err := sleepUntil(ctx, p.Slot.Add(-100*time.Millisecond)); err != nil {
		return dispatchResult{}, err
	}
	stop, err := startProfile(o.CPUProfile, phase)
	if err != nil {
		return dispatchResult{}, err
	}
	err = poll(ctx, time.Minute+time.Duration(n)*time.Millisecond, 5*time.Millisecond, func() (bool, error) {
		c, err := p.e.workCount(ctx)
		return c >= uint64(n), err
	})
	if perr := stop(); perr != nil && err == nil {
		err = perr
	}
	if err != nil {
		return dispatchResult{}, fmt.Errorf("%s: waiting for %d work items: %w", phase, n, err)
	}

	items, err := readWork(ctx, p.e)
	if err != nil {
		return dispatchResult{}, fmt.Errorf("%s: %w", phase, err)
	}
	res := dispatchResult{NoBatch: noBatch, Jobs: n, Setup: p.Setup}
	ids := map[string]bool{}
	var first, last time.Time
	for _, it := range items {
		if !it.ScheduledAt.Equal(p.Slot) {
			return res, fmt.Errorf("%s: work item %s is for %s, not the slot %s", phase, it.ID, it.ScheduledAt, p.Slot)
		}
		ids[it.ID] = true
		if first.IsZero() || it.Stored.Before(first) {
			first = it.Stored
		}
		if it.Stored.After(last) {
			last = it.Stored
		}
	}
	if len(items) != n || len(ids) != n {
		return res, fmt.Errorf("%s: %d work items (%d distinct), want %d", phase, len(items), len(ids), n)
	}
	res.First, res.All = first.Sub(p.Slot), last.Sub(p.Slot)
	res.Rate = float64(n) / res.All.Seconds()

	// The scheduled events follow the work items; wait for them to learn
	// when the loop woke.
	var evs []scheduledEvent
	err = poll(ctx, 30*time.Second, 250*time.Millisecond, func() (bool, error) {
		var err error
		evs, err = readScheduled(ctx, p.e)
		return len(evs) >= n, err
	})
	if err != nil {
		return res, fmt.Errorf("%s: waiting for %d scheduled events: %w", phase, n, err)
	}
	woke := evs[0].Time
	for _, ev := range evs {
		if ev.Time.Before(woke) {
			woke = ev.Time
		}
	}
	res.Woke = woke.Sub(p.Slot)
	return res, nil
}
