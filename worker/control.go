package worker

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"

	"github.com/jetcron/jetcron/pkg/topology"
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

// subscribeControl answers cancel and log-read requests for this execution
// while it runs. The subscriptions exist only while it runs, so a request
// for an execution that runs nowhere gets "no responders" at once.
func (x *execution) subscribeControl() (unsubscribe func(), err error) {
	nc, names := x.w.nc, x.w.names
	cancelSub, err := nc.Subscribe(names.CancelSubject(x.work.ID), func(m *nats.Msg) {
		reason := strings.TrimSpace(string(m.Data))
		if reason == "" {
			reason = "cancelled by request"
		}
		reply := nats.NewMsg(m.Reply)
		reply.Data = []byte(x.w.cfg.ID)
		if x.ended.Load() {
			reply.Header.Set(topology.CancelEndedHeader, "1")
		} else {
			x.cancel(reason)
		}
		_ = m.RespondMsg(reply)
	})
	if err != nil {
		return nil, fmt.Errorf("subscribe to cancel requests: %w", err)
	}
	logSub, err := nc.Subscribe(names.LogReadSubject(x.work.ID), x.answerLogRead)
	if err != nil {
		_ = cancelSub.Unsubscribe()
		return nil, fmt.Errorf("subscribe to log requests: %w", err)
	}
	return func() {
		_ = cancelSub.Unsubscribe()
		_ = logSub.Unsubscribe()
	}, nil
}

// answerLogRead sends the output written so far from the requested offset.
func (x *execution) answerLogRead(m *nats.Msg) {
	var req LogReadRequest
	_ = json.Unmarshal(m.Data, &req)
	limit := req.Max
	if limit <= 0 || limit > 512<<10 {
		limit = 512 << 10
	}
	reply := nats.NewMsg(m.Reply)
	reply.Header.Set(HeaderAttempt, strconv.Itoa(x.attempt))
	capture := x.currentCapture()
	if capture == nil { // starting: nothing written yet
		reply.Header.Set(HeaderOffset, "0")
		reply.Header.Set(HeaderWritten, "0")
		_ = m.RespondMsg(reply)
		return
	}
	data, start, err := capture.ReadStream(req.Offset, limit)
	if err != nil {
		reply.Header.Set(HeaderOffset, strconv.FormatInt(req.Offset, 10))
		reply.Header.Set(HeaderWritten, strconv.FormatInt(capture.Written(), 10))
		_ = m.RespondMsg(reply)
		return
	}
	reply.Data = data
	reply.Header.Set(HeaderOffset, strconv.FormatInt(start, 10))
	reply.Header.Set(HeaderWritten, strconv.FormatInt(capture.Written(), 10))
	_ = m.RespondMsg(reply)
}
