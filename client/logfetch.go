package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/objstore"
)

// ErrNoLogServer means no worker answers stored-log reads: the log is in
// a store the client cannot read directly, and no worker is up to read it.
var ErrNoLogServer = errors.New("no worker serves stored logs")

// logReadTimeout bounds one chunk's request.
const logReadTimeout = 30 * time.Second

// fetchLog copies attempt n of execution id's stored log to w through the
// workers, which read it from their store (api.LogReadRequest): one chunk
// per request, from the offset the previous one ended at.
func (c *Client) fetchLog(ctx context.Context, id string, n int, w io.Writer) error {
	var off int64
	for busy := 0; ; {
		data, _ := json.Marshal(api.LogReadRequest{Execution: id, Attempt: n, Offset: off})
		rctx, cancel := context.WithTimeout(ctx, logReadTimeout)
		m, err := c.nc.RequestWithContext(rctx, c.names.LogStoreSubject(), data)
		cancel()
		if errors.Is(err, nats.ErrNoResponders) {
			return fmt.Errorf("log of %s: %w (start a worker: workers read the log store for clients)", id, ErrNoLogServer)
		}
		if err != nil {
			return fmt.Errorf("log of %s: %w", id, err)
		}
		switch code := m.Header.Get(micro.ErrorCodeHeader); code {
		case "":
		case "404":
			return fmt.Errorf("log of %s attempt %d: %w", id, n, objstore.ErrNotFound)
		case "503":
			if busy++; busy < 50 && strings.HasPrefix(m.Header.Get(micro.ErrorHeader), "busy") {
				select { // the worker serves a few reads at once: wait a little
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(100 * time.Millisecond):
				}
				continue
			}
			return fmt.Errorf("log of %s: %w: %s", id, api.ErrUnavailable, m.Header.Get(micro.ErrorHeader))
		default:
			return fmt.Errorf("log of %s: worker answered %s: %s", id, code, m.Header.Get(micro.ErrorHeader))
		}
		start, err := strconv.ParseInt(m.Header.Get(api.LogHeaderOffset), 10, 64)
		if err != nil || start != off {
			return fmt.Errorf("log of %s: a worker answered offset %q for %d", id, m.Header.Get(api.LogHeaderOffset), off)
		}
		if _, err := w.Write(m.Data); err != nil {
			return err
		}
		off += int64(len(m.Data))
		if m.Header.Get(api.LogHeaderEOF) != "" || len(m.Data) == 0 {
			return nil
		}
	}
}
