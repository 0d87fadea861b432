package scheduler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/calendar"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/scheduler/internal/catalog"
	"github.com/jetcron/jetcron/scheduler/internal/jobdef"
	"github.com/jetcron/jetcron/scheduler/internal/plan"
)

// calendars are the exclusion calendars the leader knows, from the watch
// of the calendars bucket. The watch goroutine writes them; the loop reads
// them when it decides a slot (plan.Entry.Skip), so a change applies to the
// next slot without a replan.
type calendars struct {
	mu  sync.RWMutex
	set calendar.Set
}

func (c *calendars) skip(names []string, t time.Time) (string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.set.Skip(names, t)
}

func (c *calendars) apply(ch catalog.Change[calendar.Matcher]) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.set == nil {
		c.set = calendar.Set{}
	}
	if ch.Value == nil {
		delete(c.set, ch.Key)
		return
	}
	c.set[ch.Key] = ch.Value
}

// decodeCalendar decodes and compiles a calendar stored under key; like a
// job definition, it is checked again, never trusted.
func decodeCalendar(key string, data []byte) (*calendar.Matcher, error) {
	var c calendar.Calendar
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("not a calendar: %w", err)
	}
	if c.Name != key {
		return nil, fmt.Errorf("name %q does not match its key %q", c.Name, key)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c.Compile()
}

// watchCalendars loads the calendars, then follows their changes in the
// background until ctx ends. Without the calendars bucket (resources made
// by an older version, --skip-ensure), no calendar exists and none can
// until `jetcron admin ensure` makes the bucket: the leader then looks for
// it every calendarRetry and follows it from then on.
func (r *leaderRun) watchCalendars(ctx context.Context) error {
	name := r.s.names.CalendarsBucket()
	open := func() (jetstream.KeyValue, error) {
		bctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		return r.s.js.KeyValue(bctx, name)
	}
	kv, err := open()
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		r.log.WarnContext(ctx, "no calendars bucket: run `jetcron admin ensure`; jobs cannot name calendars until then", "bucket", name)
		r.bg.Add(1)
		go func() {
			defer r.bg.Done()
			for {
				if !r.sleep(ctx, calendarRetry) {
					return
				}
				if kv, err := open(); err == nil {
					if err := r.followCalendars(ctx, kv); err != nil && ctx.Err() == nil {
						r.log.ErrorContext(ctx, "calendars watch failed", "error", err)
					}
					return
				}
			}
		}()
		return nil
	}
	if err != nil {
		return fmt.Errorf("bucket %s: %w", name, err)
	}
	return r.followCalendars(ctx, kv)
}

// calendarRetry is how often a leader without the calendars bucket looks
// for it.
const calendarRetry = 5 * time.Second

// followCalendars reads the calendars of kv, then follows their changes in
// the background.
func (r *leaderRun) followCalendars(ctx context.Context, kv jetstream.KeyValue) error {
	ch, err := catalog.Watch(ctx, kv, decodeCalendar)
	if err != nil {
		return err
	}
	decoded := func(c catalog.Change[calendar.Matcher]) catalog.Change[calendar.Matcher] {
		if c.Err != nil && c.Key != "" {
			r.log.WarnContext(ctx, "skipping invalid calendar; jobs naming it are not skipped by it", "calendar", c.Key, "error", c.Err)
			c.Value = nil
		}
		return c
	}
	// The initial values make a new set, which replaces the old at once (a
	// watch started again forgets the calendars deleted meanwhile).
	initial := calendars{set: calendar.Set{}}
	for c := range ch {
		if c.Synced {
			break
		}
		if c.Key == "" && c.Err != nil {
			return c.Err
		}
		initial.apply(decoded(c))
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	r.cals.mu.Lock()
	r.cals.set = initial.set
	r.cals.mu.Unlock()
	r.bg.Add(1)
	go func() {
		defer r.bg.Done()
		for c := range ch {
			if c.Key == "" && c.Err != nil {
				break
			}
			r.cals.apply(decoded(c))
		}
		// The watch failed: follow the bucket again from its current values.
		for ctx.Err() == nil {
			r.log.WarnContext(ctx, "calendars watch ended; following the bucket again")
			if !r.sleep(ctx, calendarRetry) {
				return
			}
			if err := r.followCalendars(ctx, kv); err == nil {
				return
			}
		}
	}()
	return nil
}

// sleep waits d on the scheduler's clock; false when ctx ended first.
func (r *leaderRun) sleep(ctx context.Context, d time.Duration) bool {
	t := r.s.cfg.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C():
		return true
	}
}

// calendarSkip is a job's plan.Entry.Skip: nil when it names no calendar.
func (r *leaderRun) calendarSkip(spec job.Spec) func(time.Time) (string, bool) {
	if len(spec.SkipCalendars) == 0 {
		return nil
	}
	names := spec.SkipCalendars
	return func(t time.Time) (string, bool) { return r.cals.skip(names, t) }
}

// recordSkipped emits a skipped event for every slot of the decision that a
// calendar skips. When nothing of the decision fires, no publish result
// moves the job's cursor (apply), so it moves here.
func (r *leaderRun) recordSkipped(d plan.Decision, ji *jobdef.Def) {
	if len(d.Skipped) == 0 {
		return
	}
	loc, tz := time.UTC, ""
	if ji != nil {
		sc := ji.Spec().Schedule
		loc, tz = sc.Location(), sc.TZ
	}
	now := r.now()
	for _, sk := range d.Skipped {
		r.emit(event.Event{Kind: event.Skipped, Job: d.Job, Execution: job.ExecutionID(d.Job, sk.At), Time: now,
			ScheduledAt: event.Slot(sk.At), WallTime: event.WallTime(sk.At, loc), TZ: tz, Trigger: job.TriggerSchedule, Reason: sk.Reason})
	}
	r.s.cfg.Metrics.slot("skipped", len(d.Skipped))
	if len(d.Fire) > 0 {
		return
	}
	st := r.state.get(d.Job)
	if d.Cursor.After(st.rt.LastSlot) {
		st.rt.LastSlot = d.Cursor
		r.state.markDirty(d.Job)
	}
	if d.Done {
		r.replan(d.Job)
	}
}
