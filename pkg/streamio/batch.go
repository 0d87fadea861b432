package streamio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nuid"
)

// MaxAtomicBatch is the largest batch a stream accepts by default.
const MaxAtomicBatch = 1000

// BatchAck is the stream's answer to a committed batch.
type BatchAck struct {
	Stream string `json:"stream"`
	Seq    uint64 `json:"seq"` // sequence of the last message of the batch
	Count  int    `json:"count"`
}

// BatchError is the stream's refusal of a whole batch.
type BatchError struct {
	Code        int    `json:"code"`
	ErrCode     int    `json:"err_code"`
	Description string `json:"description"`
}

func (e *BatchError) Error() string {
	return fmt.Sprintf("atomic batch refused: %s (code %d, err_code %d)", e.Description, e.Code, e.ErrCode)
}

// ErrBatchTooLarge means more than MaxAtomicBatch messages were given.
var ErrBatchTooLarge = errors.New("atomic batch: too many messages")

// AtomicBatch publishes msgs so that the stream stores all of them or none
// (ADR-50; the stream must allow atomic publish). The messages' own headers
// (for example Nats-Msg-Id) are kept. A refusal — one message's ID already
// stored, a per-subject limit, a lost leader — returns a *BatchError or a
// transport error and stores nothing; the caller may then publish one by one
// to learn which message was at fault.
func AtomicBatch(ctx context.Context, nc *nats.Conn, msgs []*nats.Msg) (BatchAck, error) {
	if len(msgs) == 0 {
		return BatchAck{}, nil
	}
	if len(msgs) > MaxAtomicBatch {
		return BatchAck{}, fmt.Errorf("%w: %d > %d", ErrBatchTooLarge, len(msgs), MaxAtomicBatch)
	}
	id := nuid.Next()
	defer func() { // the messages leave as they came, whatever happened
		for _, m := range msgs {
			m.Header.Del("Nats-Batch-Id")
			m.Header.Del("Nats-Batch-Sequence")
			m.Header.Del("Nats-Batch-Commit")
		}
	}()
	for i, m := range msgs {
		if m.Header == nil {
			m.Header = nats.Header{}
		}
		m.Header.Set("Nats-Batch-Id", id)
		m.Header.Set("Nats-Batch-Sequence", strconv.Itoa(i+1))
		m.Reply = ""
		if i < len(msgs)-1 {
			if err := nc.PublishMsg(m); err != nil {
				return BatchAck{}, fmt.Errorf("atomic batch: %w", err)
			}
		}
	}
	last := msgs[len(msgs)-1]
	last.Header.Set("Nats-Batch-Commit", "1")
	resp, err := nc.RequestMsgWithContext(ctx, last)
	if err != nil {
		return BatchAck{}, fmt.Errorf("atomic batch: %w", err)
	}
	var ack struct {
		BatchAck
		Error *BatchError `json:"error"`
	}
	if err := json.Unmarshal(resp.Data, &ack); err != nil {
		return BatchAck{}, fmt.Errorf("atomic batch: bad answer %q: %w", resp.Data, err)
	}
	if ack.Error != nil {
		return BatchAck{}, ack.Error
	}
	return ack.BatchAck, nil
}
