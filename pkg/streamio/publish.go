package streamio

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Permanent reports whether a publish error will not go away by retrying:
// the stream refused the message for what it is (a limit, a failed
// expectation, a wrong subject), as opposed to the stream being unreachable.
func Permanent(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		// 503 (no quorum, leader election) and 408 (timeout) pass; the rest
		// are answers about the message itself.
		return apiErr.Code != 503 && apiErr.Code != 408 && apiErr.Code != 0
	}
	return errors.Is(err, jetstream.ErrStreamNotFound) || errors.Is(err, nats.ErrMaxPayload) ||
		errors.Is(err, nats.ErrBadSubject) || errors.Is(err, nats.ErrConnectionClosed)
}

// WrongLastSeq reports whether err is a stream's refusal of a message whose
// expected last subject sequence was not the subject's (10071, or 10164
// from a replicated stream).
func WrongLastSeq(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// Publish publishes msg and retries on transient errors — with the same
// headers, hence the same Nats-Msg-Id — until it is acknowledged, the error
// is Permanent, or ctx ends. Each try is bounded by tryTimeout.
func Publish(ctx context.Context, js jetstream.JetStream, msg *nats.Msg, tryTimeout time.Duration, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	if tryTimeout <= 0 {
		tryTimeout = 5 * time.Second
	}
	wait := 50 * time.Millisecond
	for {
		tctx, cancel := context.WithTimeout(ctx, tryTimeout)
		ack, err := js.PublishMsg(tctx, msg, opts...)
		cancel()
		if err == nil {
			return ack, nil
		}
		if Permanent(err) || ctx.Err() != nil {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(wait):
		}
		wait = min(wait*2, time.Second)
	}
}
