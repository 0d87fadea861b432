package notifier_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/alert"
	"github.com/jetcron/jetcron/pkg/clock"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/notify"
	"github.com/jetcron/jetcron/scheduler/internal/notifier"
)

var t0 = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

// hook is a real HTTP server that records what it receives and answers
// with the codes of answer, in turn (200 once they run out).
type hook struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	codes  []int
	answer []int
	hang   chan struct{} // when set, every request waits for it
}

func newHook(t *testing.T, answer ...int) *hook {
	h := &hook{answer: answer}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.hang != nil {
			select {
			case <-h.hang:
			case <-r.Context().Done():
			}
			return
		}
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		code := http.StatusOK
		if len(h.answer) > 0 {
			code, h.answer = h.answer[0], h.answer[1:]
		}
		h.bodies = append(h.bodies, body)
		h.codes = append(h.codes, code)
		h.mu.Unlock()
		w.WriteHeader(code)
	}))
	t.Cleanup(h.Close)
	return h
}

// received returns the bodies answered with 200.
func (h *hook) received() [][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out [][]byte
	for i, b := range h.bodies {
		if h.codes[i] == http.StatusOK {
			out = append(out, b)
		}
	}
	return out
}

func (h *hook) requests() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.bodies)
}

type bundle struct {
	env   natstest.Env
	kv    jetstream.KeyValue
	store notify.Store
	clock *clock.Fake
}

func setup(t *testing.T) *bundle {
	t.Helper()
	env := natstest.Ensured(t)
	kv, err := env.JS.KeyValue(t.Context(), env.Topo.Names().NotifyBucket())
	require.NoError(t, err)
	return &bundle{env: env, kv: kv, store: notify.Store{KV: kv}, clock: clock.NewFake(t0)}
}

// start runs a notifier, stopped at the end of the test.
func (b *bundle) start(t *testing.T, tune func(*notifier.Config)) *notifier.Notifier {
	t.Helper()
	cfg := notifier.Config{
		Topology: b.env.Topo, ID: "test", UIURL: "http://ui.example:8080", Clock: b.clock,
		AttemptTimeout: 2 * time.Second, Backoff: 50 * time.Millisecond, BackoffMax: 200 * time.Millisecond,
		RetryDelay: 200 * time.Millisecond, RealertScan: 10 * time.Second, Progress: time.Second,
	}
	if tune != nil {
		tune(&cfg)
	}
	n, err := notifier.New(b.env.NC, cfg)
	require.NoError(t, err)
	require.NoError(t, n.Start(t.Context()))
	t.Cleanup(func() { _ = n.Stop(context.Background()) })
	return n
}

// sink stores a definition as the API would.
func (b *bundle) sink(t *testing.T, s notify.Sink) {
	t.Helper()
	require.NoError(t, s.Validate(b.env.Topo.Names()))
	data, err := json.Marshal(s)
	require.NoError(t, err)
	_, err = b.kv.Put(t.Context(), notify.SinkKey(s.Name), data)
	require.NoError(t, err)
}

// job stores a job definition (re-alerting skips deleted jobs).
func (b *bundle) job(t *testing.T, name string) {
	t.Helper()
	kv, err := b.env.JS.KeyValue(t.Context(), b.env.Topo.Names().JobsBucket())
	require.NoError(t, err)
	_, err = kv.Put(t.Context(), name, []byte(`{"name":"`+name+`"}`))
	require.NoError(t, err)
}

func (b *bundle) publish(t *testing.T, a alert.Alert) uint64 {
	t.Helper()
	seq, err := alert.Publish(t.Context(), b.env.JS, b.env.Topo.Names(), a)
	require.NoError(t, err)
	return seq
}

// settled waits until the notifier has acknowledged every alert.
func (b *bundle) settled(t *testing.T) {
	t.Helper()
	natstest.Eventually(t, 20*time.Second, func() bool {
		c, err := b.env.JS.Consumer(t.Context(), b.env.Topo.Names().AlertsStream(), b.env.Topo.Names().NotifyConsumer())
		if err != nil {
			return false
		}
		info, err := c.Info(t.Context())
		return err == nil && info.NumAckPending == 0 && info.NumPending == 0 && info.NumRedelivered == 0
	}, "every alert acknowledged")
}

func (b *bundle) log(t *testing.T, sink string) []notify.Delivery {
	t.Helper()
	ds, err := b.store.Log(t.Context(), sink)
	require.NoError(t, err)
	return ds
}

func failing(jobName string, labels map[string]string) alert.Alert {
	return alert.Alert{Job: jobName, Health: alert.Failing, Previous: alert.OK, Execution: jobName + "-20261204T120000Z",
		Reason: "3 consecutive failed executions", Time: t0, Labels: labels}
}

func TestWebhookSlackAndSubjectReceiveTheAlert(t *testing.T) {
	t.Parallel()
	b := setup(t)
	plain, slack := newHook(t), newHook(t)
	b.sink(t, notify.Sink{Name: "plain", Webhook: plain.URL + "/alerts"})
	b.sink(t, notify.Sink{Name: "slack", Webhook: slack.URL, Slack: true})
	b.sink(t, notify.Sink{Name: "bus", Subject: b.env.Topo.Names().NotifySubjectPrefix() + "ops"})
	b.sink(t, notify.Sink{Name: "other-team", Webhook: plain.URL + "/never", Match: map[string]string{"team": "other"}})
	sub, err := b.env.NC.SubscribeSync(b.env.Topo.Names().NotifySubjectPrefix() + "ops")
	require.NoError(t, err)
	b.start(t, nil)

	b.publish(t, failing("billing", map[string]string{"team": "payments"}))
	natstest.Eventually(t, 20*time.Second, func() bool { return len(plain.received()) == 1 && len(slack.received()) == 1 })

	var m notify.Message
	require.NoError(t, json.Unmarshal(plain.received()[0], &m))
	require.Equal(t, "plain", m.Sink)
	require.Equal(t, "billing", m.Alert.Job)
	require.Equal(t, alert.Failing, m.Alert.Health)
	require.Equal(t, alert.OK, m.Alert.Previous)
	require.Equal(t, "3 consecutive failed executions", m.Alert.Reason)
	require.Equal(t, "http://ui.example:8080/jobs/billing", m.URL)
	require.Equal(t, "http://ui.example:8080/executions/billing-20261204T120000Z", m.ExecutionURL)

	var s struct {
		Text string `json:"text"`
	}
	require.NoError(t, json.Unmarshal(slack.received()[0], &s))
	require.Contains(t, s.Text, "job billing is failing (was ok)")
	require.Contains(t, s.Text, "<http://ui.example:8080/jobs/billing|open>")

	msg, err := sub.NextMsg(20 * time.Second)
	require.NoError(t, err)
	var nm notify.Message
	require.NoError(t, json.Unmarshal(msg.Data, &nm))
	require.Equal(t, "bus", nm.Sink)
	require.Equal(t, "billing", nm.Alert.Job)

	b.settled(t)
	require.Equal(t, 1, plain.requests(), "the sink matching another team's label got nothing, the others once")
	require.Empty(t, b.log(t, "other-team"))
	require.Len(t, b.log(t, "plain"), 1)
}

func TestA500IsRetriedThenDeliveredOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := newHook(t, 500, 500)
	b.sink(t, notify.Sink{Name: "flaky", Webhook: h.URL})
	b.start(t, nil)

	b.publish(t, failing("billing", nil))
	b.settled(t)
	require.Len(t, h.received(), 1, "delivered once")
	require.Equal(t, 3, h.requests(), "two 500s, then 200")

	ds := b.log(t, "flaky")
	require.Len(t, ds, 3)
	for i, d := range ds {
		require.Equal(t, i+1, d.Attempt)
		require.Equal(t, "billing", d.Job)
		require.Equal(t, "billing/failing/billing-20261204T120000Z/ok", d.AlertID, "the alert's message ID: job, health, cause, previous health")
	}
	require.Equal(t, notify.StatusFailed, ds[0].Status)
	require.Equal(t, 500, ds[0].Code)
	require.Contains(t, ds[0].Error, "500")
	require.Equal(t, notify.StatusFailed, ds[1].Status)
	require.Equal(t, notify.StatusDelivered, ds[2].Status)
	require.Equal(t, 200, ds[2].Code)
}

func TestASinkThatNeverAnswersGivesUpAndTheAlertIsAcknowledged(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := newHook(t, 503, 503, 503, 503, 503)
	b.sink(t, notify.Sink{Name: "down", Webhook: h.URL})
	b.start(t, func(c *notifier.Config) { c.MaxAttempts = 3 })

	b.publish(t, failing("billing", nil))
	b.settled(t)
	ds := b.log(t, "down")
	require.Len(t, ds, 3)
	require.Equal(t, notify.StatusGaveUp, ds[2].Status)
	require.Equal(t, 3, h.requests())
}

func TestA4xxIsNotRetried(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := newHook(t, 404)
	b.sink(t, notify.Sink{Name: "gone", Webhook: h.URL})
	b.start(t, nil)
	b.publish(t, failing("billing", nil))
	b.settled(t)
	ds := b.log(t, "gone")
	require.Len(t, ds, 1)
	require.Equal(t, notify.StatusGaveUp, ds[0].Status)
	require.Equal(t, 404, ds[0].Code)
}

func TestAHangingSinkDoesNotDelayAnother(t *testing.T) {
	t.Parallel()
	b := setup(t)
	stuck, fast := newHook(t), newHook(t)
	stuck.hang = make(chan struct{})
	t.Cleanup(func() { close(stuck.hang) })
	b.sink(t, notify.Sink{Name: "stuck", Webhook: stuck.URL})
	b.sink(t, notify.Sink{Name: "fast", Webhook: fast.URL})
	b.start(t, func(c *notifier.Config) { c.AttemptTimeout = 30 * time.Second })

	start := time.Now()
	for i := range 3 {
		a := failing("billing", nil)
		a.Execution = a.Job + "-" + string(rune('a'+i))
		b.publish(t, a)
	}
	natstest.Eventually(t, 20*time.Second, func() bool { return len(fast.received()) == 3 })
	require.Less(t, time.Since(start), 25*time.Second, "the fast sink did not wait for the stuck one's 30s attempt")
	require.Empty(t, b.log(t, "stuck"), "the stuck sink is still in its first attempt")
}

func TestRestartMidDeliveryLosesNothingAndSendsOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := newHook(t, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500) // down while the first replica runs
	b.sink(t, notify.Sink{Name: "ops", Webhook: h.URL})
	first := b.start(t, func(c *notifier.Config) {
		c.Backoff, c.BackoffMax, c.MaxAttempts = 300*time.Millisecond, 300*time.Millisecond, 100
	})

	b.publish(t, failing("billing", nil))
	natstest.Eventually(t, 20*time.Second, func() bool { return h.requests() >= 2 })
	require.NoError(t, first.Stop(t.Context())) // mid-retry: the alert is handed back
	h.mu.Lock()
	h.answer = nil // the sink recovers
	h.mu.Unlock()

	b.start(t, nil) // the replica restarted, or another one
	natstest.Eventually(t, 20*time.Second, func() bool { return len(h.received()) == 1 })
	b.settled(t)

	ok := failing("billing", nil)
	ok.Health, ok.Previous, ok.Reason = alert.OK, alert.Failing, "succeeded again"
	b.publish(t, ok)
	natstest.Eventually(t, 20*time.Second, func() bool { return len(h.received()) == 2 })
	b.settled(t)
	var healths []alert.Health
	for _, body := range h.received() {
		var m notify.Message
		require.NoError(t, json.Unmarshal(body, &m))
		healths = append(healths, m.Alert.Health)
	}
	require.Equal(t, []alert.Health{alert.Failing, alert.OK}, healths, "each alert delivered once, in order")
}

func TestARedeliveredAlertIsNotSentAgain(t *testing.T) {
	t.Parallel()
	b := setup(t)
	good, flaky := newHook(t), newHook(t, 500, 500, 500)
	b.sink(t, notify.Sink{Name: "good", Webhook: good.URL})
	b.sink(t, notify.Sink{Name: "flaky", Webhook: flaky.URL})
	// The flaky sink's queue holds nothing while it works: an alert it
	// cannot take comes again, and the good sink, which had it, skips it.
	b.start(t, func(c *notifier.Config) {
		c.QueueSize = 1
		c.Backoff, c.BackoffMax = 200*time.Millisecond, 200*time.Millisecond
	})
	for i := range 4 {
		a := failing("billing", nil)
		a.Execution = a.Job + "-" + string(rune('a'+i))
		b.publish(t, a)
	}
	b.settled(t)
	require.Len(t, good.received(), 4, "each alert once to the good sink")
	require.Len(t, flaky.received(), 4, "each alert delivered to the flaky sink in the end")
}

func TestRealertAfterTheInterval(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := newHook(t)
	b.job(t, "billing")
	b.sink(t, notify.Sink{Name: "pager", Webhook: h.URL, Health: []alert.Health{alert.Failing}, Realert: job.Duration(time.Hour)})
	b.start(t, func(c *notifier.Config) { c.RealertScan = 50 * time.Millisecond })

	b.publish(t, failing("billing", nil))
	natstest.Eventually(t, 20*time.Second, func() bool {
		st, _, err := b.store.State(t.Context(), "pager", "billing")
		return err == nil && !st.Sent.IsZero()
	})
	require.Len(t, h.received(), 1)

	b.clock.Advance(30 * time.Minute)
	time.Sleep(500 * time.Millisecond) // ten scans
	require.Len(t, h.received(), 1, "nothing before the interval")

	b.clock.Advance(31 * time.Minute)
	natstest.Eventually(t, 20*time.Second, func() bool { return len(h.received()) == 2 })
	var m notify.Message
	require.NoError(t, json.Unmarshal(h.received()[1], &m))
	require.True(t, m.Realert)
	require.Equal(t, 1, m.Repeat)
	require.Equal(t, alert.Failing, m.Alert.Health)

	ok := failing("billing", nil)
	ok.Health, ok.Previous, ok.Execution = alert.OK, alert.Failing, "billing-later"
	b.publish(t, ok)
	natstest.Eventually(t, 20*time.Second, func() bool { return len(h.received()) == 3 }, "the recovery from a health the sink takes")
	b.settled(t)
	b.clock.Advance(2 * time.Hour)
	time.Sleep(500 * time.Millisecond) // ten scans: a repetition would be on its way by now
	require.Len(t, h.received(), 3, "no repetition once the job is ok")
}

func TestAnInvalidAlertIsSkipped(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := newHook(t)
	b.sink(t, notify.Sink{Name: "ops", Webhook: h.URL})
	b.start(t, nil)
	_, err := b.env.JS.Publish(t.Context(), b.env.Topo.Names().AlertSubject("billing"), []byte(`{"job":"billing","health":"sad"}`))
	require.NoError(t, err)
	other := failing("other", nil)
	_, err = b.env.JS.Publish(t.Context(), b.env.Topo.Names().AlertSubject("billing"), mustJSON(t, other)) // another job's alert on billing's subject
	require.NoError(t, err)
	b.publish(t, failing("billing", nil))
	b.settled(t)
	require.Len(t, h.received(), 1)
	require.True(t, strings.Contains(string(h.received()[0]), `"job":"billing"`))
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	return data
}

func TestDeliveryResumesAfterNATSLostItsStore(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := newHook(t)
	b.sink(t, notify.Sink{Name: "ops", Webhook: h.URL})
	b.start(t, nil)
	b.publish(t, failing("billing", nil))
	natstest.Eventually(t, 20*time.Second, func() bool { return len(h.received()) == 1 })

	b.env.Srv.RestartEmpty()
	natstest.Ensure(t, b.env.JS, b.env.Topo) // as the scheduler does when its resources vanish
	kv, err := b.env.JS.KeyValue(t.Context(), b.env.Topo.Names().NotifyBucket())
	require.NoError(t, err)
	b.kv = kv
	b.sink(t, notify.Sink{Name: "ops", Webhook: h.URL})
	b.publish(t, failing("other", nil))
	natstest.Eventually(t, 30*time.Second, func() bool { return len(h.received()) == 2 }, "delivered after the restart")
}

func TestADeletedConsumerIsMadeAgain(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := newHook(t)
	b.sink(t, notify.Sink{Name: "ops", Webhook: h.URL})
	b.start(t, nil)
	b.publish(t, failing("billing", nil))
	natstest.Eventually(t, 20*time.Second, func() bool { return len(h.received()) == 1 })
	require.NoError(t, b.env.JS.DeleteConsumer(t.Context(), b.env.Topo.Names().AlertsStream(), b.env.Topo.Names().NotifyConsumer()))
	b.publish(t, failing("other", nil))
	natstest.Eventually(t, 30*time.Second, func() bool { return len(h.received()) >= 2 }, "delivered through a new consumer")
	b.settled(t)
	require.Len(t, h.received(), 2, "the new consumer replays the stream; what the sink had is not sent again")
}
