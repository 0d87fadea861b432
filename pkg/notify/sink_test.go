package notify_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jetcron/jetcron/pkg/alert"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/notify"
	"github.com/jetcron/jetcron/pkg/topology"
)

var names = topology.MustNames("")

func TestValidateNamesTheField(t *testing.T) {
	t.Parallel()
	ok := notify.Sink{Name: "ops", Webhook: "https://hooks.example.com/T0/B0/x"}
	for _, tc := range []struct {
		name  string
		edit  func(*notify.Sink)
		field string
	}{
		{"bad name", func(s *notify.Sink) { s.Name = "ops team" }, "name"},
		{"no target", func(s *notify.Sink) { s.Webhook = "" }, "webhook"},
		{"both targets", func(s *notify.Sink) { s.Subject = "ops.alerts" }, "subject"},
		{"ftp", func(s *notify.Sink) { s.Webhook = "ftp://example.com/x" }, "webhook"},
		{"relative", func(s *notify.Sink) { s.Webhook = "/hooks/x" }, "webhook"},
		{"no host", func(s *notify.Sink) { s.Webhook = "http:///x" }, "webhook"},
		{"credentials", func(s *notify.Sink) { s.Webhook = "https://user:secret@example.com/x" }, "webhook"},
		{"space", func(s *notify.Sink) { s.Webhook = "https://example.com/a b" }, "webhook"},
		{"not a url", func(s *notify.Sink) { s.Webhook = "https://exa mple.com:port" }, "webhook"},
		{"wildcard subject", func(s *notify.Sink) { s.Webhook, s.Subject = "", "ops.*" }, "subject"},
		{"empty token", func(s *notify.Sink) { s.Webhook, s.Subject = "", "ops..alerts" }, "subject"},
		{"system subject", func(s *notify.Sink) { s.Webhook, s.Subject = "", "$JS.API.STREAM.DELETE.X" }, "subject"},
		{"own work subject", func(s *notify.Sink) { s.Webhook, s.Subject = "", "jetcron.work.default.x" }, "subject"},
		{"slack on a subject", func(s *notify.Sink) { s.Webhook, s.Subject, s.Slack = "", "ops.alerts", true }, "slack"},
		{"bad match key", func(s *notify.Sink) { s.Match = map[string]string{"-x": "y"} }, "match"},
		{"unknown health", func(s *notify.Sink) { s.Health = []alert.Health{"sad"} }, "health"},
		{"repeated health", func(s *notify.Sink) { s.Health = []alert.Health{alert.Late, alert.Late} }, "health"},
		{"negative realert", func(s *notify.Sink) { s.Realert = job.Duration(-time.Hour) }, "realert"},
		{"tiny realert", func(s *notify.Sink) { s.Realert = job.Duration(time.Second) }, "realert"},
		{"negative limit", func(s *notify.Sink) { s.Limit = -1 }, "limit"},
		{"huge limit", func(s *notify.Sink) { s.Limit = notify.MaxLimit + 1 }, "limit"},
	} {
		s := ok
		tc.edit(&s)
		err := s.Validate(names)
		var fe *job.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field || !errors.Is(err, job.ErrInvalid) {
			t.Errorf("%s: err = %v, want a FieldError on %s", tc.name, err, tc.field)
		}
	}
	for _, s := range []notify.Sink{
		ok,
		{Name: "slack", Webhook: "https://hooks.slack.com/services/T/B/X", Slack: true, Realert: job.Duration(time.Hour)},
		{Name: "bus", Subject: "ops.alerts.jetcron"},
		{Name: "ns", Subject: "jetcron.notify.ops", Match: map[string]string{"team": "ops"}, Health: []alert.Health{alert.Failing, alert.Unaccounted}},
	} {
		if err := s.Validate(names); err != nil {
			t.Errorf("%+v: %v", s, err)
		}
	}
}

func TestMatches(t *testing.T) {
	t.Parallel()
	s := notify.Sink{Match: map[string]string{"team": "ops"}, Health: []alert.Health{alert.Failing, alert.Unaccounted}}
	labels := map[string]string{"team": "ops", "tier": "1"}
	for _, tc := range []struct {
		a    alert.Alert
		want bool
	}{
		{alert.Alert{Health: alert.Failing, Labels: labels}, true},
		{alert.Alert{Health: alert.Unaccounted, Labels: labels}, true},
		{alert.Alert{Health: alert.Late, Labels: labels}, false},
		{alert.Alert{Health: alert.OK, Previous: alert.Failing, Labels: labels}, true}, // the recovery
		{alert.Alert{Health: alert.OK, Previous: alert.Late, Labels: labels}, false},
		{alert.Alert{Health: alert.Failing, Labels: map[string]string{"team": "web"}}, false},
		{alert.Alert{Health: alert.Failing}, false},
	} {
		if got := s.Matches(tc.a); got != tc.want {
			t.Errorf("Matches(%s from %s, %v) = %v", tc.a.Health, tc.a.Previous, tc.a.Labels, got)
		}
	}
	if !(notify.Sink{}).Matches(alert.Alert{Health: alert.Late}) {
		t.Error("a sink without filters takes every alert")
	}
}

func TestStateRecognisesRedeliveries(t *testing.T) {
	t.Parallel()
	a := alert.Alert{Job: "j", Health: alert.Failing}
	now := time.Now()
	var st notify.State
	st = st.With(5, a, now)
	st = st.With(3, alert.Alert{Job: "j", Health: alert.OK}, now) // older, handled late
	if st.Seq != 5 || st.Alert.Health != alert.Failing || !st.Handled(3) || !st.Handled(5) || st.Handled(4) {
		t.Fatalf("state = %+v", st)
	}
	for i := uint64(10); i < 10+notify.MaxRecent+5; i++ {
		st = st.With(i, a, now)
	}
	if len(st.Recent) != notify.MaxRecent || !st.Handled(1) {
		t.Fatalf("recent = %v", st.Recent)
	}
}

func TestSlackText(t *testing.T) {
	t.Parallel()
	a := alert.Alert{Job: "billing", Health: alert.Unaccounted, Previous: alert.OK, Slot: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC), Reason: "no event", Time: time.Now()}
	m := notify.NewMessage("ops", a, "http://ui:8080/")
	text := m.Text()
	for _, want := range []string{"job billing is unaccounted (was ok)", "no event", "slot 2026-12-04 12:00:00Z", "<http://ui:8080/jobs/billing|open>"} {
		if !strings.Contains(text, want) {
			t.Errorf("text %q lacks %q", text, want)
		}
	}
}

func TestWebhooksNeverReachLinkLocalAddresses(t *testing.T) {
	t.Parallel()
	s := notify.NewSender(nil, 2*time.Second)
	defer s.Close()
	sink := notify.Sink{Name: "meta", Webhook: "http://169.254.169.254/latest/meta-data/"}
	r := s.Send(t.Context(), sink, notify.NewMessage("meta", alert.Alert{Job: "j", Health: alert.Failing, Time: time.Now()}, ""))
	if !errors.Is(r.Err, notify.ErrRefusedAddress) || !r.Permanent || strings.Contains(r.Err.Error(), "meta-data") {
		t.Fatalf("result = %+v", r)
	}
}
