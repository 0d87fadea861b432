package job

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jetcron/jetcron/pkg/schedule"
)

// Limits on a definition's sizes.
const (
	MaxDescriptionLen = 1024
	MaxLabels         = 64
	MaxParamsBytes    = 64 << 10
	MaxEnvBytes       = 64 << 10
	MaxRetries        = 100
)

var labelKeyRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9_.\-/]{0,61}[A-Za-z0-9])?$`)

// Validate checks every field of s and reports all problems together as
// FieldErrors (errors.Is(err, ErrInvalid) holds). It does not check that an
// At instant lies in the future: only a new schedule must, and the API knows
// when a schedule is new (see CheckFuture).
func (s *Spec) Validate() error {
	var es FieldErrors
	add := func(field, format string, args ...any) { es = append(es, Fieldf(field, format, args...)) }

	if err := ValidateName(s.Name); err != nil {
		add("name", "%v", err)
	}
	if len(s.Description) > MaxDescriptionLen {
		add("description", "is %d bytes; at most %d are allowed", len(s.Description), MaxDescriptionLen)
	}
	if len(s.Labels) > MaxLabels {
		add("labels", "has %d labels; at most %d are allowed", len(s.Labels), MaxLabels)
	}
	for k, v := range s.Labels {
		if !labelKeyRE.MatchString(k) {
			add("labels", "key %q must be 1-63 characters of letters, digits, '_', '-', '.', '/' starting and ending with a letter or digit", k)
		}
		if len(v) > 256 || !utf8.ValidString(v) {
			add("labels", "value of %q must be valid UTF-8 of at most 256 bytes", k)
		}
	}
	es = append(es, s.Schedule.validate()...)
	es = append(es, s.validateMulti()...)
	es = append(es, s.Task.validate()...)
	if s.Queue != "" {
		if err := ValidateName(s.Queue); err != nil {
			add("queue", "%v", err)
		}
	}
	if s.Timeout < 0 {
		add("timeout", "must be positive")
	}
	if s.KillGrace < 0 {
		add("kill_grace", "must be positive")
	}
	es = append(es, s.Retry.validate()...)
	es = append(es, s.Expect.validate()...)
	switch s.Overlap {
	case "", OverlapDelay, OverlapSkip, OverlapAllow, OverlapReplace:
	default:
		add("overlap", "unknown policy %q (use delay, skip, allow or replace)", s.Overlap)
	}
	es = append(es, s.validateConcurrency()...)
	if s.CatchUp.Window < 0 {
		add("catchup.window", "must be positive")
	} else if s.CatchUp.Window.D() > MaxCatchUpWindow {
		add("catchup.window", "%s is longer than the maximum of %s", s.CatchUp.Window, FormatDuration(MaxCatchUpWindow))
	}
	switch s.CatchUp.Policy {
	case "", CatchUpAll, CatchUpLatest:
	default:
		add("catchup.policy", "unknown policy %q (use all or latest)", s.CatchUp.Policy)
	}
	if s.Completions < 0 {
		add("completions", "must not be negative")
	}
	if s.Jitter < 0 {
		add("jitter", "must be positive")
	} else if s.Schedule.Every != 0 && s.Jitter >= s.Schedule.Every {
		add("jitter", "%s must be shorter than the interval %s", s.Jitter, s.Schedule.Every)
	}
	size := 0
	for k, v := range s.Params {
		if err := ValidateParamName(k); err != nil {
			add("params", "%v", err)
		}
		size += len(k) + len(v)
	}
	if size > MaxParamsBytes {
		add("params", "are %d bytes; at most %d are allowed", size, MaxParamsBytes)
	}
	size = 0
	for k, v := range s.Env {
		if err := ValidateEnvName(k); err != nil {
			add("env", "%v", err)
		}
		if strings.ContainsRune(v, 0) {
			add("env", "value of %s contains a NUL byte", k)
		}
		if !checkSecretRef(v) {
			add("env", "value of %s is not a secret reference ${secret:NAME} (NAME: letters, digits, '_', '-', '.')", k)
		}
		size += len(k) + len(v)
	}
	if size > MaxEnvBytes {
		add("env", "is %d bytes; at most %d are allowed", size, MaxEnvBytes)
	}
	if len(s.DisabledReason) > MaxDescriptionLen {
		add("disabled_reason", "is longer than %d bytes", MaxDescriptionLen)
	}
	return es.err()
}

// Normalize validates s and returns it with its defaults filled in (see
// WithDefaults): what an edge that takes a definition in applies before it
// stores or schedules it. Only Normalize applies the defaults; the package
// documentation says which edges call it and why.
func (s Spec) Normalize() (Spec, error) {
	err := s.NormalizeInPlace()
	return s, err
}

// NormalizeInPlace is Normalize for a definition held by pointer: s is
// validated and, if valid, given its defaults; if not, it is left as it
// was. (A decoder of a million definitions spares a copy of each.)
func (s *Spec) NormalizeInPlace() error {
	if err := s.Validate(); err != nil {
		return err
	}
	s.setDefaults()
	return nil
}

// CheckFuture reports an error if a one-shot schedule's instant is not after
// now. The API calls it when a schedule is created or changed.
func (s *Spec) CheckFuture(now time.Time) error {
	if s.Schedule.At != nil && !s.Schedule.At.After(now) {
		return Fieldf("schedule.at", "%s is in the past", s.Schedule.At.Format(time.RFC3339))
	}
	if s.Schedule.End != nil && !s.Schedule.End.After(now) {
		return Fieldf("schedule.end", "%s is in the past", s.Schedule.End.Format(time.RFC3339))
	}
	return nil
}

func (s Schedule) validate() FieldErrors {
	var es FieldErrors
	add := func(field, format string, args ...any) { es = append(es, Fieldf(field, format, args...)) }
	n := 0
	for _, set := range []bool{s.Cron != "", s.Every != 0, s.At != nil} {
		if set {
			n++
		}
	}
	if len(s.Schedules) > 0 {
		if s.At != nil {
			add("schedule.schedules", "cannot be combined with at (a one-shot job has one instant)")
			return es
		}
	} else if n != 1 {
		add("schedule", "set exactly one of cron, every or at (%d set)", n)
		return es
	}
	loc, err := schedule.LoadLocation(s.TZ)
	if err != nil {
		add("schedule.tz", "%v", err)
		return es
	}
	switch {
	case s.Cron != "":
		c, err := schedule.ParseCron(s.Cron, loc)
		if err != nil {
			add("schedule.cron", "%v", err)
			return es
		}
		if err := schedule.CheckFires(c, s.from()); err != nil {
			add("schedule.cron", "%q %v", s.Cron, err)
		}
	case s.Every != 0:
		if s.Every.D() < schedule.MinEvery {
			add("schedule.every", "%s is shorter than the minimum of %s", s.Every, FormatDuration(schedule.MinEvery))
		}
	}
	es = append(es, s.validateItems(loc)...)
	if s.Start != nil && s.End != nil && !s.End.After(*s.Start) {
		add("schedule.end", "%s is not after start %s", s.End.Format(time.RFC3339), s.Start.Format(time.RFC3339))
	}
	return es
}

// from is where a never-fires check starts: the start bound if any, else now
// is not known here, so the Unix epoch of this century is used; a spec that
// fires at least once in any 5-year span fires from any start.
func (s Schedule) from() time.Time {
	if s.Start != nil {
		return *s.Start
	}
	return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
}

func (r Retry) validate() FieldErrors {
	var es FieldErrors
	add := func(field, format string, args ...any) { es = append(es, Fieldf(field, format, args...)) }
	if r.Retries < 0 {
		add("retry.retries", "must not be negative")
	} else if r.Retries > MaxRetries {
		add("retry.retries", "%d is over the maximum of %d", r.Retries, MaxRetries)
	}
	if r.Backoff < 0 {
		add("retry.backoff", "must be positive")
	}
	if r.BackoffMax < 0 {
		add("retry.backoff_max", "must be positive")
	}
	if r.Backoff > 0 && r.BackoffMax > 0 && r.BackoffMax < r.Backoff {
		add("retry.backoff_max", "%s is below the initial backoff %s", r.BackoffMax, r.Backoff)
	}
	for _, c := range r.OnExit {
		if c < 1 || c > 255 {
			add("retry.on_exit", "exit code %d is not in 1-255", c)
		}
	}
	return es
}

// Compile returns the schedule of s with its start and end bounds applied.
func (s Schedule) Compile() (schedule.Schedule, error) {
	loc, err := schedule.LoadLocation(s.TZ)
	if err != nil {
		return nil, Fieldf("schedule.tz", "%v", err)
	}
	inner, err := s.base(loc)
	if err != nil {
		return nil, err
	}
	if inner, err = s.withItems(inner, loc); err != nil {
		return nil, err
	}
	if s.Start == nil && s.End == nil {
		return inner, nil
	}
	return bounded{inner: inner, start: s.Start, end: s.End}, nil
}

// base returns the schedule of s without its start and end bounds.
func (s Schedule) base(loc *time.Location) (schedule.Schedule, error) {
	switch {
	case s.Cron != "":
		c, err := schedule.ParseCron(s.Cron, loc)
		if err != nil {
			return nil, Fieldf("schedule.cron", "%v", err)
		}
		return c, nil
	case s.Every != 0:
		e := schedule.Every{Interval: s.Every.D()}
		if s.Start != nil {
			e.Anchor = *s.Start
		}
		return e, nil
	case s.At != nil:
		return schedule.Once{At: *s.At}, nil
	case len(s.Schedules) > 0:
		return nil, nil // the items alone (withItems)
	}
	return nil, Fieldf("schedule", "set exactly one of cron, every or at")
}

// bounded restricts a schedule to [start, end].
type bounded struct {
	inner      schedule.Schedule
	start, end *time.Time
}

func (b bounded) Next(t time.Time) time.Time {
	if b.start != nil && t.Before(*b.start) {
		t = b.start.Add(-time.Nanosecond)
	}
	n := b.inner.Next(t)
	if n.IsZero() || b.end != nil && n.After(*b.end) {
		return time.Time{}
	}
	return n
}

// Location returns the schedule's time zone (UTC when unset or unknown).
func (s Schedule) Location() *time.Location {
	loc, err := schedule.LoadLocation(s.TZ)
	if err != nil {
		return time.UTC
	}
	return loc
}

// String describes the schedule as written: "cron 0 30 2 * * * (Europe/Berlin)",
// "every 5m", "at 2026-01-02T15:04:05Z".
func (s Schedule) String() string {
	var out string
	switch {
	case s.Cron != "":
		out = "cron " + s.Cron
	case s.Every != 0:
		out = "every " + s.Every.String()
	case s.At != nil:
		out = "at " + s.At.Format(time.RFC3339)
	}
	out = s.itemsString(out)
	if s.TZ != "" && s.TZ != "UTC" {
		out += fmt.Sprintf(" (%s)", s.TZ)
	}
	return out
}

// Describe says the schedule in words ("at 02:30 every day (Europe/Berlin)").
func (s Schedule) Describe() string {
	inner, err := s.base(s.Location())
	if err != nil {
		if s.Cron != "" {
			return s.Cron
		}
		return ""
	}
	if len(s.Schedules) > 0 {
		return s.describeItems(inner)
	}
	d, ok := inner.(interface{ Describe() string })
	if !ok {
		return ""
	}
	out := d.Describe()
	if s.TZ != "" && s.TZ != "UTC" && s.Cron != "" {
		out += " (" + s.TZ + ")"
	}
	return out
}
