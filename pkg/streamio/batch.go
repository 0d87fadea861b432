package streamio

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
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
	markBatch(msgs)
	defer unmarkBatch(msgs) // the messages leave as they came, whatever happened
	for _, m := range msgs[:len(msgs)-1] {
		if err := nc.PublishMsg(m); err != nil {
			return BatchAck{}, fmt.Errorf("atomic batch: %w", err)
		}
	}
	resp, err := nc.RequestMsgWithContext(ctx, msgs[len(msgs)-1])
	if err != nil {
		return BatchAck{}, fmt.Errorf("atomic batch: %w", err)
	}
	return decodeBatchAnswer(resp)
}
