package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/jetcron/jetcron/pkg/alert"
)

// Message is what a webhook receives as JSON and a NATS sink publishes:
// the alert, with links to the web UI when the scheduler knows its address.
type Message struct {
	V int `json:"v"`
	// Sink names the sink that sends it.
	Sink string `json:"sink"`
	// Alert is the change of the job's health (package alert).
	Alert alert.Alert `json:"alert"`
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

// ID identifies the message: the same alert repeated for the n-th time to
// the same sink has the same ID (a NATS sink sends it as Nats-Msg-Id, so a
// stream that captures the subject keeps one copy of a redelivery).
func (m Message) ID() string {
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
