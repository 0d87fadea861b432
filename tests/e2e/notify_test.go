package e2e

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/alert"
	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/notify"
)

// receiver is a real HTTP server that keeps what it is sent.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
	code   int
}

func newReceiver(t *testing.T, code int) *receiver {
	rc := &receiver{code: code}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.bodies = append(rc.bodies, string(b))
		rc.mu.Unlock()
		w.WriteHeader(rc.code)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) got() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.bodies...)
}

func TestNotifySinksThroughTheCommandLine(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	hook, slack, broken := newReceiver(t, 200), newReceiver(t, 200), newReceiver(t, 500)

	require.Equal(t, "sink ops created\n", s.ok("notify", "create", "ops", "--webhook", hook.URL+"/jetcron", "--match", "team=payments", "--health", "failing,unaccounted"))
	require.Equal(t, "sink chat created\n", s.ok("notify", "create", "chat", "--webhook", slack.URL, "--slack", "--realert", "1h"))
	s.ok("notify", "create", "broken", "--webhook", broken.URL, "--health", "late")

	// Invalid definitions: refused with the field named, nothing changes.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"bad", "--webhook", "ftp://example.com/x"}, "--webhook (webhook): "},
		{[]string{"bad", "--webhook", "https://user:pw@example.com/x"}, "--webhook (webhook): credentials in the URL"},
		{[]string{"bad", "--webhook", hook.URL, "--realert", "-1h"}, "--realert (realert): must not be negative"},
		{[]string{"bad", "--subject", "ops.*"}, "--subject (subject): "},
		{[]string{"bad", "--webhook", hook.URL, "--health", "sad"}, "--health (health): "},
		{[]string{"bad a", "--webhook", hook.URL}, "NAME (name): "},
		{[]string{"ops", "--webhook", hook.URL}, "already exists"},
	} {
		r := s.cli(append([]string{"notify", "create"}, tc.args...)...)
		require.NotEqual(t, 0, r.code, "%v: %s", tc.args, r.out)
		require.Contains(t, r.err, tc.want, tc.args)
	}
	r := s.cli("notify", "create", "bad", "--subject", s.topo.Namespace+".work.default.x")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.err, "--subject (subject): ")
	require.Contains(t, r.err, "jetcron's own subjects")

	// The API refuses the same without the command line's own check.
	_, err := s.client.CreateNotify(t.Context(), notify.Sink{Name: "bad", Webhook: "http://"})
	require.ErrorIs(t, err, job.ErrInvalid)
	var ae *api.Error
	require.True(t, errors.As(err, &ae))
	require.Equal(t, "webhook", ae.Field)
	var views []api.NotifyView
	require.NoError(t, json.Unmarshal([]byte(s.ok("notify", "list", "-o", "json")), &views))
	require.Len(t, views, 3, "nothing invalid was stored")

	list := s.ok("notify", "list")
	require.Contains(t, list, "ops     webhook")
	require.Contains(t, list, "team=payments")
	require.Contains(t, list, "failing,unaccounted")

	// notify test: one attempt, recorded; a sink answering 500 exits 1.
	require.Contains(t, s.ok("notify", "test", "ops"), "test alert delivered to ops (200, in ")
	natstest.Eventually(t, 10*time.Second, func() bool { return len(hook.got()) == 1 })
	var m notify.Message
	require.NoError(t, json.Unmarshal([]byte(hook.got()[0]), &m))
	require.True(t, m.Test)
	r = s.cli("notify", "test", "broken")
	require.Equal(t, 1, r.code)
	require.Contains(t, r.err, "test alert not delivered to broken (500")

	// An alert of a payments job reaches ops and chat, not broken (late only).
	_, err = alert.Publish(t.Context(), natstest.JetStream(t, s.nc), s.topo.Names(), alert.Alert{
		Job: "billing", Health: alert.Failing, Previous: alert.OK, Execution: "billing-20261204T120000Z",
		Reason: "3 consecutive failed executions", Time: time.Now(), Labels: map[string]string{"team": "payments"},
	})
	require.NoError(t, err)
	natstest.Eventually(t, 20*time.Second, func() bool { return len(hook.got()) == 2 && len(slack.got()) == 1 })
	require.Contains(t, hook.got()[1], `"job":"billing"`)
	require.Contains(t, slack.got()[0], `{"text":`)
	require.Contains(t, slack.got()[0], "job billing is failing (was ok)")

	get := s.ok("notify", "get", "ops")
	require.Contains(t, get, "last deliveries (newest first):")
	require.Contains(t, get, "billing")
	require.Contains(t, get, "failing (test)")
	require.Contains(t, get, "delivered")
	var v api.NotifyView
	require.NoError(t, json.Unmarshal([]byte(s.ok("notify", "get", "ops", "-o", "json")), &v))
	require.Len(t, v.Deliveries, 2)
	require.Equal(t, "billing", v.Deliveries[0].Job)
	require.Equal(t, "webhook", v.Kind)

	require.Equal(t, "sink broken deleted\n", s.ok("notify", "delete", "broken"))
	r = s.cli("notify", "get", "broken")
	require.Equal(t, 3, r.code, r.err)
}

func TestNotifySinksInApply(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	hook := newReceiver(t, 200)
	dir := t.TempDir()
	f := writeFile(t, dir, "all.yaml", `
name: nightly
labels: {team: data}
schedule: {cron: "0 3 * * *"}
task: {kind: command, command: ["true"]}
---
kind: Notify
name: data-team
webhook: `+hook.URL+`
match: {team: data}
health: [failing, late, unaccounted]
realert: 2h
---
kind: Notify
name: bus
subject: ops.jetcron.alerts
`)
	out := s.ok("apply", "-f", f)
	require.Contains(t, out, "job nightly created")
	require.Contains(t, out, "notify data-team created")
	require.Contains(t, out, "notify bus created")
	out = s.ok("apply", "-f", f)
	require.Contains(t, out, "notify data-team unchanged")

	bad := writeFile(t, dir, "bad.yaml", `
kind: Notify
name: data-team
webhook: `+hook.URL+`
realert: -5m
---
kind: Notify
name: other
webhook: `+hook.URL+`
colour: red
`)
	r := s.cli("apply", "-f", bad)
	require.Equal(t, 2, r.code, r.out)
	require.Contains(t, r.err, "notify data-team: invalid sink: realert: must not be negative")
	require.Contains(t, r.err, `notify other: unknown field "colour"`)
	var v api.NotifyView
	require.NoError(t, json.Unmarshal([]byte(s.ok("notify", "get", "data-team", "-o", "json")), &v))
	require.Equal(t, 2*time.Hour, v.Realert.D(), "nothing applied")
	require.True(t, strings.HasPrefix(v.Webhook, "http://"))
}
