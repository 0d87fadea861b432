package web

import (
	"net/http"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/calendar"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/schedule"
)

// calendarBody is a calendar to store: the fields of GET
// /api/v1/calendars/NAME (those the server adds are ignored), and an
// optional iCalendar text whose events are added to it.
type calendarBody struct {
	api.CalendarView
	// ICS is the text of an .ics file (see calendar.ParseICS).
	ICS string `json:"ics,omitempty"`
}

func (s *Server) registerCalendarRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /calendars", s.page("calendars"))
	s.api(mux, "/api/v1/calendars", methods{http.MethodGet: {fn: s.listCalendars}, http.MethodPost: {fn: s.createCalendar}})
	s.api(mux, "/api/v1/calendars/{name}", methods{http.MethodGet: {fn: byName(s.getCalendar)}, http.MethodPut: {fn: byName(s.putCalendar)}, http.MethodDelete: {fn: byName(s.deleteCalendar)}})
}

func (s *Server) listCalendars(w http.ResponseWriter, r *http.Request) error {
	out, err := s.cfg.Client.ListCalendars(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) getCalendar(w http.ResponseWriter, r *http.Request, name string) error {
	v, err := s.cfg.Client.GetCalendar(r.Context(), name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// decodeCalendar reads a calendar body, adding the events of its ICS text.
func decodeCalendar(w http.ResponseWriter, r *http.Request) (calendar.Calendar, error) {
	var body calendarBody
	if err := decodeBody(w, r, &body, false); err != nil {
		return calendar.Calendar{}, err
	}
	c := body.Calendar
	if body.ICS != "" {
		loc, err := schedule.LoadLocation(c.TZ)
		if err != nil {
			return c, job.Fieldf("tz", "%v", err)
		}
		d, a, ws, err := calendar.ParseICS([]byte(body.ICS), loc)
		if err != nil {
			return c, job.Fieldf("ics", "%v", err)
		}
		c.Dates, c.Annual, c.Windows = append(c.Dates, d...), append(c.Annual, a...), append(c.Windows, ws...)
	}
	return c, nil
}

func (s *Server) createCalendar(w http.ResponseWriter, r *http.Request) error {
	update, err := queryBool(r, "update")
	if err != nil {
		return err
	}
	c, err := decodeCalendar(w, r)
	if err != nil {
		return err
	}
	return s.storeCalendar(w, r, c, update)
}

func (s *Server) putCalendar(w http.ResponseWriter, r *http.Request, name string) error {
	c, err := decodeCalendar(w, r)
	if err != nil {
		return err
	}
	if c.Name == "" {
		c.Name = name
	}
	if c.Name != name {
		return job.Fieldf("name", "the body names calendar %q but the URL names %q", c.Name, name)
	}
	return s.storeCalendar(w, r, c, true)
}

func (s *Server) storeCalendar(w http.ResponseWriter, r *http.Request, c calendar.Calendar, update bool) error {
	dryRun, err := queryBool(r, "dry_run")
	if err != nil {
		return err
	}
	var opts []client.CalendarOption
	if update {
		opts = append(opts, client.CalendarUpdate())
	}
	if dryRun {
		opts = append(opts, client.CalendarDryRun())
	}
	resp, err := s.cfg.Client.CreateCalendar(r.Context(), c, opts...)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if resp.Result == "created" && !dryRun {
		status = http.StatusCreated
		w.Header().Set("Location", "/api/v1/calendars/"+resp.Calendar.Name)
	}
	writeJSON(w, status, resp)
	return nil
}

func (s *Server) deleteCalendar(w http.ResponseWriter, r *http.Request, name string) error {
	if err := s.cfg.Client.DeleteCalendar(r.Context(), name); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
