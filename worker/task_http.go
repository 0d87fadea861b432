package worker

import (
	"net"
	"net/http"
	"net/netip"
	"slices"
	"time"

	"github.com/jetcron/jetcron/pkg/clock"
	"github.com/jetcron/jetcron/pkg/job"
)

func init() {
	runnerKinds[job.TaskHTTP] = func(w *Worker) runner { return newHTTPRunner(w.cfg.HTTPAllow, w.cfg.Clock) }
}

// httpRunner runs http tasks: one request each (task_http_run.go), through
// one shared client whose dialer refuses the addresses the guard refuses
// (task_http_guard.go).
type httpRunner struct {
	client *http.Client
	guard  *httpGuard
	clock  clock.Clock
}

// newHTTPRunner returns the http task runner of a worker that allows the
// networks in allow besides public addresses.
func newHTTPRunner(allow []netip.Prefix, clk clock.Clock) *httpRunner {
	g := &httpGuard{allow: slices.Clone(allow)}
	dialer := &net.Dialer{Timeout: HTTPConnectTimeout, KeepAlive: 30 * time.Second, Control: g.control}
	tr := &http.Transport{
		Proxy:                 nil, // a proxy would connect on the task's behalf, past the guard
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &httpRunner{client: &http.Client{Transport: tr}, guard: g, clock: clk}
}

// check passes: every worker that allows http tasks can make a request.
func (h *httpRunner) check(*job.Work) error { return nil }

// closeIdle closes the connections kept alive between requests.
func (h *httpRunner) closeIdle() { h.client.CloseIdleConnections() }

var _ runner = (*httpRunner)(nil)
