package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/trace"

	"github.com/jetcron/jetcron/pkg/claim"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/wirejson"
	"github.com/jetcron/jetcron/worker/internal/logcap"
)

// Causes that stop a run from outside.
var (
	errTimeout     = errors.New("timed out")
	errInterrupted = errors.New("interrupted: the worker is shutting down")
)

// cancelledError is a cancellation with its reason.
type cancelledError struct{ reason string }

func (e *cancelledError) Error() string { return e.reason }

// MaxWorkBytes bounds a work message; larger ones are rejected.
const MaxWorkBytes = 1 << 20

// execution is one attempt of an execution on this worker.
type execution struct {
	w         *Worker
	msg       jetstream.Msg
	work      job.Work
	runner    runner // of the work's task kind
	delivery  int    // the message's delivery count
	attempt   int    // the attempt the claim gave this delivery (see claim)
	seq       uint64
	received  time.Time // when this worker received the delivery
	startedAt time.Time
	log       *slog.Logger

	claimMu sync.Mutex // serializes claim writes (heartbeat vs. finish)
	claim   *claim.Claim

	mu      sync.Mutex // guards capture
	capture *logcap.Capture

	ctx  context.Context
	stop context.CancelCauseFunc

	// The attempt's trace (trace.go): its span, a context holding it, and
	// its W3C traceparent, which the run receives.
	traceCtx    context.Context
	span        trace.Span
	traceparent string
	// ended is set once the task has ended: a cancel request then has
	// nothing left to stop.
	ended atomic.Bool
	// window is the run's previous slot and checkpoint (checkpoint.go);
	// renewedAt is when the heartbeat last renewed the claim.
	window    *runWindow
	renewedAt atomic.Value // time.Time
	// startRecorded is closed once the started event has its answer
	// (recordStart).
	startRecorded chan struct{}
}

func (x *execution) cancel(reason string) { x.stop(&cancelledError{reason: reason}) }
func (x *execution) interrupt()           { x.stop(errInterrupted) }

func (x *execution) currentCapture() *logcap.Capture {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.capture
}

// handleMessage runs one delivered work message to its end.
func (w *Worker) handleMessage(msg jetstream.Msg) {
	ctx := context.Background()
	received := w.cfg.Clock.Now()
	md, err := msg.Metadata()
	if err != nil {
		w.log.Warn("work message without metadata; terminating it", "error", err)
		_ = msg.Term()
		return
	}
	work, err := decodeWork(msg)
	if err != nil {
		w.reject(ctx, msg, work, err)
		return
	}
	r := w.runners[work.Spec.Task.Kind] // one per kind Config.AllowKinds allows
	if r == nil {
		w.refuseKind(ctx, msg, work, int(md.NumDelivered))
		return
	}
	x := &execution{
		w: w, msg: msg, work: work, runner: r, delivery: int(md.NumDelivered), seq: md.Sequence.Stream, received: received,
		log: w.log.With("job", work.Job, "execution_id", work.ID, "delivery", md.NumDelivered),
	}
	// A worker that cannot run the work (an interpreter or Go handler it
	// lacks) hands it back before claiming it, so another worker may; the
	// last allowed delivery records why none did.
	precheckErr := r.check(&work)
	if precheckErr != nil && x.delivery < w.queueLimits(work.Spec.Queue).maxDeliver {
		x.log.Warn("cannot run here; handing it back", "error", precheckErr)
		_ = msg.NakWithDelay(5 * time.Second)
		return
	}
	now := w.cfg.Clock.Now()
	c, got, err := claim.Acquire(ctx, w.claimWrites, work.ID, x.seq, x.delivery, w.cfg.ID, now)
	if err != nil {
		x.log.Warn("cannot claim execution; retrying later", "error", err)
		_ = msg.NakWithDelay(time.Second)
		return
	}
	switch got {
	case claim.Duplicate:
		x.log.Info("dropping a second copy of an execution that another message owns")
		w.cfg.Metrics.duplicate()
		_ = msg.Term()
		return
	case claim.Finished:
		// The claim holds the result, but the attempt that wrote it may not
		// have recorded its final event (its answer from the claims bucket
		// was lost, or it died right after): record it before acking, with
		// the original's message ID, so it is stored once either way.
		rec := c.Record()
		reason := fmt.Sprintf("result %s recorded by attempt %d on worker %s", rec.Final, rec.Attempt, rec.Worker)
		if rec.Attempt == 0 {
			reason = fmt.Sprintf("%s by %s before it ran", rec.Final, rec.Worker)
		}
		e := event.Event{Kind: finalKind(job.State(rec.Final)), Job: work.Job, Execution: work.ID, Time: rec.Heartbeat, Attempt: rec.Attempt, Worker: rec.Worker, Reason: reason}
		// Once: the role that wrote the claim may have recorded the event
		// long ago, past the stream's duplicate window (a cancelled run
		// that waited in a backlog).
		pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := w.events.PublishFirst(pctx, e)
		cancel()
		if err != nil {
			x.log.Error("event not recorded", "kind", e.Kind, "error", err)
			_ = msg.NakWithDelay(time.Second)
			return
		}
		x.log.Info("execution already has its result (an earlier ack was lost); acking")
		_ = msg.Ack()
		return
	case claim.Stale:
		x.log.Info("a newer attempt holds the execution; leaving this delivery")
		return
	}
	x.claim, x.attempt = c, c.Record().Attempt
	x.log = x.log.With("attempt", x.attempt)
	x.startTrace(w.cfg.Clock.Now())
	if got == claim.TookOver {
		prev := c.Previous
		w.publish(ctx, event.Event{Kind: event.Abandoned, Job: work.Job, Execution: work.ID, Time: now, Attempt: prev.Attempt, Worker: prev.Worker,
			Reason: fmt.Sprintf("no heartbeat from worker %s within the ack wait; redelivered as attempt %d", prev.Worker, x.attempt)})
	}
	if precheckErr != nil { // the last delivery: record why nobody ran it
		x.runAndFinish(ctx, &outcome{state: job.StateFailed, err: precheckErr.Error()}, false)
		return
	}
	x.runAndFinish(ctx, nil, true)
}

// runAndFinish runs the task (unless pre is a ready outcome) and records the
// result.
func (x *execution) runAndFinish(ctx context.Context, pre *outcome, run bool) {
	w := x.w
	x.startedAt = w.cfg.Clock.Now()
	runCtx, stop := context.WithCancelCause(context.Background())
	defer stop(nil)
	if t := x.work.Spec.Timeout.D(); t > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeoutCause(runCtx, t, errTimeout)
		defer cancel()
	}
	x.ctx, x.stop = runCtx, stop
	w.running.Store(x.work.ID, x)
	defer w.running.Delete(x.work.ID)
	if unsubscribe, err := x.subscribeControl(); err != nil {
		x.log.Warn("cancel and live log requests will not reach this run", "error", err)
	} else {
		defer unsubscribe()
	}
	w.cfg.Metrics.started()

	hbCtx, hbStop := context.WithCancel(context.Background())
	hbDone := make(chan struct{})
	go func() {
		defer close(hbDone)
		x.heartbeat(hbCtx)
	}()

	x.recordStart(ctx)

	var o outcome
	capture, err := x.openCapture()
	switch {
	case err != nil:
		o = outcome{state: job.StateFailed, err: "cannot capture output: " + err.Error(), handBack: true}
	case pre != nil:
		o = *pre
	case run && !x.stillOurs(ctx):
		// The claim can wait for seconds on a stream electing its leader;
		// if another attempt took the execution over meanwhile, starting
		// the task would run it beside that attempt.
		o = outcome{superseded: true}
	case run:
		if err := x.loadWindow(ctx); err != nil {
			o = outcome{state: job.StateFailed, err: err.Error(), handBack: true}
			break
		}
		o = x.execute(runCtx)
	}
	hbStop()
	<-hbDone
	ended := w.cfg.Clock.Now()
	<-x.startRecorded // the attempt's events stay in order: started before its result
	x.finish(ctx, o, capture)
	x.endTrace(o, ended)
}

// recordStart publishes the attempt's started event while the task starts:
// waiting for the stream's answer first would add one stored write (an
// fsync with sync_interval: always) to every run's start and to every
// execution's chain of waits. Nothing needs the event stored before the
// task runs: the claim, written before, is what fences other attempts,
// and the event is best effort as it always was (a failure is logged, the
// run goes on). The result waits for it (startRecorded), so an
// execution's events keep their order in the stream: started, then its
// result.
func (x *execution) recordStart(ctx context.Context) {
	x.startRecorded = make(chan struct{})
	e := event.Event{Kind: event.Started, Job: x.work.Job, Execution: x.work.ID, Time: x.startedAt, Attempt: x.attempt, Worker: x.w.cfg.ID,
		ScheduledAt: event.Slot(x.work.ScheduledAt), Trigger: x.work.Trigger, Queue: x.work.Spec.Queue, Revision: x.work.Revision}
	go func() {
		defer close(x.startRecorded)
		x.w.publish(ctx, e)
	}()
}

// stillOurs reports whether this attempt still holds the execution right
// before its task starts: false when the heartbeat already learned it was
// superseded, or a renewal of the claim says so now. Any other failure to
// renew (NATS is busy) lets the task start; the heartbeat keeps fencing it.
//
// A delivery received less than a heartbeat interval (a third of the ack
// wait) ago needs no renewal: another attempt takes the claim over only
// with a redelivery, which the server sends no sooner than the ack wait
// after this delivery. Only a start delayed that long (the claim waiting
// on a stream that elects its leader) asks the claims bucket.
func (x *execution) stillOurs(ctx context.Context) bool {
	if errors.Is(context.Cause(x.ctx), claim.ErrSuperseded) {
		return false
	}
	every := x.w.heartbeatEvery(x.work.Spec.Queue)
	if !x.received.IsZero() && x.w.cfg.Clock.Since(x.received) < every {
		return true
	}
	x.claimMu.Lock()
	defer x.claimMu.Unlock()
	rctx, cancel := context.WithTimeout(ctx, every)
	defer cancel()
	return !errors.Is(x.claim.Renew(rctx, x.w.cfg.Clock.Now()), claim.ErrSuperseded)
}

// heartbeat keeps the message in progress and the claim fresh; a lost claim
// stops the run.
func (x *execution) heartbeat(ctx context.Context) {
	every := x.w.heartbeatEvery(x.work.Spec.Queue)
	for {
		t := x.w.cfg.Clock.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
		if err := x.msg.InProgress(); err != nil {
			x.log.Warn("heartbeat failed", "error", err)
		}
		x.claimMu.Lock()
		// Not ctx: the end of the run must not cut a renewal short.
		rctx, cancel := context.WithTimeout(context.Background(), every)
		err := x.claim.Renew(rctx, x.w.cfg.Clock.Now())
		cancel()
		x.claimMu.Unlock()
		if errors.Is(err, claim.ErrSuperseded) {
			x.log.Warn("another attempt took this execution over; stopping this one")
			x.stop(claim.ErrSuperseded)
			return
		}
		if err == nil {
			x.renewedAt.Store(x.w.cfg.Clock.Now())
		}
	}
}

// decodeWork parses and checks a work message.
func decodeWork(msg jetstream.Msg) (job.Work, error) {
	var w job.Work
	size := len(msg.Data())
	for k, vs := range msg.Headers() {
		for _, v := range vs {
			size += len(k) + len(v)
		}
	}
	if size > MaxWorkBytes {
		return w, fmt.Errorf("work message of %d bytes (headers included) exceeds the limit of %d", size, MaxWorkBytes)
	}
	if err := wirejson.Unmarshal(msg.Data(), &w); err != nil {
		return w, fmt.Errorf("work message is not valid JSON: %w", err)
	}
	if w.V != job.WorkVersion {
		return w, fmt.Errorf("work message has unknown schema version %d (this worker reads %d)", w.V, job.WorkVersion)
	}
	jobName, _, err := job.ParseExecutionID(w.ID)
	if err != nil {
		return w, err
	}
	if jobName != w.Job || w.Spec.Name != w.Job {
		return w, fmt.Errorf("work message for %q carries job %q and definition %q", w.ID, w.Job, w.Spec.Name)
	}
	if job.IsSlotID(w.ID) != w.Trigger.Scheduled() {
		// Slot IDs are the schedule's alone; a run of any other trigger
		// under a slot's ID would take the slot's place.
		return w, fmt.Errorf("work message %q has trigger %q: a scheduled slot's id goes with trigger schedule or catchup only", w.ID, w.Trigger)
	}
	if err := w.Spec.Validate(); err != nil {
		return w, fmt.Errorf("work message carries an invalid definition: %w", err)
	}
	return w, nil
}

// reject records a message that cannot be a work item and terminates it,
// so it is never delivered again.
func (w *Worker) reject(ctx context.Context, msg jetstream.Msg, work job.Work, why error) {
	w.log.Warn("rejecting work message", "subject", msg.Subject(), "error", why)
	e := event.Event{Kind: event.Rejected, Job: "_invalid", Time: w.cfg.Clock.Now(), Worker: w.cfg.ID, Reason: why.Error()}
	if job.ValidateName(work.Job) == nil {
		e.Job = work.Job
		if j, _, err := job.ParseExecutionID(work.ID); err == nil && j == work.Job {
			e.Execution = work.ID
		}
	}
	if e.Execution == "" {
		if md, err := msg.Metadata(); err == nil {
			e.Attempt = int(md.Sequence.Stream % 1_000_000_000)
		}
	}
	w.publish(ctx, e)
	w.cfg.Metrics.rejected()
	_ = msg.Term()
}

// refuseKind records a work item of a task kind the worker does not run
// as failed, and terminates it: the pool's policy, not a fault of this
// worker that another could fix.
func (w *Worker) refuseKind(ctx context.Context, msg jetstream.Msg, work job.Work, delivery int) {
	why := fmt.Sprintf("task kind %q is not allowed on worker %s of queue %s (it runs %v; see --allow-kinds)", work.Spec.Task.Kind, w.cfg.ID, work.Spec.Queue, w.cfg.AllowKinds)
	w.log.Warn("refusing a work item of a disallowed task kind", "execution_id", work.ID, "kind", work.Spec.Task.Kind)
	e := event.Event{Kind: event.Failed, Job: work.Job, Execution: work.ID, Time: w.cfg.Clock.Now(), Worker: w.cfg.ID, Attempt: delivery, Error: why, Reason: why}
	if !w.publish(ctx, e) {
		_ = msg.NakWithDelay(time.Second)
		return
	}
	_ = msg.Term()
}

// publish appends an event, retrying briefly; a loss is logged.
func (w *Worker) publish(ctx context.Context, e event.Event) bool {
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := w.events.Publish(pctx, e); err != nil {
		w.log.Error("event not recorded", "kind", e.Kind, "execution_id", e.Execution, "error", err)
		return false
	}
	return true
}
