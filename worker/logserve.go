package worker

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/micro"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/objstore"
)

// Workers serve the stored logs to clients (api.LogReadRequest), so that
// only workers hold the log store's credentials. The endpoint is part of
// the worker's micro service, in one queue group: any worker answers.
// Reads are bounded: one chunk of at most api.LogChunkMax bytes per
// request (under the connection's max payload), at most logReadsAtOnce
// reads at a time per worker (more are answered 503, busy), each within
// logReadTimeout. Only the log of the named attempt can be read: the key
// is derived from the validated execution ID, never taken from the
// request.

// logReadsAtOnce bounds the log reads a worker serves at once.
const logReadsAtOnce = 4

// logReadTimeout bounds one log read from the store.
const logReadTimeout = 20 * time.Second

// addLogEndpoint adds the stored-log endpoint to the worker's service.
func (w *Worker) addLogEndpoint(svc micro.Service) error {
	sem := make(chan struct{}, logReadsAtOnce)
	return svc.AddEndpoint("logs", micro.HandlerFunc(func(req micro.Request) {
		select {
		case sem <- struct{}{}:
		default:
			_ = req.Error("503", "busy: too many log reads at once; retry", nil)
			return
		}
		// Off the subscription's goroutine: a slow store delays only
		// this read.
		go func() {
			defer func() { <-sem }()
			w.serveLog(req)
		}()
	}), micro.WithEndpointSubject(w.names.LogStoreSubject()), micro.WithEndpointQueueGroup(w.names.WorkerServiceName()+"-logs"))
}

// serveLog answers one log read.
func (w *Worker) serveLog(req micro.Request) {
	var r api.LogReadRequest
	if len(req.Data()) > 4096 {
		_ = req.Error("400", "bad request: the request is over 4096 bytes", nil)
		return
	}
	if err := json.Unmarshal(req.Data(), &r); err != nil {
		_ = req.Error("400", "bad request: "+err.Error(), nil)
		return
	}
	jobName, err := r.Validate()
	if err != nil {
		_ = req.Error("400", err.Error(), nil)
		return
	}
	n := api.LogChunkMax
	if r.Max > 0 && r.Max < n {
		n = r.Max
	}
	// Leave room for the headers under the max payload.
	n = max(1, min(n, int(w.nc.MaxPayload())-1024))
	ctx, cancel := context.WithTimeout(context.Background(), logReadTimeout)
	defer cancel()
	key := objstore.LogKey(jobName, r.Execution, r.Attempt)
	data, size, err := objstore.ReadRange(ctx, w.cfg.Logs, key, r.Offset, n)
	switch {
	case errors.Is(err, objstore.ErrNotFound):
		_ = req.Error("404", "no stored log for attempt "+strconv.Itoa(r.Attempt)+" of "+r.Execution, nil)
		return
	case err != nil:
		w.health.failed(w, "logs", err)
		w.log.Warn("a log read failed", "execution_id", r.Execution, "attempt", r.Attempt, "error", err)
		_ = req.Error("503", "the log store does not answer: "+err.Error(), nil)
		return
	}
	w.health.ok(w, "logs")
	h := micro.Headers{api.LogHeaderOffset: {strconv.FormatInt(r.Offset, 10)}}
	if size >= 0 {
		h[api.LogHeaderSize] = []string{strconv.FormatInt(size, 10)}
		if r.Offset+int64(len(data)) >= size {
			h[api.LogHeaderEOF] = []string{"true"}
		}
	}
	_ = req.Respond(data, micro.WithHeaders(h))
}
