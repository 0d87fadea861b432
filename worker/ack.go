package worker

import (
	"context"
	"time"
)

// settle is how an attempt's message leaves this worker. This file is the
// only place where outcomes become JetStream acknowledgements.
type settleKind int

const (
	// settleDone: the result is recorded; remove the message (double ack,
	// so we know the server has it).
	settleDone settleKind = iota
	// settleRetry: another attempt after the delay, on any worker.
	settleRetry
	// settleRedeliver: no result; any worker may take it at once.
	settleRedeliver
	// settleRedeliverLater: no result; try again after a pause.
	settleRedeliverLater
	// settleReject: not a work item; never deliver again.
	settleReject
)

func (x *execution) settle(ctx context.Context, k settleKind, delay time.Duration) {
	var err error
	switch k {
	case settleDone:
		actx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = x.msg.DoubleAck(actx)
		cancel()
	case settleRetry:
		err = x.msg.NakWithDelay(delay)
	case settleRedeliver:
		err = x.msg.Nak()
	case settleRedeliverLater:
		err = x.msg.NakWithDelay(5 * time.Second)
	case settleReject:
		err = x.msg.Term()
	}
	if err != nil {
		// The claim holds the result: a redelivery is acked without running.
		x.log.Warn("acknowledgement failed", "error", err)
	}
}
