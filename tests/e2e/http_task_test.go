package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
)

// seenRequest is what a test server received.
type seenRequest struct {
	at     time.Time
	method string
	path   string
	header http.Header
	body   string
}

// target is an httptest server that records its requests and answers
// with the handler registered for each path.
type target struct {
	*httptest.Server
	mu   sync.Mutex
	seen map[string][]seenRequest
}

func newTarget(t *testing.T, network, addr string, routes map[string]http.HandlerFunc) *target {
	t.Helper()
	tg := &target{seen: map[string][]seenRequest{}}
	mux := http.NewServeMux()
	for path, h := range routes {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			tg.mu.Lock()
			tg.seen[r.URL.Path] = append(tg.seen[r.URL.Path], seenRequest{at: time.Now(), method: r.Method, path: r.URL.Path, header: r.Header.Clone(), body: string(body)})
			tg.mu.Unlock()
			h(w, r)
		})
	}
	l, err := net.Listen(network, addr)
	require.NoError(t, err)
	tg.Server = httptest.NewUnstartedServer(mux)
	tg.Listener.Close()
	tg.Listener = l
	tg.Start()
	t.Cleanup(tg.Close)
	return tg
}

func (tg *target) requests(path string) []seenRequest {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return append([]seenRequest(nil), tg.seen[path]...)
}

// TestHTTPTask: http tasks against real httptest servers, run by workers
// started through the command line: one refuses private addresses (the
// default), one allows loopback with --http-allow.
func TestHTTPTask(t *testing.T) {
	t.Parallel()
	s := start(t, options{workers: -1})
	s.startWorkerCLI(noEnv, "http-guarded", "--queue", "guarded", "--concurrency", "8")
	s.startWorkerCLI(noEnv, "http-allowed", "--queue", "allowed", "--concurrency", "8", "--http-allow", "127.0.0.0/8", "--http-allow", "::1")
	s.startWorkerCLI(noEnv, "http-partial", "--queue", "partial", "--concurrency", "8", "--http-allow", "127.0.0.2")

	var calls sync.Map // path -> *atomic.Int64
	nth := func(r *http.Request) int64 {
		v, _ := calls.LoadOrStore(r.URL.Path, new(atomic.Int64))
		return v.(*atomic.Int64).Add(1)
	}
	routes := map[string]http.HandlerFunc{
		"/echo": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Reply", "yes")
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, "created\n")
		},
		"/big": func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, strings.Repeat("a", 3<<20))
		},
		"/limited": func(w http.ResponseWriter, r *http.Request) {
			if nth(r) == 1 {
				w.Header().Set("Retry-After", "2")
				http.Error(w, "slow down", http.StatusTooManyRequests)
				return
			}
			io.WriteString(w, "ok\n")
		},
		"/unavailable-until": func(w http.ResponseWriter, r *http.Request) {
			if nth(r) == 1 {
				w.Header().Set("Retry-After", time.Now().Add(3*time.Second).UTC().Format(http.TimeFormat))
				http.Error(w, "maintenance", http.StatusServiceUnavailable)
				return
			}
			io.WriteString(w, "back\n")
		},
		"/flaky": func(w http.ResponseWriter, r *http.Request) {
			if nth(r) == 1 {
				http.Error(w, "oops", http.StatusInternalServerError)
				return
			}
			io.WriteString(w, "fine\n")
		},
		"/missing": func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
		"/slow": func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		},
		"/hit": func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hit\n") },
	}
	srv := newTarget(t, "tcp4", "127.0.0.1:0", routes)
	srv6 := newTarget(t, "tcp6", "[::1]:0", routes)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	create := func(t *testing.T, name, queue string, args ...string) string {
		t.Helper()
		s.ok(append([]string{"job", "create", name, "--every", "1h", "--queue", queue}, args...)...)
		return s.runJob(noEnv, name)
	}
	final := func(t *testing.T, id string) job.Execution {
		t.Helper()
		return s.waitState(id, 30*time.Second, job.StateSucceeded, job.StateFailed, job.StateTimedOut)
	}

	t.Run("RequestAndResponseAreLogged", func(t *testing.T) {
		t.Parallel()
		body := writeScript(t, t.TempDir(), "body.json", `{"grant_type":"refresh"}`)
		id := create(t, "http-echo", "allowed", "--http-url", srv.URL+"/echo", "--http-method", "post",
			"--http-header", "Authorization: Bearer abc", "--http-header", "Content-Type:application/json", "--http-body", "@"+body)
		x := final(t, id)
		require.Equal(t, job.StateSucceeded, x.State, x.Error)
		reqs := srv.requests("/echo")
		require.Len(t, reqs, 1)
		r := reqs[0]
		require.Equal(t, "POST", r.method)
		require.Equal(t, "Bearer abc", r.header.Get("Authorization"))
		require.Equal(t, "application/json", r.header.Get("Content-Type"))
		require.Equal(t, `{"grant_type":"refresh"}`, r.body)
		require.Equal(t, id, r.header.Get("Jetcron-Execution-Id"), "the execution ID goes along as an idempotency key")
		log := s.ok("exec", "logs", id)
		require.Contains(t, log, "> POST "+srv.URL+"/echo\n")
		require.Contains(t, log, "< HTTP/1.1 201 Created\n")
		require.Contains(t, log, "< X-Reply: yes\n")
		require.True(t, strings.HasSuffix(log, "<\ncreated\n"), log)
		require.NotContains(t, log, "Bearer abc", "request headers (secrets) stay out of the log")
	})

	t.Run("BodyBeyondOneMiBIsCut", func(t *testing.T) {
		t.Parallel()
		id := create(t, "http-big", "allowed", "--http-url", srv.URL+"/big")
		require.Equal(t, job.StateSucceeded, final(t, id).State)
		log := s.ok("exec", "logs", id)
		_, body, ok := strings.Cut(log, "\n<\n")
		require.True(t, ok, "headers end with an empty '<' line")
		require.Equal(t, strings.Repeat("a", 1<<20)+"\n[jetcron: response body truncated after 1048576 bytes]\n", body)
	})

	t.Run("TooManyRequestsRetriedAtRetryAfterSeconds", func(t *testing.T) {
		t.Parallel()
		id := create(t, "http-429", "allowed", "--http-url", srv.URL+"/limited", "--retries", "2", "--backoff", "1m")
		x := final(t, id)
		require.Equal(t, job.StateSucceeded, x.State, x.Error)
		require.Equal(t, 2, x.Attempt)
		reqs := srv.requests("/limited")
		require.Len(t, reqs, 2)
		gap := reqs[1].at.Sub(reqs[0].at)
		require.GreaterOrEqual(t, gap, 2*time.Second, "not before Retry-After")
		require.Less(t, gap, 5*time.Second, "at Retry-After, not after the job's 1m backoff")
		retrying := eventOf(t, s, id, event.Retrying)
		require.NotNil(t, retrying.NextAttempt)
		require.WithinDuration(t, retrying.Time.Add(2*time.Second), *retrying.NextAttempt, 100*time.Millisecond)
		require.Contains(t, retrying.Error, "429")
		require.Contains(t, s.ok("exec", "logs", id, "--attempt", "1"), "< Retry-After: 2\n")
	})

	t.Run("UnavailableRetriedAtRetryAfterDate", func(t *testing.T) {
		t.Parallel()
		id := create(t, "http-503", "allowed", "--http-url", srv.URL+"/unavailable-until", "--retries", "1", "--backoff", "1m")
		x := final(t, id)
		require.Equal(t, job.StateSucceeded, x.State, x.Error)
		reqs := srv.requests("/unavailable-until")
		require.Len(t, reqs, 2)
		// The date has whole seconds: the retry comes 2-3 seconds later.
		gap := reqs[1].at.Sub(reqs[0].at)
		require.GreaterOrEqual(t, gap, 2*time.Second)
		require.Less(t, gap, 6*time.Second)
	})

	t.Run("ServerErrorRetriedWithBackoff", func(t *testing.T) {
		t.Parallel()
		id := create(t, "http-500", "allowed", "--http-url", srv.URL+"/flaky", "--retries", "1", "--backoff", "1s")
		x := final(t, id)
		require.Equal(t, job.StateSucceeded, x.State, x.Error)
		require.Equal(t, 2, x.Attempt)
	})

	t.Run("ClientErrorNotRetried", func(t *testing.T) {
		t.Parallel()
		id := create(t, "http-404", "allowed", "--http-url", srv.URL+"/missing", "--retries", "3", "--backoff", "1s")
		x := final(t, id)
		require.Equal(t, job.StateFailed, x.State)
		require.Equal(t, "HTTP 404 Not Found", x.Error)
		require.Equal(t, 1, x.Attempt)
		require.Len(t, srv.requests("/missing"), 1)
	})

	t.Run("SlowResponseTimesOut", func(t *testing.T) {
		t.Parallel()
		// 1.5s: off the 1s heartbeat ticks of the test's 3s ack wait.
		id := create(t, "http-slow", "allowed", "--http-url", srv.URL+"/slow", "--http-timeout", "1500ms")
		x := final(t, id)
		require.Equal(t, job.StateFailed, x.State)
		require.Equal(t, "http: no response within 1.5s", x.Error)
		require.Equal(t, 1, x.Attempt)
		require.NotNil(t, x.StartedAt)
		require.NotNil(t, x.FinishedAt)
		require.Less(t, x.FinishedAt.Sub(*x.StartedAt), 4*time.Second, "the request timeout bounds the attempt")
	})

	t.Run("PrivateTargetsRefusedByDefault", func(t *testing.T) {
		t.Parallel()
		targets := []struct{ name, url, reason string }{
			{"http-ssrf-v4", srv.URL + "/hit", "127.0.0.1: it is a loopback address"},
			{"http-ssrf-v6", srv6.URL + "/hit", "::1: it is a loopback address"},
			{"http-ssrf-metadata", "http://169.254.169.254/latest/meta-data/", "169.254.169.254: it is a link-local address"},
			{"http-ssrf-ten", "http://10.1.2.3:8080/", "10.1.2.3: it is a private address"},
			{"http-ssrf-name", "http://localhost:" + port + "/hit", "127.0.0.1: it is a loopback address"},
		}
		for _, tc := range targets {
			id := create(t, tc.name, "guarded", "--http-url", tc.url, "--retries", "2", "--backoff", "1s")
			x := final(t, id)
			require.Equal(t, job.StateFailed, x.State, tc.name)
			require.Contains(t, x.Error, "refused to connect to "+tc.reason, tc.name)
			require.Equal(t, 1, x.Attempt, "a refused target is not retried")
		}
		require.Empty(t, srv.requests("/hit"), "no request reached the server")
		require.Empty(t, srv6.requests("/hit"))

		// The same loopback targets, on the worker started with --http-allow.
		for i, u := range []string{srv.URL + "/hit", srv6.URL + "/hit", "http://localhost:" + port + "/hit"} {
			x := final(t, create(t, fmt.Sprintf("http-allowed-%d", i), "allowed", "--http-url", u))
			require.Equal(t, job.StateSucceeded, x.State, "%s: %s", u, x.Error)
		}
		require.Len(t, srv.requests("/hit"), 2)
		require.Len(t, srv6.requests("/hit"), 1)
	})

	t.Run("RedirectToPrivateRefused", func(t *testing.T) {
		t.Parallel()
		// The worker allows 127.0.0.2 only; the redirects lead elsewhere.
		b := newTarget(t, "tcp4", "127.0.0.1:0", map[string]http.HandlerFunc{"/hit": routes["/hit"]})
		_, bPort, _ := net.SplitHostPort(b.Listener.Addr().String())
		a := newTarget(t, "tcp4", "127.0.0.2:0", map[string]http.HandlerFunc{
			"/ok":    routes["/hit"],
			"/to-ok": func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusFound) },
			"/to-localhost": func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "http://localhost:"+bPort+"/hit", http.StatusFound)
			},
			"/to-loopback": func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, b.URL+"/hit", http.StatusTemporaryRedirect)
			},
			"/to-metadata": func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "http://169.254.169.254/", http.StatusMovedPermanently)
			},
			"/to-private-v6": func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "http://[fd00::1]/", http.StatusFound)
			},
		})
		x := final(t, create(t, "http-redirect-ok", "partial", "--http-url", a.URL+"/to-ok"))
		require.Equal(t, job.StateSucceeded, x.State, x.Error)
		for path, reason := range map[string]string{
			"/to-localhost":  "127.0.0.1: it is a loopback address",
			"/to-loopback":   "127.0.0.1: it is a loopback address",
			"/to-metadata":   "169.254.169.254: it is a link-local address",
			"/to-private-v6": "fd00::1: it is a unique local address",
		} {
			name := "http-redirect" + strings.ReplaceAll(path, "/", "-")
			x := final(t, create(t, name, "partial", "--http-url", a.URL+path))
			require.Equal(t, job.StateFailed, x.State, path)
			require.Contains(t, x.Error, "refused to connect to "+reason, path)
			require.Len(t, a.requests(path), 1, "the first hop was allowed")
		}
		require.Empty(t, b.requests("/hit"), "no redirect reached the private server")
	})
}

// eventOf returns the first event of a kind of an execution.
func eventOf(t *testing.T, s *system, id string, kind event.Kind) event.Event {
	t.Helper()
	evs, err := s.client.Events(t.Context(), id)
	require.NoError(t, err)
	for _, e := range evs {
		if e.Kind == kind {
			return e
		}
	}
	t.Fatalf("execution %s has no %s event", id, kind)
	return event.Event{}
}
