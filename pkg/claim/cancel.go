package claim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/wirejson"
)

// CancelOutcome is what Cancel did.
type CancelOutcome int

// Cancel outcomes.
const (
	// Fenced: the claim now says the execution ended (cancelled, or End's
	// state). No attempt runs it any more: a worker that receives its
	// message finds the claim finished and records the claim's result
	// instead (Acquire: Finished), and an attempt the claim was taken from
	// fails its next write.
	Fenced CancelOutcome = iota + 1
	// Held: a live attempt holds the execution (running, or about to
	// start); the claim is unchanged. Ask that attempt to stop.
	Held
	// Over: the execution already has its final result (the returned
	// Record says which).
	Over
)

// Cancel records execution id as cancelled in its claim, unless an attempt
// holds it; it is the one arbiter between a cancel and the attempts that
// would run the execution, whoever sends the work message and whenever it
// arrives.
//
//   - No claim: one is created, finished cancelled, for the work message
//     seq (0 when the execution has no message yet: a run the scheduler has
//     not published; a worker treats any message of it as finished).
//   - A claim handed back for a retry (Ended), or whose holder has not
//     renewed it for lost (its worker is gone; 0 means never treat a holder
//     as lost): it is taken over, revision-checked, as cancelled.
//   - A claim with a final result: Over.
//   - Otherwise: Held.
//
// The written record names by as its worker and attempt as its attempt,
// so that the caller's cancelled event and a worker's record of the claim
// (Acquire: Finished) carry one message ID; after a takeover, its
// Previous is the claim it replaced (which attempt ran last, and when its
// holder last wrote it).
func Cancel(ctx context.Context, kv jetstream.KeyValue, id string, seq uint64, attempt int, by string, now time.Time, lost time.Duration) (CancelOutcome, Record, error) {
	return End(ctx, kv, id, seq, string(job.StateCancelled), attempt, by, now, lost)
}

// End is Cancel for any final state that an execution reaches without
// running: the scheduler records a pending or delayed run skipped only
// once End has written its claim skipped, so that a cancel racing the
// decision and the skip do not both record an end.
func End(ctx context.Context, kv jetstream.KeyValue, id string, seq uint64, final string, attempt int, by string, now time.Time, lost time.Duration) (CancelOutcome, Record, error) {
	rec := Record{Seq: seq, Attempt: attempt, Worker: by, Final: final, Heartbeat: now.UTC()}
	for try := 0; try < acquireTries; try++ {
		if try > 0 && !pause(ctx, try) {
			return 0, Record{}, fmt.Errorf("end claim %s: %w", id, ctx.Err())
		}
		data, _ := json.Marshal(rec)
		if _, err := kv.Create(ctx, id, data); err == nil {
			return Fenced, rec, nil
		} else if !errors.Is(err, jetstream.ErrKeyExists) {
			return 0, Record{}, fmt.Errorf("end claim %s: %w", id, err)
		}
		ent, err := kv.Get(ctx, id)
		if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
			continue // as in Acquire: a racing create not applied yet, or a lagging replica
		}
		if err != nil {
			return 0, Record{}, fmt.Errorf("end claim %s: %w", id, err)
		}
		var cur Record
		if err := wirejson.Unmarshal(ent.Value(), &cur); err != nil {
			return 0, Record{}, fmt.Errorf("end claim %s: damaged record: %w", id, err)
		}
		switch {
		case cur.Final != "":
			return Over, cur, nil
		case !cur.Ended && (lost <= 0 || now.Sub(cur.Heartbeat) < lost):
			return Held, cur, nil
		}
		over := rec
		over.Seq, over.Failures = cur.Seq, cur.Failures
		data, _ = json.Marshal(over)
		_, err = kv.Update(ctx, id, data, ent.Revision())
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			continue // an attempt took it meanwhile: look again
		}
		if err != nil {
			return 0, Record{}, fmt.Errorf("end claim %s: %w", id, err)
		}
		over.Previous = &cur
		return Fenced, over, nil
	}
	return 0, Record{}, fmt.Errorf("end claim %s: too much contention", id)
}
