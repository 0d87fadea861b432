// Package schedule computes when jobs fire. It is pure: no I/O, no clock;
// every function takes the reference time as an argument, so the rules
// below can be table-tested across years in milliseconds.
//
// There are three kinds of Schedule:
//
//   - Cron: a 5-field (minute hour day-of-month month day-of-week) or
//     6-field (second first) cron spec, or a descriptor (@yearly,
//     @annually, @monthly, @weekly, @daily, @midnight, @hourly), evaluated
//     in an IANA time zone. Names (JAN, MON), ranges, lists, steps and "?"
//     work as in robfig/cron; day of month and day of week are ORed when
//     both are restricted, as in standard cron.
//   - Every: a fixed interval of elapsed time from an anchor instant.
//   - Once: a single instant.
//
// Time zones never appear in a spec ("TZ=..." is rejected): they come from
// the job's tz field through LoadLocation.
//
// # The DST rule
//
// jetcron follows ISC (Vixie) cron. A Cron is fixed-time unless its minute
// field or its hour field starts with "*" (or robfig's synonym "?"; the
// seconds field does not count). "30 2 * * *", "0 9 * * 1-5" and @daily are fixed-time;
// "*/15 * * * *", "0 * * * *", "0 */2 * * *", @hourly and "* * * * * *"
// are wildcard specs.
//
// Fire instants come from the wall-clock times w (in the spec's zone, to
// the second) that match the fields:
//
//   - w occurs once: it fires at that instant.
//   - w occurs twice, in the hour repeated when clocks fall back: a
//     fixed-time spec fires only at the first (earlier) instant; a wildcard
//     spec fires at both, so "*/15 * * * *" keeps running every 15 real
//     minutes through the repeated hour.
//   - w does not exist, in the gap when clocks spring forward: a fixed-time
//     spec fires at the transition instant (the first instant after the
//     gap), once, however many matching wall times the gap swallowed and
//     even if the wall time right after the gap matches too; a wildcard spec
//     does not fire for w.
//
// Examples in America/New_York, where 2026-03-08 02:00 EST jumps to 03:00
// EDT and 2026-11-01 02:00 EDT falls back to 01:00 EST:
//
//	"30 2 * * *"    2026-03-08T03:00:00-04:00 (02:30 does not exist)
//	"30 1 * * *"    2026-11-01T01:30:00-04:00 only (not 01:30 EST)
//	"*/15 * * * *"  ... 01:45-05:00, 03:00-04:00 ... on 03-08
//	                01:00-04:00, 01:15, 01:30, 01:45-04:00,
//	                01:00-05:00, 01:15, 01:30, 01:45-05:00, 02:00-05:00 on 11-01
//
// So a fixed-time daily job runs exactly once for every local day, and an
// hourly-style job tracks elapsed time. Zones with 30-minute shifts
// (Australia/Lord_Howe) and with transitions at midnight (America/Santiago,
// America/Havana, Asia/Beirut) follow the same rule. When a gap ends at
// midnight, the run for the lost wall time lands on the next calendar day:
// in America/Scoresbysund 2025-03-29 23:00 jumps to 03-30 00:00, so
// "30 23 * * *" runs for March 29 at 2025-03-30T00:00:00-01:00 (and again
// at 23:30 that evening, for March 30).
//
// # How Next works
//
// Next never relies on time.Date's choice for ambiguous or missing wall
// times. It splits the timeline into segments of constant UTC offset
// (time.Time.ZoneBounds), where wall clock and instant map one to one, and
// searches matching wall times field by field (month, day, hour, minute,
// second, with carry, like robfig's spec.go) within each segment. After a
// fall-back a fixed-time spec skips the walls that already occurred in the
// previous segment; before a spring-forward it checks whether any matching
// wall falls in the gap and, if so, fires at the transition. Next searches
// at most 5 years past t (HorizonYears) and returns the zero Time if nothing
// fires, so "0 0 30 2 *" costs microseconds, while "0 0 29 2 *" still finds
// the next leap day.
package schedule
