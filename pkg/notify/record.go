package notify

import (
	"slices"
	"strings"
	"time"

	"github.com/jetcron/jetcron/pkg/alert"
)

// Keys of the notify bucket. Sink and job names are single tokens
// (job.ValidateName), so every key below is one of its kind.

// SinkKey is the key of a sink's definition.
func SinkKey(name string) string { return "sink." + name }

// SinkKeys matches every definition.
const SinkKeys = "sink.*"

// SinkOf returns the sink name of a definition key.
func SinkOf(key string) (string, bool) {
	if len(key) > len("sink.") && key[:len("sink.")] == "sink." {
		return key[len("sink."):], true
	}
	return "", false
}

// LogKey is the key of a sink's last deliveries (a Log).
func LogKey(name string) string { return "log." + name }

// StateKey is the key of what a sink last sent about a job (a State).
func StateKey(sink, job string) string { return "state." + sink + "." + job }

// StateKeys matches every State of every sink.
const StateKeys = "state.*.*"

// SinkStateKeys matches the States of one sink.
func SinkStateKeys(sink string) string { return "state." + sink + ".*" }

// Delivery statuses.
const (
	// StatusDelivered: the sink accepted the alert.
	StatusDelivered = "delivered"
	// StatusFailed: this attempt failed; another follows.
	StatusFailed = "failed"
	// StatusGaveUp: the last attempt failed (or the failure is permanent,
	// as a 4xx answer); the alert is not sent to this sink again.
	StatusGaveUp = "gave_up"
)

// Delivery records one attempt to deliver an alert to a sink.
type Delivery struct {
	// Time is when the attempt ended.
	Time time.Time `json:"time"`
	// Job, Health and AlertID name the alert (AlertID is its message ID,
	// alert.Alert.MsgID); Seq is its sequence in the alerts stream (zero
	// for a test).
	Job     string       `json:"job"`
	Health  alert.Health `json:"health"`
	AlertID string       `json:"alert_id"`
	Seq     uint64       `json:"seq,omitempty"`
	// Realert marks a repetition of a bad health; Test a `notify test`.
	Realert bool `json:"realert,omitempty"`
	Test    bool `json:"test,omitempty"`
	// Summary counts the alerts a summary is about (Job is empty): a
	// minute's alerts beyond the sink's limit.
	Summary int `json:"summary,omitempty"`
	// Attempt counts from 1.
	Attempt int `json:"attempt"`
	// Status is delivered, failed or gave_up.
	Status string `json:"status"`
	// Code is the HTTP status the webhook answered (zero for none).
	Code int `json:"code,omitempty"`
	// Error says why an attempt failed.
	Error string `json:"error,omitempty"`
	// Duration is how long the attempt took.
	Duration time.Duration `json:"duration_ns"`
	// By names the scheduler replica that made the attempt.
	By string `json:"by,omitempty"`
}

// MaxLog is how many deliveries a sink's Log keeps.
const MaxLog = 50

// Log is a sink's last deliveries, oldest first.
type Log struct {
	Deliveries []Delivery `json:"deliveries"`
}

// MaxError bounds a recorded error: a webhook chooses its status line.
const MaxError = 512

// Add appends d, dropping the oldest beyond MaxLog.
func (l *Log) Add(d Delivery) {
	if len(d.Error) > MaxError {
		d.Error = strings.ToValidUTF8(d.Error[:MaxError], "") + "…"
	}
	l.Deliveries = append(l.Deliveries, d)
	if n := len(l.Deliveries) - MaxLog; n > 0 {
		l.Deliveries = append([]Delivery(nil), l.Deliveries[n:]...)
	}
}

// State is what a sink last knew and sent about a job: the basis of
// de-duplication after a redelivery and of re-alerting.
type State struct {
	// Seq is the alerts-stream sequence of the last alert of the job the
	// sink has handled (sent, given up, or filtered out by its healths).
	// An alert at or below it is not sent again.
	Seq uint64 `json:"seq"`
	// Alert is that alert: the job's health as the sink knows it.
	Alert alert.Alert `json:"alert"`
	// Sent is when the sink last sent something about the job (a change or
	// a repetition); zero when the last alert was not sent to it.
	Sent time.Time `json:"sent,omitzero"`
	// Repeats counts the repetitions of Alert sent so far.
	Repeats int `json:"repeats,omitempty"`
	// Recent lists the sequences of the last alerts of the job the sink
	// has handled (at most MaxRecent), Seq included: an alert redelivered
	// after a newer one was handled is recognised, and one that was not
	// handled yet is still sent, late rather than never.
	Recent []uint64 `json:"recent,omitempty"`
}

// MaxRecent bounds State.Recent.
const MaxRecent = 64

// Handled reports whether the sink has handled the alert at seq.
func (st State) Handled(seq uint64) bool {
	if seq == 0 {
		return false
	}
	if seq == st.Seq || slices.Contains(st.Recent, seq) {
		return true
	}
	// Older than a full window: handled long ago.
	return len(st.Recent) >= MaxRecent && seq < slices.Min(st.Recent)
}

// With returns st after the sink handled the alert a at seq, sent (or
// given up) at sent, zero if it was not for the sink. A newer alert than
// st's becomes the job's health as the sink knows it; an older one, handled
// late, only joins Recent.
func (st State) With(seq uint64, a alert.Alert, sent time.Time) State {
	recent := append(slices.Clone(st.Recent), seq)
	if n := len(recent) - MaxRecent; n > 0 {
		slices.Sort(recent)
		recent = recent[n:]
	}
	if seq > st.Seq {
		st = State{Seq: seq, Alert: a, Sent: sent}
	}
	st.Recent = recent
	return st
}

// RealertDue reports whether a repetition of st's alert is due at now for a
// sink re-alerting every interval.
func (st State) RealertDue(interval time.Duration, now time.Time) bool {
	return interval > 0 && Bad(st.Alert.Health) && !st.Sent.IsZero() && !now.Before(st.Sent.Add(interval))
}
