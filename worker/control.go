package worker

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
)

// Headers of live log chunks and log reads.
const (
	HeaderOffset  = "Jetcron-Offset"
	HeaderEOF     = "Jetcron-Eof"
	HeaderAttempt = "Jetcron-Attempt"
	HeaderWritten = "Jetcron-Written"
)

// LogReadRequest asks the worker running an execution for its output from
// Offset on.
type LogReadRequest struct {
	Offset int64 `json:"offset"`
	Max    int   `json:"max,omitempty"`
}

// subscribeControl answers cancel and log-read requests for the executions
// this worker runs; requests for others are ignored (the worker that runs
// them answers).
func (w *Worker) subscribeControl() error {
	cancelSub, err := w.nc.Subscribe(w.names.CancelSubjects(), func(m *nats.Msg) {
		id := lastToken(m.Subject)
		v, ok := w.running.Load(id)
		if !ok {
			return
		}
		reason := strings.TrimSpace(string(m.Data))
		if reason == "" {
			reason = "cancelled by request"
		}
		v.(*execution).cancel(reason)
		_ = m.Respond([]byte(w.cfg.ID))
	})
	if err != nil {
		return fmt.Errorf("subscribe to cancel requests: %w", err)
	}
	logSub, err := w.nc.Subscribe(w.names.LogReadSubjects(), func(m *nats.Msg) {
		v, ok := w.running.Load(lastToken(m.Subject))
		if !ok {
			return
		}
		x := v.(*execution)
		var req LogReadRequest
		_ = json.Unmarshal(m.Data, &req)
		max := req.Max
		if max <= 0 || max > 512<<10 {
			max = 512 << 10
		}
		capture := x.currentCapture()
		if capture == nil {
			return
		}
		data, start, err := capture.ReadStream(req.Offset, max)
		if err != nil {
			return
		}
		reply := nats.NewMsg(m.Reply)
		reply.Data = data
		reply.Header.Set(HeaderOffset, strconv.FormatInt(start, 10))
		reply.Header.Set(HeaderWritten, strconv.FormatInt(capture.Written(), 10))
		reply.Header.Set(HeaderAttempt, strconv.Itoa(x.attempt))
		_ = m.RespondMsg(reply)
	})
	if err != nil {
		_ = cancelSub.Unsubscribe()
		return fmt.Errorf("subscribe to log requests: %w", err)
	}
	w.subs = []*nats.Subscription{cancelSub, logSub}
	return nil
}

func lastToken(subject string) string {
	return subject[strings.LastIndexByte(subject, '.')+1:]
}
