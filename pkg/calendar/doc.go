// Package calendar holds named exclusion calendars: whole days (dates in
// the calendar's time zone, or a month and day every year) and maintenance
// windows (a start and an end, optionally every year). A job that names a
// calendar (job.Spec.SkipCalendars) does not run a slot the calendar
// excludes: the scheduler's leader records the slot as skipped, with the
// calendar's name in the reason, so the slot is still accounted for in the
// job's history and ledger.
//
// Calendars are stored in their own KV bucket (topology.Names.CalendarsBucket),
// written by the API and watched by the leader, which applies a change to
// the next slot it fires. Matcher is the one test of "does this calendar
// exclude this instant": the leader, `jetcron cron next --skip-calendar`
// and the job views all use it (through Set.Skip).
//
// ParseICS reads an iCalendar file (RFC 5545) into a calendar: all-day
// VEVENTs become dates, timed VEVENTs windows; an RRULE with FREQ=YEARLY
// repeats the event every year. The parser is defensive: hostile input
// gets an error, never a panic, and its size is bounded.
package calendar
