package job

import (
	"time"
)

// DefaultQueue is the worker pool a job runs on unless it names another.
const DefaultQueue = "default"

// Defaults of a job definition's optional fields.
const (
	DefaultCatchUpWindow = 5 * time.Minute
	DefaultKillGrace     = 10 * time.Second
	DefaultBackoff       = 10 * time.Second
	DefaultBackoffMax    = 10 * time.Minute
	// MaxCatchUpWindow bounds the catch-up window; the claims bucket keeps
	// claims longer than this, which is what lets a worker recognise a slot
	// re-fired within any window.
	MaxCatchUpWindow = 24 * time.Hour
)

// Spec is a job definition: the value stored under the job's name in the
// jobs bucket, and what `job get -o json` prints.
type Spec struct {
	// Name identifies the job; see ValidateName.
	Name string `json:"name" yaml:"name"`
	// Description is free text for people.
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	// Labels are free key/value pairs for filtering; apply --prune uses them.
	Labels map[string]string `json:"labels,omitempty" yaml:"labels,omitempty"`
	// Schedule says when the job fires.
	Schedule Schedule `json:"schedule" yaml:"schedule"`
	// Task says what a run does.
	Task Task `json:"task" yaml:"task"`
	// Queue is the worker pool that runs the job. Defaults to "default",
	// and for a Go handler's job to GoQueue(handler), "go-<handler>".
	Queue string `json:"queue,omitempty" yaml:"queue,omitempty"`
	// Timeout bounds one attempt; zero means no limit while the worker heartbeats.
	Timeout Duration `json:"timeout,omitempty" yaml:"timeout,omitempty"`
	// KillGrace is the time between SIGTERM and SIGKILL when a run is stopped.
	// Defaults to 10s.
	KillGrace Duration `json:"kill_grace,omitempty" yaml:"kill_grace,omitempty"`
	// Retry is the retry policy for failed attempts.
	Retry Retry `json:"retry,omitzero" yaml:"retry,omitempty"`
	// Overlap says what a slot does when the previous run has not ended.
	// Defaults to delay.
	Overlap Overlap `json:"overlap,omitempty" yaml:"overlap,omitempty"`
	// ConcurrencyKey, "KEY" or "KEY:N", lets at most N (default 1)
	// executions of all the jobs naming KEY run at once (concurrency.go).
	ConcurrencyKey string `json:"concurrency_key,omitempty" yaml:"concurrency_key,omitempty"`
	// CatchUp says which slots missed during an outage still fire.
	CatchUp CatchUp `json:"catchup,omitzero" yaml:"catchup,omitempty"`
	// Completions stops the job after that many fires; zero means no limit.
	Completions int `json:"completions,omitempty" yaml:"completions,omitempty"`
	// Jitter delays every fire by a fixed per-job offset in [0, Jitter).
	Jitter Duration `json:"jitter,omitempty" yaml:"jitter,omitempty"`
	// Params are passed to every run as JETCRON_PARAMS; a run's own params
	// (from a trigger or follow-up) override them key by key.
	Params map[string]string `json:"params,omitempty" yaml:"params,omitempty"`
	// Env is the environment of a command or script run, besides JETCRON_*.
	Env map[string]string `json:"env,omitempty" yaml:"env,omitempty"`
	// Expect is what the job is expected to do (expect.go).
	Expect Expect `json:"expect,omitzero" yaml:"expect,omitempty"`
	// SkipCalendars name calendars whose exclusions skip the job's slots (see schedules.go).
	SkipCalendars []string `json:"skip_calendars,omitempty" yaml:"skip_calendars,omitempty"`
	// Retention bounds how long the job's logs are kept (see retention.go).
	Retention *Retention `json:"retention,omitempty" yaml:"retention,omitempty"`
	// Disabled pauses the job: it keeps its definition and history, and no
	// slot fires until it is enabled.
	Disabled bool `json:"disabled,omitempty" yaml:"disabled,omitempty"`
	// DisabledReason says why, for people.
	DisabledReason string `json:"disabled_reason,omitempty" yaml:"disabled_reason,omitempty"`
	// CreatedAt and UpdatedAt are set by the API.
	CreatedAt time.Time `json:"created_at,omitzero" yaml:"-"`
	UpdatedAt time.Time `json:"updated_at,omitzero" yaml:"-"`
	// EnabledAt is when the job was last created or enabled: slots before it
	// are never fired (set by the API).
	EnabledAt time.Time `json:"enabled_at,omitzero" yaml:"-"`
	// DisabledAt is when the job was last disabled (set by the API): a
	// leader that takes over later accounts for the slots it owed until then.
	DisabledAt time.Time `json:"disabled_at,omitzero" yaml:"-"`
}

// Schedule is exactly one of Cron, Every or At, with bounds.
type Schedule struct {
	// Cron is a 5- or 6-field cron spec or a descriptor such as @daily.
	Cron string `json:"cron,omitempty" yaml:"cron,omitempty"`
	// Every is a fixed interval of at least one second, aligned to Start
	// when set, else to the Unix epoch.
	Every Duration `json:"every,omitempty" yaml:"every,omitempty"`
	// At is a single instant.
	At *time.Time `json:"at,omitempty" yaml:"at,omitempty"`
	// TZ is the IANA time zone a cron spec is evaluated in. Defaults to UTC.
	TZ string `json:"tz,omitempty" yaml:"tz,omitempty"`
	// Start and End bound the slots that fire.
	Start *time.Time `json:"start,omitempty" yaml:"start,omitempty"`
	End   *time.Time `json:"end,omitempty" yaml:"end,omitempty"`
	// Schedules are more cron or every specs; the job fires on any (see schedules.go).
	Schedules []ScheduleItem `json:"schedules,omitempty" yaml:"schedules,omitempty"`
}

// Kind names which schedule is set.
func (s Schedule) Kind() string {
	switch {
	case s.Cron != "":
		return "cron"
	case s.Every != 0:
		return "every"
	case s.At != nil:
		return "at"
	case len(s.Schedules) > 0:
		return s.Schedules[0].kind()
	default:
		return ""
	}
}

// Retry is a job's retry policy.
type Retry struct {
	// Retries is how many more attempts a failed run gets. Zero means none.
	Retries int `json:"retries,omitempty" yaml:"retries,omitempty"`
	// Backoff is the delay before the first retry. Defaults to 10s.
	Backoff Duration `json:"backoff,omitempty" yaml:"backoff,omitempty"`
	// BackoffMax caps the delay. Defaults to 10m.
	BackoffMax Duration `json:"backoff_max,omitempty" yaml:"backoff_max,omitempty"`
	// OnExit lists the exit codes that are retried; empty means every
	// non-zero code.
	OnExit []int `json:"on_exit,omitempty" yaml:"on_exit,omitempty"`
}

// Overlap is a job's overlap policy.
type Overlap string

// Overlap policies.
const (
	OverlapDelay   Overlap = "delay"
	OverlapSkip    Overlap = "skip"
	OverlapAllow   Overlap = "allow"
	OverlapReplace Overlap = "replace"
)

// CatchUp is a job's catch-up policy.
type CatchUp struct {
	// Window is how far back missed slots still fire. Defaults to 5m.
	Window Duration `json:"window,omitempty" yaml:"window,omitempty"`
	// Policy is "all" (every missed slot in the window, oldest first) or
	// "latest" (only the newest). Defaults to all.
	Policy string `json:"policy,omitempty" yaml:"policy,omitempty"`
}

// Catch-up policies.
const (
	CatchUpAll    = "all"
	CatchUpLatest = "latest"
)

// WithDefaults returns a copy of s with every optional field that has a
// default filled in; the API stores definitions this way so that what
// `job get` shows is what runs.
func (s Spec) WithDefaults() Spec {
	s.setDefaults()
	return s
}

// setDefaults fills in s's defaults (WithDefaults).
func (s *Spec) setDefaults() {
	if k, ok := rulesOf(s.Task.Kind); ok && k.defaults != nil {
		k.defaults(s)
	}
	if s.Queue == "" {
		s.Queue = DefaultQueue
	}
	if s.Overlap == "" {
		s.Overlap = OverlapDelay
	}
	if s.KillGrace == 0 {
		s.KillGrace = Duration(DefaultKillGrace)
	}
	if s.CatchUp.Window == 0 {
		s.CatchUp.Window = Duration(DefaultCatchUpWindow)
	}
	if s.CatchUp.Policy == "" {
		s.CatchUp.Policy = CatchUpAll
	}
	if s.Retry.Retries > 0 {
		if s.Retry.Backoff == 0 {
			s.Retry.Backoff = Duration(DefaultBackoff)
		}
		if s.Retry.BackoffMax == 0 {
			s.Retry.BackoffMax = Duration(max(DefaultBackoffMax, s.Retry.Backoff.D()))
		}
	}
}
