package apiservice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/calendar"
	"github.com/jetcron/jetcron/pkg/job"
)

// loadCalendar reads a calendar and its revision from its bucket's stream
// leader (a job created right after its calendar must find it).
func (s *Service) loadCalendar(ctx context.Context, name string) (calendar.Calendar, uint64, error) {
	if err := job.ValidateName(name); err != nil {
		return calendar.Calendar{}, 0, job.Fieldf("name", "%q %v", name, err)
	}
	return readFromLeader[calendar.Calendar](ctx, s, s.names.CalendarsBucket(), name, "calendar", name)
}

func (s *Service) calendarCreate(ctx context.Context, data []byte) (any, error) {
	var req api.CalendarCreateRequest
	if err := decode(data, &req); err != nil {
		return nil, err
	}
	c := req.Calendar
	c.CreatedAt, c.UpdatedAt = s.now(), s.now()
	c, err := c.Normalize()
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		old, rev, err := s.loadCalendar(ctx, c.Name)
		exists := err == nil
		if err != nil && !errors.Is(err, job.ErrNotFound) {
			return nil, err
		}
		if exists && !req.Update {
			return nil, fmt.Errorf("calendar %q %w (use --update to replace it)", c.Name, job.ErrExists)
		}
		result := "created"
		if exists {
			c.CreatedAt = old.CreatedAt
			cmp := old
			cmp.UpdatedAt = c.UpdatedAt
			if reflect.DeepEqual(cmp, c) {
				return api.CalendarCreateResponse{Calendar: s.calendarView(ctx, old, rev), Result: "unchanged"}, nil
			}
			result = "updated"
		}
		if req.DryRun {
			return api.CalendarCreateResponse{Calendar: s.calendarView(ctx, c, rev), Result: result}, nil
		}
		kv, err := s.cals(ctx)
		if err != nil {
			return nil, err
		}
		value, _ := json.Marshal(c)
		var newRev uint64
		if exists {
			newRev, err = kv.Update(ctx, c.Name, value, rev)
		} else {
			newRev, err = kv.Create(ctx, c.Name, value)
		}
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) {
			if attempt < 3 {
				continue
			}
			return nil, fmt.Errorf("calendar %q changed concurrently: %w", c.Name, job.ErrConflict)
		}
		if err != nil {
			return nil, fmt.Errorf("write calendar %q: %w: %w", c.Name, api.ErrUnavailable, err)
		}
		return api.CalendarCreateResponse{Calendar: s.calendarView(ctx, c, newRev), Result: result}, nil
	}
}

func (s *Service) calendarGet(ctx context.Context, data []byte) (any, error) {
	var req api.NameRequest
	if err := decode(data, &req); err != nil {
		return nil, err
	}
	c, rev, err := s.loadCalendar(ctx, req.Name)
	if err != nil {
		return nil, err
	}
	return s.calendarView(ctx, c, rev), nil
}

func (s *Service) calendarView(ctx context.Context, c calendar.Calendar, rev uint64) api.CalendarView {
	v := api.CalendarView{Calendar: c, Revision: rev, Text: c.Summary()}
	v.UsedBy, _ = s.jobsUsing(ctx, c.Name)
	return v
}

func (s *Service) calendarList(ctx context.Context, data []byte) (any, error) {
	if len(data) > 0 {
		var req struct{}
		if err := decode(data, &req); err != nil {
			return nil, err
		}
	}
	kv, err := s.cals(ctx)
	if err != nil {
		return nil, err
	}
	w, err := kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("list calendars: %w: %w", api.ErrUnavailable, err)
	}
	defer w.Stop()
	users, _ := s.calendarUsers(ctx)
	out := []api.CalendarView{}
	for ent := range w.Updates() {
		if ent == nil {
			break
		}
		var c calendar.Calendar
		if json.Unmarshal(ent.Value(), &c) != nil || c.Name == "" {
			continue
		}
		out = append(out, api.CalendarView{Calendar: c, Revision: ent.Revision(), Text: c.Summary(), UsedBy: users[c.Name]})
	}
	slices.SortFunc(out, func(a, b api.CalendarView) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func (s *Service) calendarDelete(ctx context.Context, data []byte) (any, error) {
	var req api.NameRequest
	if err := decode(data, &req); err != nil {
		return nil, err
	}
	c, rev, err := s.loadCalendar(ctx, req.Name)
	if err != nil {
		return nil, err
	}
	users, err := s.jobsUsing(ctx, c.Name)
	if err != nil {
		return nil, err
	}
	if len(users) > 0 {
		return nil, fmt.Errorf("calendar %q is named in skip_calendars of job(s) %s: %w (remove it from them first)", c.Name, strings.Join(users, ", "), job.ErrConflict)
	}
	kv, err := s.cals(ctx)
	if err != nil {
		return nil, err
	}
	if err := kv.Delete(ctx, c.Name, jetstream.LastRevision(rev)); err != nil {
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return nil, fmt.Errorf("calendar %q changed concurrently: %w", c.Name, job.ErrConflict)
		}
		return nil, fmt.Errorf("delete calendar %q: %w: %w", c.Name, api.ErrUnavailable, err)
	}
	return s.calendarView(ctx, c, rev), nil
}

// jobsUsing returns the jobs whose skip_calendars name the calendar.
func (s *Service) jobsUsing(ctx context.Context, name string) ([]string, error) {
	users, err := s.calendarUsers(ctx)
	return users[name], err
}

// calendarUsers maps each calendar to the jobs that name it.
func (s *Service) calendarUsers(ctx context.Context) (map[string][]string, error) {
	w, err := s.jobs.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("read jobs: %w: %w", api.ErrUnavailable, err)
	}
	defer w.Stop()
	out := map[string][]string{}
	for ent := range w.Updates() {
		if ent == nil {
			break
		}
		var spec struct {
			Name          string   `json:"name"`
			SkipCalendars []string `json:"skip_calendars"`
		}
		if json.Unmarshal(ent.Value(), &spec) != nil {
			continue
		}
		for _, c := range spec.SkipCalendars {
			out[c] = append(out[c], spec.Name)
		}
	}
	for _, v := range out {
		slices.Sort(v)
	}
	return out, nil
}

// checkCalendars refuses a definition that names a calendar that does not exist.
func (s *Service) checkCalendars(ctx context.Context, spec job.Spec) error {
	for _, name := range spec.SkipCalendars {
		if _, _, err := s.loadCalendar(ctx, name); err != nil {
			if errors.Is(err, job.ErrNotFound) {
				return job.Fieldf("skip_calendars", "calendar %q does not exist (create it with `jetcron calendar create %s`)", name, name)
			}
			return err
		}
	}
	return nil
}

// calendarSet loads the calendars a job names; one that cannot be read is
// left out (its slots show as running).
func (s *Service) calendarSet(names []string) calendar.Set {
	if len(names) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	set := calendar.Set{}
	kv, err := s.cals(ctx)
	if err != nil {
		return set
	}
	for _, n := range names {
		ent, err := kv.Get(ctx, n)
		if err != nil {
			continue
		}
		var c calendar.Calendar
		if json.Unmarshal(ent.Value(), &c) != nil {
			continue
		}
		if m, err := c.Compile(); err == nil {
			set[n] = m
		}
	}
	return set
}

// cals opens the calendars bucket on first use (lazyBucket).
func (s *Service) cals(ctx context.Context) (jetstream.KeyValue, error) {
	return s.calsKV.open(ctx, s.js, s.names.CalendarsBucket())
}
