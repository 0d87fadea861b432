package api

import (
	"github.com/jetcron/jetcron/pkg/calendar"
)

// Verbs of the calendar API.
const (
	VerbCalendarCreate = "calendar_create"
	VerbCalendarGet    = "calendar_get"
	VerbCalendarList   = "calendar_list"
	VerbCalendarDelete = "calendar_delete"
)

// CalendarCreateRequest creates a calendar, or replaces it when Update is set.
type CalendarCreateRequest struct {
	Calendar calendar.Calendar `json:"calendar"`
	Update   bool              `json:"update,omitempty"`
	DryRun   bool              `json:"dry_run,omitempty"`
}

// CalendarView is a calendar as the API shows it.
type CalendarView struct {
	calendar.Calendar
	// Revision is the calendar's revision in its bucket.
	Revision uint64 `json:"revision"`
	// Text says what it excludes in a few words.
	Text string `json:"summary_text,omitempty"`
	// UsedBy are the jobs that name it.
	UsedBy []string `json:"used_by,omitempty"`
}

// CalendarCreateResponse reports the stored calendar and what happened.
type CalendarCreateResponse struct {
	Calendar CalendarView `json:"calendar"`
	// Result is "created", "updated" or "unchanged".
	Result string `json:"result"`
}
