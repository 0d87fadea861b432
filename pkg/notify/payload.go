package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/jetcron/jetcron/pkg/alert"
)

// Message is what a webhook receives as JSON and a NATS sink publishes:
// the alert, with links to the web UI when the scheduler knows its address.
type Message struct {
	V int `json:"v"`
	// Sink names the sink that sends it.
	Sink string `json:"sink"`
	// Alert is the change of the job's health (package alert). A summary
	// has none.
	Alert alert.Alert `json:"alert,omitzero"`
	// Summary counts the alerts of a minute beyond the sink's limit, which
	// were not sent one by one.
	Summary *Summary `json:"summary,omitempty"`
	// URL is the job's page in the web UI; ExecutionURL the execution's,
	// when the alert is about one.
	URL          string `json:"url,omitempty"`
	ExecutionURL string `json:"execution_url,omitempty"`
	// Realert marks a repetition of a health that has not changed; Repeat
	// counts them from 1.
	Realert bool `json:"realert,omitempty"`
	Repeat  int  `json:"repeat,omitempty"`
	// Test marks the message of `jetcron notify test`.
	Test bool `json:"test,omitempty"`
}

// NewMessage returns the message a sink sends about a. uiURL is the web
// UI's base URL ("" leaves the links out).
func NewMessage(sink string, a alert.Alert, uiURL string) Message {
	m := Message{V: Version, Sink: sink, Alert: a}
	if uiURL != "" {
		base := strings.TrimRight(uiURL, "/")
		m.URL = base + "/jobs/" + url.PathEscape(a.Job)
		if a.Execution != "" {
			m.ExecutionURL = base + "/executions/" + url.PathEscape(a.Execution)
		}
	}
	return m
}

// SummaryJobs is how many job names a summary lists.
const SummaryJobs = 20

// Summary is what a sink sends at the end of a minute in which more
// alerts came than its limit: those it did not send, counted. After an
// outage every job may change health at once; a sink for people gets a
// few messages and this one, not one per job.
type Summary struct {
	// From and To bound the minute.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Limit is the sink's notifications a minute.
	Limit int `json:"limit"`
	// Total counts the alerts not sent: changes, by the health they are
	// to, and Reminders, the repetitions of a bad health.
	Total     int                  `json:"total"`
	Changes   map[alert.Health]int `json:"changes,omitempty"`
	Reminders int                  `json:"reminders,omitempty"`
	// Jobs names the jobs of the first SummaryJobs of them, once each.
	Jobs []string `json:"jobs"`
}

// Add counts a, an alert not sent (a reminder when realert is set).
func (s *Summary) Add(a alert.Alert, realert bool) {
	s.Total++
	if realert {
		s.Reminders++
	} else {
		if s.Changes == nil {
			s.Changes = map[alert.Health]int{}
		}
		s.Changes[a.Health]++
	}
	if len(s.Jobs) < SummaryJobs && !slices.Contains(s.Jobs, a.Job) {
		s.Jobs = append(s.Jobs, a.Job)
	}
}

// NewSummaryMessage returns the message a sink sends for s. uiURL is the
// web UI's base URL ("" leaves the link out).
func NewSummaryMessage(sink string, s Summary, uiURL string) Message {
	m := Message{V: Version, Sink: sink, Summary: &s}
	if uiURL != "" {
		m.URL = strings.TrimRight(uiURL, "/") + "/jobs"
	}
	return m
}

// ID identifies the message: the same alert repeated for the n-th time to
// the same sink has the same ID (a NATS sink sends it as Nats-Msg-Id, so a
// stream that captures the subject keeps one copy of a redelivery).
func (m Message) ID() string {
	if m.Summary != nil {
		return m.Sink + "/summary/" + m.Summary.To.UTC().Format("20060102T150405.000Z")
	}
	id := m.Sink + "/" + m.Alert.MsgID()
	if m.Realert {
		id += fmt.Sprintf("/repeat-%d", m.Repeat)
	}
	if m.Test {
		id += "/test-" + m.Alert.Time.UTC().Format("20060102T150405.000Z")
	}
	return id
}

// Text is the message in one line for people (a Slack message).
func (m Message) Text() string {
	if m.Summary != nil {
		return m.summaryText()
	}
	a := m.Alert
	var b strings.Builder
	if m.Test {
		b.WriteString("[test] ")
	}
	b.WriteString(emoji(a.Health))
	fmt.Fprintf(&b, " jetcron: job %s is %s", a.Job, a.Health)
	if a.Previous != "" && !m.Realert {
		fmt.Fprintf(&b, " (was %s)", a.Previous)
	}
	if m.Realert {
		fmt.Fprintf(&b, " (still, since %s; reminder %d)", a.Time.UTC().Format("2006-01-02 15:04:05Z"), m.Repeat)
	}
	if a.Reason != "" {
		b.WriteString(": " + a.Reason)
	}
	if !a.Slot.IsZero() {
		b.WriteString("; slot " + a.Slot.UTC().Format("2006-01-02 15:04:05Z"))
	}
	if a.Execution != "" {
		b.WriteString("; execution " + a.Execution)
	}
	if m.URL != "" {
		fmt.Fprintf(&b, " <%s|open>", m.URL)
	}
	return b.String()
}

func emoji(h alert.Health) string {
	switch h {
	case alert.OK:
		return ":large_green_circle:"
	case alert.Paused:
		return ":double_vertical_bar:"
	case alert.Late, alert.Overrunning, alert.TooShort:
		return ":large_orange_circle:"
	default:
		return ":red_circle:"
	}
}

// Body returns what sink s sends for m: m's JSON, or for a Slack sink the
// Slack-compatible {"text": ...}.
func (s Sink) Body(m Message) ([]byte, error) {
	var v any = m
	if s.Slack {
		v = struct {
			Text string `json:"text"`
		}{m.Text()}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // Slack's links are <url|text>
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func (m Message) summaryText() string {
	s := m.Summary
	var b strings.Builder
	fmt.Fprintf(&b, ":warning: jetcron: %d more alerts in the minute to %s than this sink sends one by one (%d a minute)",
		s.Total, s.To.UTC().Format("2006-01-02 15:04:05Z"), s.Limit)
	var parts []string
	for _, h := range slices.Sorted(maps.Keys(s.Changes)) {
		parts = append(parts, fmt.Sprintf("%d %s", s.Changes[h], h))
	}
	if s.Reminders > 0 {
		parts = append(parts, fmt.Sprintf("%d reminders", s.Reminders))
	}
	if len(parts) > 0 {
		b.WriteString(": " + strings.Join(parts, ", "))
	}
	if len(s.Jobs) > 0 {
		b.WriteString("; jobs " + strings.Join(s.Jobs, ", "))
		if s.Total > len(s.Jobs) {
			b.WriteString(", …")
		}
	}
	if m.URL != "" {
		fmt.Fprintf(&b, " <%s|open>", m.URL)
	}
	return b.String()
}
