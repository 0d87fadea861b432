package worker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jetcron/jetcron/pkg/job"
)

// Limits of http tasks.
const (
	// DefaultHTTPTimeout bounds a request whose job sets no timeout.
	DefaultHTTPTimeout = 30 * time.Second
	// HTTPConnectTimeout bounds connecting to the target.
	HTTPConnectTimeout = 5 * time.Second
	// MaxHTTPLogBody is how much of a response body goes to the log.
	MaxHTTPLogBody = 1 << 20
	// maxRedirects bounds the redirects one request follows.
	maxRedirects = 10
)

// run makes the request of the execution's http task and maps the response
// onto an outcome: 2xx succeeds; 429 and 5xx are retryable, at the time a
// Retry-After header asks for; anything else fails. The status, headers
// and the first MiB of the body go to the run's log.
func (h *httpRunner) run(ctx context.Context, x *execution) outcome {
	spec := &x.work.Spec
	r := spec.Task.HTTP
	if r == nil {
		return outcome{state: job.StateFailed, err: "http task without a request"}
	}
	log := x.currentCapture()
	timeout := firstPositive(r.Timeout.D(), spec.Timeout.D(), DefaultHTTPTimeout)
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	req, err := h.newRequest(rctx, x, r)
	if err != nil {
		return outcome{state: job.StateFailed, err: "http: " + err.Error()}
	}
	fmt.Fprintf(log, "> %s %s\n", req.Method, job.RedactURL(req.URL.String()))
	client := *h.client
	client.CheckRedirect = func(next *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		if next.URL.Scheme != "http" && next.URL.Scheme != "https" {
			return fmt.Errorf("redirect to %q is not http or https", job.RedactURL(next.URL.String()))
		}
		if err := h.guard.checkHost(next.URL.Hostname()); err != nil {
			return err
		}
		fmt.Fprintf(log, "> redirected: %s %s\n", next.Method, job.RedactURL(next.URL.String()))
		return nil
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = job.RedactURL(ue.URL) // the error names the URL, query and all
		}
		return h.failed(ctx, rctx, timeout, err, log)
	}
	defer resp.Body.Close()
	writeResponseHead(log, resp)
	n, err := io.Copy(log, io.LimitReader(resp.Body, MaxHTTPLogBody))
	if err == nil && n == MaxHTTPLogBody {
		if extra, _ := io.CopyN(io.Discard, resp.Body, 1); extra > 0 {
			fmt.Fprintf(log, "\n[jetcron: response body truncated after %d bytes]\n", MaxHTTPLogBody)
		}
	}
	if err != nil && ctx.Err() == nil {
		fmt.Fprintf(log, "\n[jetcron: reading the response body failed: %v]\n", err)
	}
	return h.outcomeOf(resp)
}

// newRequest builds the request with the task's method, URL, headers and
// body, and the Jetcron-* headers that identify the run.
func (h *httpRunner) newRequest(ctx context.Context, x *execution, r *job.HTTPRequest) (*http.Request, error) {
	var body io.Reader
	if r.Body != "" {
		body = strings.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, cmp.Or(r.Method, http.MethodGet), r.URL, body)
	if err != nil {
		return nil, err
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return nil, fmt.Errorf("%q is not an http or https URL", job.RedactURL(req.URL.String()))
	}
	req.Header.Set("User-Agent", "jetcron")
	for k, v := range r.Headers {
		if strings.EqualFold(k, "Host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	req.Header.Set("Jetcron-Job", x.work.Job)
	req.Header.Set("Jetcron-Execution-Id", x.work.ID)
	req.Header.Set("Jetcron-Attempt", strconv.Itoa(x.attempt))
	req.Header.Set("Jetcron-Scheduled-At", x.work.ScheduledAt.UTC().Format(time.RFC3339))
	if x.traceparent != "" && req.Header.Get(traceHeader) == "" {
		req.Header.Set(traceHeader, x.traceparent) // W3C Trace Context: the endpoint's spans join the attempt's
	}
	return req, nil
}

// failed maps a request that got no response onto an outcome.
func (h *httpRunner) failed(ctx, rctx context.Context, timeout time.Duration, err error, log io.Writer) outcome {
	var be *blockedError
	switch {
	case errors.As(err, &be):
		fmt.Fprintf(log, "[jetcron: %v]\n", be)
		return outcome{state: job.StateFailed, err: "http: " + be.Error()}
	case ctx.Err() != nil:
		// Stopped from outside (timeout of the job, cancel, shutdown):
		// classify names it.
		return outcome{state: job.StateFailed, err: "http: " + err.Error()}
	case errors.Is(rctx.Err(), context.DeadlineExceeded):
		msg := fmt.Sprintf("http: no response within %s", timeout)
		fmt.Fprintf(log, "[jetcron: %s]\n", msg)
		return outcome{state: job.StateFailed, err: msg, retryable: true}
	}
	fmt.Fprintf(log, "[jetcron: %v]\n", err)
	return outcome{state: job.StateFailed, err: "http: " + err.Error(), retryable: true}
}

// outcomeOf maps a response status onto an outcome.
func (h *httpRunner) outcomeOf(resp *http.Response) outcome {
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		return outcome{state: job.StateSucceeded}
	case code == http.StatusTooManyRequests || code >= 500:
		o := outcome{state: job.StateFailed, err: "HTTP " + resp.Status, retryable: true}
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), h.clock.Now()); ok {
			o.retryAfter = d
			o.err += " (Retry-After: " + resp.Header.Get("Retry-After") + ")"
		}
		return o
	}
	return outcome{state: job.StateFailed, err: "HTTP " + resp.Status}
}

// writeResponseHead writes the status line and headers, sorted, to the log.
func writeResponseHead(w io.Writer, resp *http.Response) {
	fmt.Fprintf(w, "< %s %s\n", resp.Proto, resp.Status)
	keys := make([]string, 0, len(resp.Header))
	for k := range resp.Header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range resp.Header[k] {
			if secretHeader(k) {
				v = job.Masked
			}
			fmt.Fprintf(w, "< %s: %s\n", k, v)
		}
	}
	fmt.Fprintln(w, "<")
}

// parseRetryAfter reads a Retry-After value, in seconds or as an HTTP date,
// into a delay from now between minRetryAfter and MaxRetryAfter.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		if n > int64(MaxRetryAfter/time.Second) {
			n = int64(MaxRetryAfter / time.Second)
		}
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	} else {
		return 0, false
	}
	return min(max(d, minRetryAfter), MaxRetryAfter), true
}

// firstPositive returns the first positive duration.
func firstPositive(ds ...time.Duration) time.Duration {
	for _, d := range ds {
		if d > 0 {
			return d
		}
	}
	return 0
}

// secretHeader reports whether a response header carries credentials,
// which the log masks.
func secretHeader(k string) bool {
	switch http.CanonicalHeaderKey(k) {
	case "Set-Cookie", "Authorization", "Proxy-Authorization":
		return true
	}
	return false
}
