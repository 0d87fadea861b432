package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/jetcron/jetcron/pkg/job"
)

// latenessPeriod is the interval of every lateness job.
const latenessPeriod = time.Second

// latenessResult is one firing-lateness measurement.
type latenessResult struct {
	// NoBatch is set when the dispatcher's atomic batches were off.
	NoBatch  bool
	Jobs     int
	Duration time.Duration
	Aligned  bool
	Setup    time.Duration
	// Expected is the number of slots in the measured window; Missing of
	// them were not on the work stream 30s after the window.
	Expected, Missing int
	// Stored is work item stored minus slot; Woke is the `scheduled`
	// event's time (the loop woke to fire it) minus slot.
	Stored, Woke quantiles
	// Flushes are the leader's cursor flushes during the window.
	Flushes flushStats
}

// measureLateness runs o.Rate jobs every second for o.Duration and measures
// how late each slot reached the work stream.
func measureLateness(ctx context.Context, o options, dir string, noBatch bool, log *slog.Logger, progress io.Writer) (latenessResult, error) {
	phase := phaseLateness
	if noBatch {
		phase = phaseLatenessNoBatch
	}
	n := o.Rate
	res := latenessResult{NoBatch: noBatch, Jobs: n, Duration: o.Duration, Aligned: o.Aligned}
	anchor := func(slot time.Time, i int) time.Time {
		if o.Aligned {
			return slot
		}
		return slot.Add(time.Duration(i) * latenessPeriod / time.Duration(n))
	}
	fmt.Fprintf(progress, "%s: creating %d jobs every %s via %s\n", phase, n, latenessPeriod, o.Setup)
	p, err := prepare(ctx, o, dir, o.envConfig(noBatch), n, func(slot time.Time) []job.Spec {
		specs := make([]job.Spec, n)
		for i := range specs {
			specs[i] = benchJob(fmt.Sprintf("l%06d", i), anchor(slot, i), latenessPeriod)
		}
		return specs
	}, log, progress)
	if err != nil {
		return res, fmt.Errorf("%s: %w", phase, err)
	}
	defer p.e.close()
	res.Setup = p.Setup
	start, end := p.Slot, p.Slot.Add(o.Duration)
	inWindow := func(t time.Time) bool { return !t.Before(start) && t.Before(end) }
	for i := range n {
		for s := anchor(start, i); s.Before(end); s = s.Add(latenessPeriod) {
			res.Expected++
		}
	}
	fmt.Fprintf(progress, "%s: created in %s; firing %d slots from %s for %s\n", phase, p.Setup.Round(time.Millisecond), res.Expected, start.Format("15:04:05.000"), o.Duration)

	if err := sleepUntil(ctx, start.Add(-100*time.Millisecond)); err != nil {
		return res, err
	}
	tap, err := tapBucket(p.e.nc, p.e.names.StateBucket())
	if err != nil {
		return res, err
	}
	stop, err := startProfile(o.CPUProfile, phase)
	if err != nil {
		return res, err
	}
	err = sleepUntil(ctx, end)
	if perr := stop(); perr != nil && err == nil {
		err = perr
	}
	res.Flushes = tap.stop(start, end)
	if err != nil {
		return res, err
	}

	// Read once the window's last slots had time to land; read again while
	// some are missing, for up to 30s.
	var late []time.Duration
	var items []stored
	err = poll(ctx, 30*time.Second, 500*time.Millisecond, func() (bool, error) {
		var err error
		if items, err = readWork(ctx, p.e); err != nil {
			return false, err
		}
		late = late[:0]
		for _, it := range items {
			if inWindow(it.ScheduledAt) {
				late = append(late, it.Stored.Sub(it.ScheduledAt))
			}
		}
		return len(late) >= res.Expected, nil
	})
	if err != nil && !errors.Is(err, errTimeout) {
		return res, fmt.Errorf("%s: %w", phase, err)
	}
	res.Missing = max(res.Expected-len(late), 0)
	res.Stored = summarize(late)

	// Each slot's scheduled event follows its work item; give the last ones
	// time to land.
	var woke []time.Duration
	wokeAt := map[string]time.Time{}
	err = poll(ctx, 10*time.Second, 250*time.Millisecond, func() (bool, error) {
		evs, err := readScheduled(ctx, p.e)
		if err != nil {
			return false, err
		}
		woke = woke[:0]
		clear(wokeAt)
		for _, ev := range evs {
			if inWindow(ev.ScheduledAt) {
				woke = append(woke, ev.Time.Sub(ev.ScheduledAt))
				wokeAt[ev.ID] = ev.Time
			}
		}
		return len(woke) >= len(late), nil
	})
	if err != nil && !errors.Is(err, errTimeout) {
		return res, fmt.Errorf("%s: %w", phase, err)
	}
	res.Woke = summarize(woke)
	if o.CSV != "" {
		var rows []stored
		for _, it := range items {
			if inWindow(it.ScheduledAt) {
				rows = append(rows, it)
			}
		}
		if err := appendCSV(o.CSV, phase, rows, wokeAt); err != nil {
			return res, err
		}
	}
	return res, nil
}
