package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/alert"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/notify"
)

// From a job's failures to a webhook, through the whole system: the
// watchdog turns the second consecutive failure into a failing alert and
// the success after it into ok, and a sink defined with the CLI delivers
// both, in order, to a real HTTP server.
func TestFailingJobNotifiesAWebhook(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []notify.Message
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var p notify.Message
		if json.Unmarshal(body, &p) == nil {
			mu.Lock()
			got = append(got, p)
			mu.Unlock()
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(hook.Close)
	received := func() []alert.Health {
		mu.Lock()
		defer mu.Unlock()
		var hs []alert.Health
		for _, p := range got {
			if p.Alert.Job == "flaky" {
				hs = append(hs, p.Alert.Health)
			}
		}
		return hs
	}

	hs := startHealth(t, 1, false)
	hs.ok("notify", "create", "oncall", "--webhook", hook.URL+"/hooks/oncall", "--health", "failing")
	gate := filepath.Join(natstest.SharedDir(t), "healthy")
	hs.ok("job", "create", "flaky", "--every", "1h", "--alert-after-failures", "2", "--env", "GATE="+gate,
		"--", "sh", "-c", `test -e "$GATE"`)

	for range 2 {
		id := strings.TrimSpace(hs.ok("job", "run", "flaky"))
		hs.waitState(id, 30*time.Second, job.StateFailed)
	}
	natstest.Eventually(t, 30*time.Second, func() bool { return len(received()) == 1 }, "the failing alert reaches the webhook; got %v", received())
	require.Equal(t, []alert.Health{alert.Failing}, received())

	require.NoError(t, os.WriteFile(gate, nil, 0o644))
	id := strings.TrimSpace(hs.ok("job", "run", "flaky"))
	hs.waitState(id, 30*time.Second, job.StateSucceeded)
	natstest.Eventually(t, 30*time.Second, func() bool { return len(received()) == 2 }, "the recovery reaches the webhook; got %v", received())
	require.Equal(t, []alert.Health{alert.Failing, alert.OK}, received(), "notified on change, the recovery from a health it takes included")
	mu.Lock()
	last := got[len(got)-1]
	mu.Unlock()
	require.Equal(t, alert.Failing, last.Alert.Previous)
	require.Equal(t, id, last.Alert.Execution)
	require.Contains(t, hs.ok("notify", "get", "oncall"), "delivered")
}
