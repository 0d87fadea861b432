package topology

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ErrNotConnected means the role's connection to NATS is down: the server
// is not up yet, restarts, or cannot be reached.
var ErrNotConnected = errors.New("not connected to NATS")

// WaitOptions configures WaitReady.
type WaitOptions struct {
	// Logger gets one line per back-off step saying what is awaited.
	// Defaults to a discarding logger.
	Logger *slog.Logger
	// Report, when set, is called with the reason before each back-off
	// step, and with nil once the topology is there (for /readyz).
	Report func(error)
	// MinBackoff is the first wait between checks. Defaults to 250ms.
	MinBackoff time.Duration
	// MaxBackoff caps the doubling wait between checks. Defaults to 4s.
	MaxBackoff time.Duration
	// Streams are the streams WaitReady waits for. Defaults to the work
	// and events streams; a role allowed to see only some names them (the
	// web role of deploy/nats may not read the work stream's info).
	Streams []string
	// Try bounds one check. Defaults to 5s (30s for EnsureWhenReady).
	Try time.Duration
}

// logQuietly is how often the same reason is logged again once the back-off
// has reached its cap: a role that waits for hours does not fill its log.
const logQuietly = 30 * time.Second

// WaitReady returns once NATS is reachable and the streams exist (Check),
// checking with exponential back-off; or ctx's error when ctx ends first.
// Roles call it before they start using the topology, and again when they
// find it gone (NATS restarted from an empty store), so that they may start
// in any order: a worker started before the first scheduler waits for the
// scheduler to create the resources.
func WaitReady(ctx context.Context, js jetstream.JetStream, n Names, o WaitOptions) error {
	try := cmp.Or(o.Try, 5*time.Second)
	return WaitFor(ctx, n, func(ctx context.Context) error {
		if err := Connected(js); err != nil {
			return err
		}
		tctx, cancel := context.WithTimeout(ctx, try)
		defer cancel()
		if len(o.Streams) > 0 {
			return checkStreams(tctx, js, o.Streams)
		}
		return Check(tctx, js, n)
	}, o)
}

// EnsureWhenReady waits until NATS is reachable and Ensure succeeds, with
// the back-off and logging of WaitReady: a scheduler started before its
// NATS server, or finding it restarted from an empty store, makes the
// resources as soon as it can.
func EnsureWhenReady(ctx context.Context, js jetstream.JetStream, c Config, o WaitOptions) error {
	return WaitFor(ctx, c.Names(), func(ctx context.Context) error {
		if err := Connected(js); err != nil {
			return err
		}
		tctx, cancel := context.WithTimeout(ctx, cmp.Or(o.Try, 30*time.Second))
		defer cancel()
		return Ensure(tctx, js, c)
	}, o)
}

// Connected returns ErrNotConnected, with the connection's state, unless
// js's connection is up.
func Connected(js jetstream.JetStream) error {
	if nc := js.Conn(); nc != nil && !nc.IsConnected() {
		return fmt.Errorf("%w (%s)", ErrNotConnected, nc.Status())
	}
	return nil
}

// WaitFor calls check with exponential back-off (MinBackoff doubling up to
// MaxBackoff) until it returns nil, or ctx ends (it then returns ctx's
// error). Each failed check is logged once, saying what is awaited, and
// reported to o.Report; once the back-off is at its cap, the same reason is
// logged again only every 30s.
func WaitFor(ctx context.Context, n Names, check func(context.Context) error, o WaitOptions) error {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	wait := cmp.Or(o.MinBackoff, 250*time.Millisecond)
	maxWait := cmp.Or(o.MaxBackoff, 4*time.Second)
	var last error
	var lastLog time.Time
	var lastWait time.Duration
	for step := 0; ; step++ {
		err := check(ctx)
		if err == nil {
			if o.Report != nil {
				o.Report(nil)
			}
			if step > 0 {
				log.InfoContext(ctx, "jetcron resources are ready; carrying on", "namespace", n.Namespace())
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if o.Report != nil {
			o.Report(err)
		}
		if last == nil || err.Error() != last.Error() || wait != lastWait || time.Since(lastLog) >= logQuietly {
			level := slog.LevelInfo
			if step > 0 {
				level = slog.LevelWarn
			}
			log.Log(ctx, level, waitMessage(err), "namespace", n.Namespace(), "reason", err.Error(), "retry_in", wait)
			lastLog, lastWait = time.Now(), wait
		}
		last = err
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, maxWait)
	}
}

// waitMessage is the constant log message for what a role waits for.
func waitMessage(err error) string {
	switch {
	case errors.Is(err, ErrNotConnected):
		return "waiting for NATS"
	case errors.Is(err, ErrNotReady):
		return "waiting for the jetcron resources (a scheduler or `jetcron admin ensure` creates them)"
	default:
		return "waiting for JetStream"
	}
}
