package web

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The hub's ordered consumer survives a NATS restart by itself, but it
// resumes after the last sequence it saw: on a stream made again after
// NATS lost its store (sequences start over) it would skip the new
// stream's first events, or wait forever on a stream that is gone. So the
// hub follows the stream again after every reconnection and whenever the
// stream is gone or was made again, and follow compares the stream's
// creation time with the one it followed.

// streamCheck is how often the hub checks that the stream it follows is
// still the same one, besides after every reconnection.
const streamCheck = 10 * time.Second

// errRefollow ends a follow that must start again on the current stream.
var errRefollow = errors.New("the events stream may have changed; following it again")

// watchStream ends the follow (cancel with errRefollow) when the
// connection is re-established, or the stream created at created is gone
// or was made again; it returns when ctx ends.
func (h *hub) watchStream(ctx context.Context, js jetstream.JetStream, created time.Time, reconnected <-chan nats.Status, cancel context.CancelCauseFunc) {
	t := time.NewTicker(streamCheck)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-reconnected:
			cancel(errRefollow)
			return
		case <-t.C:
			info, err := h.streamInfo(ctx, js)
			if errors.Is(err, jetstream.ErrStreamNotFound) || err == nil && !info.Created.Equal(created) {
				cancel(errRefollow)
				return
			}
		}
	}
}
