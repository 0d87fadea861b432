package scheduler_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/alert"
	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/notify"
	"github.com/jetcron/jetcron/scheduler"
)

// pings counts the requests per path of a real HTTP server.
type pings struct {
	*httptest.Server
	mu   sync.Mutex
	hits map[string]int
	jobs []string
}

func newPings(t *testing.T) *pings {
	p := &pings{hits: map[string]int{}}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p.mu.Lock()
		defer p.mu.Unlock()
		p.hits[r.URL.Path]++
		var m notify.Message
		if r.Method == http.MethodPost && json.Unmarshal(body, &m) == nil {
			p.jobs = append(p.jobs, m.Alert.Job)
		}
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *pings) count(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hits[path]
}

func (p *pings) alerts() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.jobs...)
}

func (b *bundle) startNotifying(t *testing.T, id string, p *pings) *scheduler.Scheduler {
	t.Helper()
	s, err := scheduler.New(natstest.Connect(t, b.srv), scheduler.Config{ID: id, Topology: b.topo, FlushInterval: 100 * time.Millisecond,
		Notify: scheduler.NotifyConfig{UIURL: "http://ui:8080", HeartbeatURL: p.URL + "/hb/" + id, HeartbeatInterval: 200 * time.Millisecond}})
	require.NoError(t, err)
	require.NoError(t, s.Start(t.Context()))
	t.Cleanup(func() { _ = s.Stop(context.Background()) })
	return s
}

// TestReplicasShareTheAlertsAndTheLeaderPings: two replicas deliver each
// alert once between them; only the one that leads pings the heartbeat,
// and the other takes over both when it stops.
func TestReplicasShareTheAlertsAndTheLeaderPings(t *testing.T) {
	b := setup(t)
	p := newPings(t)
	a := b.startNotifying(t, "a", p)
	natstest.Eventually(t, 10*time.Second, a.Leading)
	bb := b.startNotifying(t, "b", p)
	var resp api.NotifyCreateResponse
	require.NoError(t, api.Call(t.Context(), b.nc, b.topo.Names(), api.VerbNotifyCreate, api.NotifyCreateRequest{Sink: notify.Sink{Name: "ops", Webhook: p.URL + "/hook"}}, &resp))

	natstest.Eventually(t, 10*time.Second, func() bool { return p.count("/hb/a") >= 3 }, "the leader pings")
	require.Zero(t, p.count("/hb/b"), "a follower does not ping")

	publish := func(from, to int) {
		for i := from; i < to; i++ {
			_, err := alert.Publish(t.Context(), b.js, b.topo.Names(), alert.Alert{Job: fmt.Sprintf("job-%d", i), Health: alert.Late, Reason: "late", Time: time.Now()})
			require.NoError(t, err)
		}
	}
	publish(0, 10)
	natstest.Eventually(t, 20*time.Second, func() bool { return len(p.alerts()) == 10 })

	require.NoError(t, a.Stop(t.Context()))
	natstest.Eventually(t, 20*time.Second, bb.Leading, "b takes over")
	natstest.Eventually(t, 10*time.Second, func() bool { return p.count("/hb/b") >= 2 }, "the new leader pings")
	publish(10, 15)
	natstest.Eventually(t, 20*time.Second, func() bool { return len(p.alerts()) == 15 })
	time.Sleep(500 * time.Millisecond) // a duplicate would arrive by now
	seen := map[string]int{}
	for _, j := range p.alerts() {
		seen[j]++
	}
	require.Len(t, seen, 15)
	for j, n := range seen {
		require.Equal(t, 1, n, j)
	}
}
