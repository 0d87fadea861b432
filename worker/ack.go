package worker

import (
	"time"
)

// settle is how an attempt's message leaves this worker. This file is the
// only place where outcomes become JetStream acknowledgements.
type settleKind int

const (
	// settleDone: the result is recorded; remove the message. A plain ack,
	// not waited for: the claim already holds the result, so a lost ack
	// costs a redelivery that is acked without running (handleMessage,
	// claim.Finished), and waiting for the server's answer (the delete is
	// one more fsync with sync_interval: always) would hold the slot one
	// stored write longer on every execution.
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

func (x *execution) settle(k settleKind, delay time.Duration) {
	var err error
	switch k {
	case settleDone:
		err = x.msg.Ack()
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
