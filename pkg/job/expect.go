package job

import "time"

// Defaults of a job's expectations.
const (
	// DefaultStartWithin is how long after its slot a run may start before
	// the slot counts as late, and how long a slot may go without any event
	// before it is unaccounted (the slot ledger's default grace).
	DefaultStartWithin = time.Minute
	// DefaultAlertAfterFailures is how many consecutive failed executions
	// make a job failing.
	DefaultAlertAfterFailures = 1
	// MaxAlertAfterFailures bounds AlertAfterFailures.
	MaxAlertAfterFailures = 10_000
)

// Expect is what a job is expected to do, all optional: the scheduler
// replicas watch every job against it and set the job's health (package
// alert). It never changes how a job runs: a run past MaxRuntime is
// reported, not stopped (Timeout stops it).
type Expect struct {
	// StartWithin is the grace after a slot before it counts as late (a
	// published run not started yet), or unaccounted (no event at all).
	// Defaults to 1m; widened by the job's jitter.
	StartWithin Duration `json:"start_within,omitempty" yaml:"start_within,omitempty"`
	// MaxRuntime makes a run that lasts longer overrunning. Zero: no limit.
	MaxRuntime Duration `json:"max_runtime,omitempty" yaml:"max_runtime,omitempty"`
	// MinRuntime makes a successful run that ends sooner too_short. Zero:
	// no limit.
	MinRuntime Duration `json:"min_runtime,omitempty" yaml:"min_runtime,omitempty"`
	// AlertAfterFailures is how many consecutive failed executions (failed
	// or timed out; a success resets the count) make the job failing.
	// Defaults to 1.
	AlertAfterFailures int `json:"alert_after_failures,omitempty" yaml:"alert_after_failures,omitempty"`
}

// Grace returns StartWithin, or its default.
func (e Expect) Grace() time.Duration {
	if e.StartWithin > 0 {
		return e.StartWithin.D()
	}
	return DefaultStartWithin
}

// FailureThreshold returns AlertAfterFailures, or its default.
func (e Expect) FailureThreshold() int {
	if e.AlertAfterFailures > 0 {
		return e.AlertAfterFailures
	}
	return DefaultAlertAfterFailures
}

// validate checks e; fields are named expect.<field>.
func (e Expect) validate() FieldErrors {
	var es FieldErrors
	add := func(field, format string, args ...any) { es = append(es, Fieldf("expect."+field, format, args...)) }
	if e.StartWithin < 0 {
		add("start_within", "must not be negative")
	}
	if e.MaxRuntime < 0 {
		add("max_runtime", "must not be negative")
	}
	if e.MinRuntime < 0 {
		add("min_runtime", "must not be negative")
	}
	if e.MaxRuntime > 0 && e.MinRuntime > 0 && e.MinRuntime >= e.MaxRuntime {
		add("min_runtime", "%s must be shorter than max_runtime %s", e.MinRuntime, e.MaxRuntime)
	}
	if e.AlertAfterFailures < 0 {
		add("alert_after_failures", "must be at least 1")
	} else if e.AlertAfterFailures > MaxAlertAfterFailures {
		add("alert_after_failures", "%d is more than %d", e.AlertAfterFailures, MaxAlertAfterFailures)
	}
	return es
}
