// Package alert defines a job's health and the alerts raised when it
// changes.
//
// A job's health is one of ok, late, failing, overrunning, too_short,
// paused, or unaccounted: a slot of an active job is neither fired nor
// recorded within its grace. The scheduler replicas' watchdogs set it
// (scheduler/internal/watchdog) and store it (package health). Every change
// of a job's health is an Alert, appended to the alerts stream
// (topology.Names.AlertsStream) on the subject <ns>.alerts.<job>, which
// other services may subscribe to and from which notification sinks are
// fed.
//
// More than one process may detect the same change (every scheduler replica
// watches the slots, not only the leader): an alert's message ID is derived
// from the job, the new health, its cause (the execution, the slot or the
// definition revision) and the health it replaces, so the stream's
// duplicate window keeps one of them.
package alert
