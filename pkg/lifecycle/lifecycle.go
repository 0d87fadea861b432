// Package lifecycle is the start/stop contract shared by every long-running
// jetcron component (scheduler, elector, worker, dev server, web server) and a
// small embeddable helper that implements its racy parts once.
//
// The contract: Start returns once the component is running, or with an error
// and nothing left running. Stop is graceful, bounded by its context,
// idempotent, and safe to call before Start or concurrently with it.
package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Service is a long-running component.
type Service interface {
	// Start starts the component and returns once it runs.
	Start(ctx context.Context) error
	// Stop stops the component gracefully, or as far as ctx allows.
	Stop(ctx context.Context) error
}

// ErrAlreadyStarted is returned by Base.Go, and (wrapped) by the Start of
// every jetcron Service, when the component already runs.
var ErrAlreadyStarted = errors.New("already started")

// Base runs one background loop with a context that Stop cancels. Embed it
// and call Go from Start; its Stop cancels the loop and waits for it.
type Base struct {
	mu     sync.Mutex // guards cancel and done
	cancel context.CancelFunc
	done   chan struct{}
}

// Go runs loop in a new goroutine with a context derived from
// context.WithoutCancel(ctx) (the loop outlives Start's ctx but keeps its
// values) that Stop cancels.
func (b *Base) Go(ctx context.Context, loop func(ctx context.Context)) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done != nil {
		return ErrAlreadyStarted
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	b.cancel = cancel
	b.done = make(chan struct{})
	done := b.done
	go func() {
		defer close(done)
		loop(runCtx)
	}()
	return nil
}

// Stop cancels the loop's context and waits for the loop to return or ctx to
// end. It is idempotent and safe before Go; after it returns nil, Go may start
// the loop again.
func (b *Base) Stop(ctx context.Context) error {
	b.mu.Lock()
	cancel, done := b.cancel, b.done
	b.mu.Unlock()
	if done == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("stop: %w", context.Cause(ctx))
	}
	b.mu.Lock()
	if b.done == done {
		b.done, b.cancel = nil, nil
	}
	b.mu.Unlock()
	return nil
}

// Done returns a channel closed when the loop has returned, or nil when no
// loop was started.
func (b *Base) Done() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.done
}

// StartAll starts services in order. If one fails it stops those already
// started, in reverse order, and returns the error.
func StartAll(ctx context.Context, services ...Service) error {
	for i, s := range services {
		if err := s.Start(ctx); err != nil {
			_ = StopAll(context.WithoutCancel(ctx), services[:i]...)
			return err
		}
	}
	return nil
}

// StopAll stops services in reverse order (consumers before producers'
// connections, as they were started) and joins their errors.
func StopAll(ctx context.Context, services ...Service) error {
	var errs []error
	for i := len(services) - 1; i >= 0; i-- {
		if err := services[i].Stop(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
