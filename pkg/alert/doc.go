// Package alert defines a job's health and the alerts raised when it
// changes.
//
// A job's health is one of ok, late, failing, overrunning, paused — or, for
// one slot, unaccounted: a slot of an active job that is neither fired nor
// recorded within its grace. Every change of a job's health is an Alert,
// appended to the alerts stream (topology.Names.AlertsStream) on the
// subject <ns>.alerts.<job>, which other services may subscribe to and from
// which notification sinks are fed.
//
// More than one process may detect the same change (every scheduler replica
// watches the slots, not only the leader): an alert's message ID is derived
// from the job, the new health and its cause (the execution or the slot), so
// the stream's duplicate window keeps one of them.
package alert
