package event

import (
	"strconv"
	"strings"
	"time"

	"github.com/jetcron/jetcron/pkg/job"
)

// Fold builds the read model of one execution from its events, in stream
// order. Unknown kinds are ignored. The result's State is what the events
// say; a caller that knows which workers are alive may refine "running"
// (see client.Executions).
func Fold(events []Event) job.Execution {
	var x job.Execution
	for i := range events {
		apply(&x, &events[i])
	}
	return x
}

func apply(x *job.Execution, e *Event) {
	if x.ID == "" {
		x.ID = e.Execution
		x.Job = e.Job
		x.Seq = e.Seq
	}
	if e.ScheduledAt != nil && x.ScheduledAt.IsZero() {
		x.ScheduledAt = *e.ScheduledAt
	}
	if e.WallTime != "" {
		x.WallTime = e.WallTime
	}
	if e.TZ != "" {
		x.TZ = e.TZ
	}
	if e.Trigger != "" && x.Trigger == "" {
		x.Trigger = e.Trigger
	}
	if e.Queue != "" {
		x.Queue = e.Queue
	}
	if e.Revision != 0 {
		x.Revision = e.Revision
	}
	if e.ParentID != "" {
		x.ParentID = e.ParentID
	}
	if len(e.Params) > 0 && x.Params == nil {
		x.Params = e.Params
	}
	t := e.Time
	switch e.Kind {
	case Scheduled:
		if x.State == "" {
			x.State = job.StateScheduled
		}
	case Delayed:
		if x.State == "" {
			x.State = job.StateScheduled
		}
		x.Notes = append(x.Notes, "delayed: "+e.Reason)
		x.Delayed = true
	case Started:
		x.State = job.StateRunning
		x.Attempt = e.Attempt
		x.Worker = e.Worker
		x.StartedAt = &t
		x.FinishedAt, x.DurationMS, x.ExitCode, x.Error, x.NextAttempt = nil, nil, nil, "", nil
		x.Attempts = append(x.Attempts, job.Attempt{N: e.Attempt, Worker: e.Worker, State: string(job.StateRunning), StartedAt: t})
	case Retrying, Succeeded, Failed, TimedOut, Cancelled:
		if x.State.Final() && x.State != job.StateCancelled {
			// A final state is final; later attempts' outcomes (which the
			// claims prevent) would not change it.
			return
		}
		x.State = e.Kind.State()
		if e.Attempt > 0 {
			x.Attempt = e.Attempt
		}
		if e.Worker != "" {
			x.Worker = e.Worker
		}
		x.FinishedAt = &t
		x.ExitCode = e.ExitCode
		x.DurationMS = e.DurationMS
		if e.LogURL != "" {
			x.LogURL = e.LogURL
		}
		x.Error = e.Error
		x.NextAttempt = e.NextAttempt
		if a := attempt(x, e.Attempt); a != nil {
			a.State = string(e.Kind.State())
			a.FinishedAt = &t
			a.ExitCode = e.ExitCode
			a.Error = e.Error
			a.LogURL = e.LogURL
			a.LogBytes = e.LogBytes
		} else if e.Kind == Cancelled && e.Attempt == 0 {
			x.Notes = append(x.Notes, "cancelled before it started")
		}
		if e.Kind == Retrying {
			if why, ok := strings.CutPrefix(e.Error, DidNotStart); ok {
				x.Notes = append(x.Notes, "attempt "+itoa(e.Attempt)+" did not start, handed back: "+why)
			} else {
				x.Notes = append(x.Notes, "attempt failed: "+e.Error)
			}
		}
	case Skipped, Missed:
		x.State = e.Kind.State()
		x.Error = e.Reason
		if e.Count > 1 && e.Last != nil {
			x.Notes = append(x.Notes, "range of "+itoa(e.Count)+" slots up to "+e.Last.Format(time.RFC3339))
		}
	case Abandoned:
		if a := attempt(x, e.Attempt); a != nil {
			a.State = "abandoned"
			a.Error = e.Reason
		}
		x.Notes = append(x.Notes, "attempt "+itoa(e.Attempt)+" abandoned: "+e.Reason)
	case Superseded:
		if a := attempt(x, e.Attempt); a != nil && a.FinishedAt == nil {
			a.State = "superseded"
			a.FinishedAt = &t
			a.ExitCode = e.ExitCode
			a.Error = e.Error
		}
		x.Notes = append(x.Notes, "attempt "+itoa(e.Attempt)+" finished after it was superseded; its result was not recorded as final")
	case Rejected:
		if x.State == "" || !x.State.Final() {
			x.State = job.StateFailed
			x.Error = "rejected: " + e.Reason
			x.FinishedAt = &t
		} else {
			x.Notes = append(x.Notes, "rejected: "+e.Reason)
		}
	case FollowUp:
		x.FollowUps = append(x.FollowUps, e.FollowUps...)
		if e.Reason != "" {
			x.Notes = append(x.Notes, "follow-up: "+e.Reason)
		}
	}
}

func attempt(x *job.Execution, n int) *job.Attempt {
	for i := len(x.Attempts) - 1; i >= 0; i-- {
		if x.Attempts[i].N == n {
			return &x.Attempts[i]
		}
	}
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }
