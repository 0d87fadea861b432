package notifier

import (
	"cmp"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/jetcron/jetcron/pkg/clock"
)

// Heartbeat pings an external dead man's switch (healthchecks.io style):
// a GET of URL every Interval while Run's context lives. A ping that fails
// is logged; the next one comes at its time. The scheduler runs it while it
// leads, so the switch fires when no replica leads.
type Heartbeat struct {
	// URL is pinged with GET.
	URL string
	// Interval defaults to 1m.
	Interval time.Duration
	// Timeout bounds one ping. Defaults to 10s.
	Timeout time.Duration
	// Clock defaults to the wall clock.
	Clock clock.Clock
	// Logger defaults to a discarding logger.
	Logger *slog.Logger
}

// Run pings at once, then every Interval, until ctx ends.
func (h Heartbeat) Run(ctx context.Context) {
	h.Interval = cmp.Or(h.Interval, time.Minute)
	h.Timeout = cmp.Or(h.Timeout, 10*time.Second)
	if h.Clock == nil {
		h.Clock = clock.New()
	}
	log := h.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	failing := false
	for {
		err := h.ping(ctx, client)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil && !failing:
			log.WarnContext(ctx, "heartbeat ping failed", "error", err)
		case err == nil && failing:
			log.InfoContext(ctx, "heartbeat ping answered again")
		}
		failing = err != nil
		t := h.Clock.NewTimer(h.Interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
	}
}

func (h Heartbeat) ping(ctx context.Context, client *http.Client) error {
	ctx, cancel := context.WithTimeout(ctx, h.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.URL, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "jetcron-heartbeat/1")
	resp, err := client.Do(req)
	if err != nil {
		return stripURL(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return &statusError{resp.Status}
	}
	return nil
}

type statusError struct{ status string }

func (e *statusError) Error() string { return "answered " + e.status }

// stripURL drops the URL from a client error: a ping URL holds its
// switch's secret.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
