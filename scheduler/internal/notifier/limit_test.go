package notifier_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/alert"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/notify"
)

// After an outage every job changes health at once. A sink sends its
// limit a minute one by one; the rest of the minute's alerts go as one
// summary when the minute is over, and each is handled (a redelivery
// sends nothing). The next minute starts afresh.
func TestAlertsBeyondTheLimitGoAsOneSummary(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h, slack := newHook(t), newHook(t)
	b.sink(t, notify.Sink{Name: "oncall", Webhook: h.URL, Limit: 3})
	b.sink(t, notify.Sink{Name: "chat", Webhook: slack.URL, Slack: true, Limit: 3})
	b.start(t, nil)

	for i := range 10 {
		a := failing(fmt.Sprintf("job-%02d", i), nil)
		if i >= 8 {
			a.Health, a.Previous = alert.OK, alert.Failing
		}
		b.publish(t, a)
	}
	b.settled(t)
	require.Len(t, h.received(), 3, "the limit, one by one")
	require.Len(t, slack.received(), 3)

	b.clock.Advance(time.Minute)
	natstest.Eventually(t, 20*time.Second, func() bool { return len(h.received()) == 4 && len(slack.received()) == 4 }, "the summaries")
	var m notify.Message
	require.NoError(t, json.Unmarshal(h.received()[3], &m))
	require.NotNil(t, m.Summary, "%s", h.received()[3])
	require.Equal(t, "oncall", m.Sink)
	require.Empty(t, m.Alert.Job)
	require.Equal(t, 7, m.Summary.Total)
	require.Equal(t, 3, m.Summary.Limit)
	require.Equal(t, map[alert.Health]int{alert.Failing: 5, alert.OK: 2}, m.Summary.Changes)
	require.Len(t, m.Summary.Jobs, 7)
	require.Equal(t, t0, m.Summary.From)
	require.Equal(t, t0.Add(time.Minute), m.Summary.To)
	require.Equal(t, "http://ui.example:8080/jobs", m.URL)
	var s struct {
		Text string `json:"text"`
	}
	require.NoError(t, json.Unmarshal(slack.received()[3], &s))
	require.Contains(t, s.Text, "7 more alerts in the minute to 2026-12-04 12:01:00Z than this sink sends one by one (3 a minute): 5 failing, 2 ok; jobs ")
	natstest.Eventually(t, 20*time.Second, func() bool {
		log := b.log(t, "oncall") // recorded once the hook answered
		return len(log) == 4 && log[3].Summary == 7 && log[3].Job == "" && log[3].Status == notify.StatusDelivered
	}, "the summary's delivery recorded")

	// Every alert was handled: one that comes again is not sent again.
	for i := range 10 {
		st, _, err := b.store.State(t.Context(), "oncall", fmt.Sprintf("job-%02d", i))
		require.NoError(t, err)
		require.NotZero(t, st.Seq, "job-%02d handled", i)
	}

	b.publish(t, failing("job-late", nil))
	natstest.Eventually(t, 20*time.Second, func() bool { return len(h.received()) == 5 }, "a new minute sends one by one again")
	var next notify.Message
	require.NoError(t, json.Unmarshal(h.received()[4], &next))
	require.Nil(t, next.Summary)
	require.Equal(t, "job-late", next.Alert.Job)
}
