package streamio

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// LastFromLeader returns the last message on subject as the stream's leader
// has it, or ok=false if there is none.
//
// Direct gets (DirectBatch, DirectLast, KV Get) may be answered by any
// replica, including one that has not applied the newest writes yet: a
// value written and acknowledged a moment ago can read as missing or old
// on a replicated stream. Reads that follow a write of the same caller
// (create a job, then run it) use this instead. It is one request to the
// leader and costs more than a direct get.
func LastFromLeader(ctx context.Context, nc *nats.Conn, stream, subject string) (Msg, bool, error) {
	m, ok, err := getFromLeader(ctx, nc, stream, getRequest{LastBySubject: subject})
	if err != nil {
		return Msg{}, false, fmt.Errorf("get %s from the leader of %s: %w", subject, stream, err)
	}
	return m, ok, nil
}

// NextFromLeader returns the first message on subject (wildcards allowed)
// at sequence seq or after, as the stream's leader has it, or ok=false if
// there is none.
func NextFromLeader(ctx context.Context, nc *nats.Conn, stream, subject string, seq uint64) (Msg, bool, error) {
	m, ok, err := getFromLeader(ctx, nc, stream, getRequest{Seq: seq, NextBySubject: subject})
	if err != nil {
		return Msg{}, false, fmt.Errorf("get %s from %d from the leader of %s: %w", subject, seq, stream, err)
	}
	return m, ok, nil
}

// getFromLeader sends req to the message get of stream's leader.
func getFromLeader(ctx context.Context, nc *nats.Conn, stream string, req getRequest) (Msg, bool, error) {
	resp, err := requestGet(ctx, nc, "$JS.API.STREAM.MSG.GET."+stream, req)
	if err != nil {
		return Msg{}, false, err
	}
	var body struct {
		Message *struct {
			Subject string    `json:"subject"`
			Seq     uint64    `json:"seq"`
			Header  []byte    `json:"hdrs"`
			Data    []byte    `json:"data"`
			Time    time.Time `json:"time"`
		} `json:"message"`
		Error *struct {
			Code        int    `json:"code"`
			ErrCode     int    `json:"err_code"`
			Description string `json:"description"`
		} `json:"error"`
	}
	if err := json.Unmarshal(resp.Data, &body); err != nil {
		return Msg{}, false, fmt.Errorf("bad answer: %w", err)
	}
	if body.Error != nil {
		if body.Error.ErrCode == errCodeNoMessage { // not a missing stream (10059)
			return Msg{}, false, nil
		}
		return Msg{}, false, fmt.Errorf("%s (code %d, err_code %d)", body.Error.Description, body.Error.Code, body.Error.ErrCode)
	}
	if body.Message == nil {
		return Msg{}, false, nil
	}
	m := Msg{Subject: body.Message.Subject, Seq: body.Message.Seq, Time: body.Message.Time, Data: body.Message.Data}
	if len(body.Message.Header) > 0 {
		if m.Header, err = nats.DecodeHeadersMsg(body.Message.Header); err != nil {
			return Msg{}, false, err
		}
	}
	return m, true, nil
}

// errCodeNoMessage is JetStream's "no message found" (a 404, like a missing
// stream, which is an error).
const errCodeNoMessage = 10037
