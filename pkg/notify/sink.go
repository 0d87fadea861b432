package notify

import (
	"cmp"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jetcron/jetcron/pkg/alert"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/topology"
)

// Version is the schema version of the payloads a sink receives.
const Version = 1

// Limits of a definition.
const (
	// MinRealert is the shortest re-alert interval: a sink is for people.
	MinRealert = time.Minute
	// MaxMatch bounds the labels a sink matches on.
	MaxMatch = 64
	// MaxURLLen bounds a webhook URL.
	MaxURLLen = 2048
	// DefaultLimit is how many notifications a sink sends a minute, each
	// scheduler replica, unless its Limit says otherwise.
	DefaultLimit = 20
	// MaxLimit bounds a sink's Limit.
	MaxLimit = 10_000
)

// Sink is a notification sink: the value stored under SinkKey(name), and
// what `jetcron notify get -o json` prints. Exactly one of Webhook and
// Subject is set.
type Sink struct {
	// Name identifies the sink: 1–128 characters of [A-Za-z0-9_-].
	Name string `json:"name" yaml:"name"`
	// Description is free text for people.
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	// Webhook is an http or https URL the alert is POSTed to as JSON.
	Webhook string `json:"webhook,omitempty" yaml:"webhook,omitempty"`
	// Slack sends the webhook a Slack-compatible payload ({"text": ...})
	// instead of the alert's JSON.
	Slack bool `json:"slack,omitempty" yaml:"slack,omitempty"`
	// Subject is a NATS subject the alert's JSON is published on.
	Subject string `json:"subject,omitempty" yaml:"subject,omitempty"`
	// Match keeps the alerts of jobs that have every one of these labels.
	// Empty matches every job.
	Match map[string]string `json:"match,omitempty" yaml:"match,omitempty"`
	// Health keeps the alerts that change a job to one of these healths,
	// and the recoveries (to ok) from one of them. Empty keeps every alert.
	Health []alert.Health `json:"health,omitempty" yaml:"health,omitempty"`
	// Realert repeats the last alert while the job stays in a bad health,
	// every Realert (at least MinRealert). Zero sends each change once.
	Realert job.Duration `json:"realert,omitempty" yaml:"realert,omitempty"`
	// Limit is how many notifications the sink sends a minute (each
	// scheduler replica counts its own); the alerts beyond it in a minute
	// go as one summary at the minute's end. Zero is DefaultLimit.
	Limit int `json:"limit,omitempty" yaml:"limit,omitempty"`
	// CreatedAt and UpdatedAt are set by the API.
	CreatedAt time.Time `json:"created_at,omitzero" yaml:"-"`
	UpdatedAt time.Time `json:"updated_at,omitzero" yaml:"-"`
}

// Kind names where the sink delivers: "webhook", "slack" or "nats".
func (s Sink) Kind() string {
	switch {
	case s.Subject != "":
		return "nats"
	case s.Slack:
		return "slack"
	default:
		return "webhook"
	}
}

// Target is the URL or subject the sink delivers to.
func (s Sink) Target() string {
	if s.Subject != "" {
		return s.Subject
	}
	return s.Webhook
}

var labelKeyRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9_.\-/]{0,61}[A-Za-z0-9])?$`)

// Validate checks every field of s and reports all problems together
// (errors.Is(err, job.ErrInvalid) holds; each problem is a *job.FieldError
// naming its field). names is the namespace the sink lives in: a NATS sink
// may not publish on the namespace's own subjects, except <ns>.notify.>.
func (s Sink) Validate(names topology.Names) error {
	var es job.FieldErrors
	add := func(field, format string, args ...any) { es = append(es, job.Fieldf(field, format, args...)) }
	if err := job.ValidateName(s.Name); err != nil {
		add("name", "%v", err)
	}
	if len(s.Description) > job.MaxDescriptionLen {
		add("description", "is %d bytes; at most %d are allowed", len(s.Description), job.MaxDescriptionLen)
	}
	switch {
	case s.Webhook == "" && s.Subject == "":
		add("webhook", "a sink needs a webhook URL or a NATS subject")
	case s.Webhook != "" && s.Subject != "":
		add("subject", "a sink has a webhook URL or a NATS subject, not both")
	case s.Webhook != "":
		if err := validateURL(s.Webhook); err != nil {
			add("webhook", "%v", err)
		}
	default:
		if err := ValidateSubject(names, s.Subject); err != nil {
			add("subject", "%v", err)
		}
		if s.Slack {
			add("slack", "only a webhook sends a Slack payload")
		}
	}
	if len(s.Match) > MaxMatch {
		add("match", "has %d labels; at most %d are allowed", len(s.Match), MaxMatch)
	}
	for _, k := range slices.Sorted(maps.Keys(s.Match)) {
		if !labelKeyRE.MatchString(k) {
			add("match", "label %q must be 1-63 characters of letters, digits, '_', '-', '.', '/' starting and ending with a letter or digit", k)
		}
		if v := s.Match[k]; len(v) > 256 || !utf8.ValidString(v) {
			add("match", "value of %q must be valid UTF-8 of at most 256 bytes", k)
		}
	}
	seen := map[alert.Health]bool{}
	for _, h := range s.Health {
		if !h.Valid() {
			add("health", "%q is not a health (use %s)", string(h), healthList())
		} else if seen[h] {
			add("health", "%q appears more than once", string(h))
		}
		seen[h] = true
	}
	switch r := s.Realert.D(); {
	case r < 0:
		add("realert", "must not be negative")
	case r > 0 && r < MinRealert:
		add("realert", "%s is shorter than %s (0 sends each change once)", s.Realert, job.FormatDuration(MinRealert))
	}
	if s.Limit < 0 || s.Limit > MaxLimit {
		add("limit", "%d is not between 1 and %d notifications a minute (0: %d)", s.Limit, MaxLimit, DefaultLimit)
	}
	if len(es) == 0 {
		return nil
	}
	if len(es) == 1 {
		return es[0]
	}
	return es
}

// PerMinute is how many notifications the sink sends a minute.
func (s Sink) PerMinute() int { return cmp.Or(s.Limit, DefaultLimit) }

func healthList() string {
	hs := []string{}
	for _, h := range []alert.Health{alert.OK, alert.Late, alert.Failing, alert.Overrunning, alert.TooShort, alert.Paused, alert.Unaccounted} {
		hs = append(hs, string(h))
	}
	return strings.Join(hs, ", ")
}

// validateURL accepts an absolute http or https URL with a host and no
// credentials: a URL is shown to everyone who may read sinks, so a secret
// belongs in its path (as Slack's and healthchecks.io's URLs carry it),
// never in a user:password part.
func validateURL(raw string) error {
	if len(raw) > MaxURLLen {
		return fmt.Errorf("is %d bytes; at most %d are allowed", len(raw), MaxURLLen)
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return fmt.Errorf("%q contains a space or control character", job.Echo(raw))
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL", job.Echo(raw))
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%q: only http and https URLs are allowed", job.Echo(raw))
	case u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("%q has no host", job.Echo(raw))
	case u.User != nil:
		return fmt.Errorf("credentials in the URL (user:password@) are refused: the URL is shown to everyone who may read sinks")
	case u.Fragment != "":
		return fmt.Errorf("%q has a fragment (#...), which is never sent", job.Echo(raw))
	}
	return nil
}

// ValidateURL checks an outbound URL as a webhook's is checked (the
// scheduler's --heartbeat-url and --ui-url too).
func ValidateURL(raw string) error { return validateURL(raw) }

// ValidateSubject checks a subject a sink publishes on: tokens of printable
// characters without wildcards, not a system subject ($..., _INBOX...), and
// not in the namespace's own space (<ns>.work, <ns>.events, ...) except
// <ns>.notify.>, where a sink cannot inject work or events.
func ValidateSubject(names topology.Names, subj string) error {
	if len(subj) > 256 {
		return fmt.Errorf("is %d bytes; at most 256 are allowed", len(subj))
	}
	for i, tok := range strings.Split(subj, ".") {
		if tok == "" {
			return fmt.Errorf("%q has an empty token", job.Echo(subj))
		}
		if tok == "*" || tok == ">" {
			return fmt.Errorf("%q has a wildcard; a sink publishes on one subject", job.Echo(subj))
		}
		if strings.ContainsFunc(tok, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '*' || r == '>' }) {
			return fmt.Errorf("%q has a space, control character or wildcard in token %d", job.Echo(subj), i+1)
		}
	}
	if strings.HasPrefix(subj, "$") || strings.HasPrefix(subj, "_INBOX") {
		return fmt.Errorf("%q is a system subject", job.Echo(subj))
	}
	ns := names.Namespace() + "."
	if strings.HasPrefix(subj, ns) && !strings.HasPrefix(subj, names.NotifySubjectPrefix()) {
		return fmt.Errorf("%q is in jetcron's own subjects; use one under %s> or outside %s>", job.Echo(subj), names.NotifySubjectPrefix(), ns)
	}
	return nil
}

// Matches reports whether the sink takes a: the job has every label of
// Match, and a's health is one of Health, or a is a recovery (ok) from one
// of them. A sink takes every alert when Health is empty.
func (s Sink) Matches(a alert.Alert) bool {
	return s.MatchesJob(a.Labels) && s.MatchesHealth(a)
}

// MatchesJob reports whether a job with these labels is one of the sink's.
func (s Sink) MatchesJob(labels map[string]string) bool {
	for k, v := range s.Match {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// MatchesHealth reports whether the sink takes alerts of a's health.
func (s Sink) MatchesHealth(a alert.Alert) bool {
	if len(s.Health) == 0 {
		return true
	}
	if slices.Contains(s.Health, a.Health) {
		return true
	}
	return a.Health == alert.OK && a.Previous != "" && slices.Contains(s.Health, a.Previous)
}

// Bad reports whether a health is one that re-alerting repeats: every
// health but ok and paused (a job disabled on purpose).
func Bad(h alert.Health) bool { return h != alert.OK && h != alert.Paused && h != "" }
