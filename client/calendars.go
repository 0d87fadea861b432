package client

import (
	"context"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/calendar"
)

// CalendarOption changes a CreateCalendar request.
type CalendarOption func(*api.CalendarCreateRequest)

// CalendarUpdate replaces the calendar if it exists.
func CalendarUpdate() CalendarOption {
	return func(r *api.CalendarCreateRequest) { r.Update = true }
}

// CalendarDryRun validates and reports without writing.
func CalendarDryRun() CalendarOption {
	return func(r *api.CalendarCreateRequest) { r.DryRun = true }
}

// CreateCalendar creates an exclusion calendar (or replaces it with
// CalendarUpdate). Jobs name it in job.Spec.SkipCalendars.
func (c *Client) CreateCalendar(ctx context.Context, cal calendar.Calendar, opts ...CalendarOption) (api.CalendarCreateResponse, error) {
	req := api.CalendarCreateRequest{Calendar: cal}
	for _, o := range opts {
		o(&req)
	}
	var resp api.CalendarCreateResponse
	err := c.call(ctx, api.VerbCalendarCreate, req, &resp)
	return resp, err
}

// GetCalendar returns a calendar and the jobs that name it.
func (c *Client) GetCalendar(ctx context.Context, name string) (api.CalendarView, error) {
	var v api.CalendarView
	err := c.call(ctx, api.VerbCalendarGet, api.NameRequest{Name: name}, &v)
	return v, err
}

// ListCalendars returns every calendar, by name.
func (c *Client) ListCalendars(ctx context.Context) ([]api.CalendarView, error) {
	var out []api.CalendarView
	err := c.call(ctx, api.VerbCalendarList, struct{}{}, &out)
	return out, err
}

// DeleteCalendar deletes a calendar; it is refused (job.ErrConflict) while
// a job names it.
func (c *Client) DeleteCalendar(ctx context.Context, name string) error {
	return c.call(ctx, api.VerbCalendarDelete, api.NameRequest{Name: name}, nil)
}
