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
}

// measureLateness runs o.Rate jobs every second for o.Duration and measures
// how late each slot reached the work stream.
func measureLateness(ctx context.Context, o options, dir string, log *slog.Logger, progress io.Writer) (latenessResult, error) {
	n := o.Rate
	res := latenessResult{Jobs: n, Duration: o.Duration, Aligned: o.Aligned}
	anchor := func(slot time.Time, i int) time.Time {
		if o.Aligned {
			return slot
		}
		return slot.Add(time.Duration(i) * latenessPeriod / time.Duration(n))
	}
	fmt.Fprintf(progress, "%s: creating %d jobs every %s via %s\n", phaseLateness, n, latenessPeriod, o.Setup)
	p, err := prepare(ctx, o, dir, false, n, func(slot time.Time) []job.Spec {
		specs := make([]job.Spec, n)
		for i := range specs {
			specs[i] = benchJob(fmt.Sprintf("l%06d", i), anchor(slot, i), latenessPeriod)
		}
		return specs
	}, log, progress)
	if err != nil {
		return res, fmt.Errorf("%s: %w", phaseLateness, err)
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
	fmt.Fprintf(progress, "%s: created in %s; firing %d slots from %s for %s\n", phaseLateness, p.Setup.Round(time.Millisecond), res.Expected, start.Format("15:04:05.000"), o.Duration)

	if err := sleepUntil(ctx, start.Add(-100*time.Millisecond)); err != nil {
		return res, err
	}
	stop, err := startProfile(o.CPUProfile, phaseLateness)
	if err != nil {
		return res, err
	}
	err = sleepUntil(ctx, end)
	if perr := stop(); perr != nil && err == nil {
		err = perr
	}
	if err != nil {
		return res, err
	}

	// Read once the window's last slots had time to land; read again while
	// some are missing, for up to 30s.
	var late []time.Duration
	err = poll(ctx, 30*time.Second, 500*time.Millisecond, func() (bool, error) {
		items, err := readWork(ctx, p.e)
		if err != nil {
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
		return res, fmt.Errorf("%s: %w", phaseLateness, err)
	}
	res.Missing = max(res.Expected-len(late), 0)
	res.Stored = summarize(late)

	evs, err := readScheduled(ctx, p.e)
	if err != nil {
		return res, fmt.Errorf("%s: %w", phaseLateness, err)
	}
	var woke []time.Duration
	for _, ev := range evs {
		if inWindow(ev.ScheduledAt) {
			woke = append(woke, ev.Time.Sub(ev.ScheduledAt))
		}
	}
	res.Woke = summarize(woke)
	return res, nil
}
