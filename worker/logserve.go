package worker

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
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
		// this read. The answer is published on the reply subject (the
		// micro request may not be used once its handler returned).
		data, reply := req.Data(), logReply{nc: w.nc, subject: req.Reply()}
		go func() {
			defer func() { <-sem }()
			w.serveLog(data, reply)
		}()
	}), micro.WithEndpointSubject(w.names.LogStoreSubject()), micro.WithEndpointQueueGroup(w.names.WorkerServiceName()+"-logs"))
}

// serveLog answers one log read.
func (w *Worker) serveLog(body []byte, reply logReply) {
	var r api.LogReadRequest
	if len(body) > 4096 {
		reply.fail("400", "bad request: the request is over 4096 bytes")
		return
	}
	if err := json.Unmarshal(body, &r); err != nil {
		reply.fail("400", "bad request: "+err.Error())
		return
	}
	jobName, err := r.Validate()
	if err != nil {
		reply.fail("400", err.Error())
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
		reply.fail("404", "no stored log for attempt "+strconv.Itoa(r.Attempt)+" of "+r.Execution)
		return
	case err != nil:
		w.health.failed(w, "logs", err)
		w.log.Warn("a log read failed", "execution_id", r.Execution, "attempt", r.Attempt, "error", err)
		reply.fail("503", "the log store does not answer: "+err.Error())
		return
	}
	w.health.ok(w, "logs")
	m := nats.NewMsg(reply.subject)
	m.Data = data
	m.Header.Set(api.LogHeaderOffset, strconv.FormatInt(r.Offset, 10))
	if size >= 0 {
		m.Header.Set(api.LogHeaderSize, strconv.FormatInt(size, 10))
		if r.Offset+int64(len(data)) >= size {
			m.Header.Set(api.LogHeaderEOF, "true")
		}
	}
	reply.send(m)
}

// logReply answers a log read on its reply subject, as a micro service
// does (an error is a message with the micro error headers).
type logReply struct {
	nc      *nats.Conn
	subject string
}

func (r logReply) send(m *nats.Msg) {
	if r.subject == "" {
		return // a publish without a reply subject asks for nothing
	}
	_ = r.nc.PublishMsg(m)
}

func (r logReply) fail(code, description string) {
	m := nats.NewMsg(r.subject)
	m.Header.Set(micro.ErrorCodeHeader, code)
	m.Header.Set(micro.ErrorHeader, description)
	r.send(m)
}
