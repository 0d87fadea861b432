package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/nats-io/nats.go"
)

// DefaultAttemptTimeout bounds one delivery attempt.
const DefaultAttemptTimeout = 10 * time.Second

// Result is the outcome of one attempt.
type Result struct {
	// Code is the HTTP status the webhook answered (zero for none).
	Code int
	// Err is why the attempt failed; nil when it was delivered.
	Err error
	// Permanent says another attempt would fail the same way (a 4xx other
	// than 408 and 429, a redirect, a refused subject).
	Permanent bool
	// Duration is how long the attempt took.
	Duration time.Duration
}

// Sender makes delivery attempts. Its zero value is not usable: use
// NewSender.
type Sender struct {
	http    *http.Client
	nc      *nats.Conn
	timeout time.Duration
	agent   string
}

// NewSender returns a sender that publishes NATS sinks on nc and bounds
// each attempt by timeout (0: DefaultAttemptTimeout). Webhooks are POSTed
// without following redirects: the URL an operator configured is the one
// called, never one an answer names.
func NewSender(nc *nats.Conn, timeout time.Duration) *Sender {
	if timeout <= 0 {
		timeout = DefaultAttemptTimeout
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 4
	tr.ResponseHeaderTimeout = timeout
	tr.MaxResponseHeaderBytes = 64 << 10
	tr.DialContext = (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Control: checkDial}).DialContext
	return &Sender{
		http: &http.Client{
			Transport:     tr,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		nc: nc, timeout: timeout, agent: "jetcron-notify/1",
	}
}

// Close closes the sender's idle connections.
func (s *Sender) Close() { s.http.CloseIdleConnections() }

// Timeout is the bound of one attempt.
func (s *Sender) Timeout() time.Duration { return s.timeout }

// Send makes one attempt to deliver m to sink, within the attempt timeout.
func (s *Sender) Send(ctx context.Context, sink Sink, m Message) Result {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var r Result
	if sink.Subject != "" {
		r = s.publish(ctx, sink, m)
	} else {
		r = s.post(ctx, sink, m)
	}
	r.Duration = time.Since(start)
	return r
}

func (s *Sender) publish(ctx context.Context, sink Sink, m Message) Result {
	body, err := sink.Body(m)
	if err != nil {
		return Result{Err: err, Permanent: true}
	}
	if s.nc == nil {
		return Result{Err: errors.New("no NATS connection"), Permanent: true}
	}
	msg := nats.NewMsg(sink.Subject)
	msg.Data = body
	msg.Header.Set(nats.MsgIdHdr, m.ID())
	msg.Header.Set("Content-Type", "application/json")
	if err := s.nc.PublishMsg(msg); err != nil {
		return Result{Err: fmt.Errorf("publish on %s: %w", sink.Subject, err), Permanent: errors.Is(err, nats.ErrBadSubject) || errors.Is(err, nats.ErrMaxPayload)}
	}
	if err := s.nc.FlushWithContext(ctx); err != nil {
		return Result{Err: fmt.Errorf("publish on %s: %w", sink.Subject, err)}
	}
	return Result{}
}

func (s *Sender) post(ctx context.Context, sink Sink, m Message) Result {
	body, err := sink.Body(m)
	if err != nil {
		return Result{Err: err, Permanent: true}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sink.Webhook, bytes.NewReader(body))
	if err != nil {
		return Result{Err: err, Permanent: true}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", s.agent)
	req.Header.Set("Idempotency-Key", m.ID())
	resp, err := s.http.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
			return Result{Err: fmt.Errorf("no answer within %s", s.timeout)}
		}
		return Result{Err: fmt.Errorf("post: %w", stripURL(err)), Permanent: errors.Is(err, ErrRefusedAddress)}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	r := Result{Code: resp.StatusCode}
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
	case c >= 300 && c < 400:
		r.Err, r.Permanent = fmt.Errorf("answered %s; redirects are not followed (configure the final URL)", resp.Status), true
	case c == http.StatusRequestTimeout || c == http.StatusTooManyRequests || c >= 500:
		r.Err = fmt.Errorf("answered %s", resp.Status)
	default:
		r.Err, r.Permanent = fmt.Errorf("answered %s", resp.Status), true
	}
	return r
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// stripURL drops the URL from a client error: a webhook URL often holds
// a secret in its path (Slack's does), and errors end up in logs and in
// delivery records.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
