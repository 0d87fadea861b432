package topology

import (
	"fmt"
	"strings"
)

// DefaultNamespace is the namespace unless configured otherwise.
const DefaultNamespace = "jetcron"

// Names derives every resource and subject name from a namespace.
type Names struct {
	ns string
}

// NewNames returns the names of namespace ns ("" means the default).
func NewNames(ns string) (Names, error) {
	if ns == "" {
		ns = DefaultNamespace
	}
	if err := ValidateNamespace(ns); err != nil {
		return Names{}, err
	}
	return Names{ns: ns}, nil
}

// MustNames is NewNames for namespaces known to be valid.
func MustNames(ns string) Names {
	n, err := NewNames(ns)
	if err != nil {
		panic(err)
	}
	return n
}

// ValidateNamespace checks a namespace: 1–32 characters of [a-z0-9_-].
func ValidateNamespace(ns string) error {
	if ns == "" || len(ns) > 32 {
		return fmt.Errorf("namespace %q must be 1-32 characters", ns)
	}
	for _, r := range ns {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return fmt.Errorf("namespace %q: only a-z, 0-9, '_' and '-' are allowed", ns)
		}
	}
	return nil
}

// Namespace returns the namespace.
func (n Names) Namespace() string { return n.ns }

func (n Names) bucket(s string) string { return n.ns + "-" + s }

func (n Names) stream(s string) string {
	return strings.ToUpper(strings.ReplaceAll(n.ns, "-", "_")) + "_" + s
}

// JobsBucket is the KV bucket of job definitions.
func (n Names) JobsBucket() string { return n.bucket("jobs") }

// CalendarsBucket is the KV bucket of exclusion calendars (pkg/calendar).
func (n Names) CalendarsBucket() string { return n.bucket("calendars") }

// StateBucket is the KV bucket of per-job runtime state.
func (n Names) StateBucket() string { return n.bucket("state") }

// LeaderBucket is the KV bucket that holds the leader lease.
func (n Names) LeaderBucket() string { return n.bucket("leader") }

// WorkersBucket is the KV bucket of worker presence.
func (n Names) WorkersBucket() string { return n.bucket("workers") }

// ClaimsBucket is the KV bucket of execution claims.
func (n Names) ClaimsBucket() string { return n.bucket("claims") }

// PendingBucket is the KV bucket of ad hoc runs waiting for their time.
func (n Names) PendingBucket() string { return n.bucket("pending") }

// CheckpointsBucket is the KV bucket of per-job checkpoints: the last
// successful slot and the value a run handed to the next (workers write it).
func (n Names) CheckpointsBucket() string { return n.bucket("checkpoints") }

// QueuesBucket is the KV bucket of queue settings (a queue's cap on
// running executions; the API writes it, the leader reads it).
func (n Names) QueuesBucket() string { return n.bucket("queues") }

// HealthBucket is the KV bucket of job health (package health), written by
// every scheduler replica's watchdog.
func (n Names) HealthBucket() string { return n.bucket("health") }

// ScriptsStore is the object store of scripts.
func (n Names) ScriptsStore() string { return n.bucket("scripts") }

// LogsStore is the object store of logs.
func (n Names) LogsStore() string { return n.bucket("logs") }

// WorkStream is the work-queue stream.
func (n Names) WorkStream() string { return n.stream("WORK") }

// EventsStream is the append-only events stream.
func (n Names) EventsStream() string { return n.stream("EVENTS") }

// AlertsStream is the stream of job health changes (package alert).
func (n Names) AlertsStream() string { return n.stream("ALERTS") }

// AlertSubjects is the alerts stream's subject space.
func (n Names) AlertSubjects() string { return n.ns + ".alerts.>" }

// AlertSubject is the subject of a job's alerts.
func (n Names) AlertSubject(job string) string { return n.ns + ".alerts." + job }

// WorkSubjects is the work stream's subject space.
func (n Names) WorkSubjects() string { return n.ns + ".work.>" }

// WorkSubject is the subject of a work item. Exclusive jobs (overlap delay or
// skip) use one subject per job so that the stream's one-message-per-subject
// limit refuses a second concurrent execution; others use one per execution.
// Which items are exclusive is the scheduler's overlap decision
// (scheduler/overlap.go).
func (n Names) WorkSubject(queue, job, execution string, exclusive bool) string {
	if exclusive {
		return n.ns + ".work." + queue + "." + job
	}
	return n.ns + ".work." + queue + "." + job + "." + execution
}

// WorkJobFilter matches every work item of a job on a queue.
func (n Names) WorkJobFilter(queue, job string) []string {
	base := n.ns + ".work." + queue + "." + job
	return []string{base, base + ".*"}
}

// WorkQueueFilter is the filter of a queue's consumer.
func (n Names) WorkQueueFilter(queue string) string { return n.ns + ".work." + queue + ".>" }

// WorkConsumer is the durable consumer of a queue.
func (n Names) WorkConsumer(queue string) string { return "work-" + queue }

// EventSubjects is the events stream's subject space.
func (n Names) EventSubjects() string { return n.ns + ".events.>" }

// EventSubject is the subject of an event.
func (n Names) EventSubject(job, execution, kind string) string {
	return n.ns + ".events." + job + "." + execution + "." + kind
}

// JobEventsFilter matches every event of a job.
func (n Names) JobEventsFilter(job string) string { return n.ns + ".events." + job + ".>" }

// ExecutionEventsFilter matches every event of one execution.
func (n Names) ExecutionEventsFilter(job, execution string) string {
	return n.ns + ".events." + job + "." + execution + ".*"
}

// APIPrefix is the subject prefix of the API endpoints.
func (n Names) APIPrefix() string { return n.ns + ".api.v1" }

// APISubject is the subject of an API verb.
func (n Names) APISubject(verb string) string { return n.APIPrefix() + "." + verb }

// APIServiceName is the name of the NATS micro service.
func (n Names) APIServiceName() string { return n.ns }

// WorkerServiceName is the name of the NATS micro service every worker
// registers, so that `nats micro ls` lists the workers.
func (n Names) WorkerServiceName() string { return n.ns + "-worker" }

// WorkerStatusSubject answers a worker's live status (its presence record).
func (n Names) WorkerStatusSubject(worker string) string {
	return n.ns + ".workers." + worker + ".status"
}

// LogSubject carries the live log chunks of an execution.
func (n Names) LogSubject(execution string) string { return n.ns + ".logs." + execution }

// CancelSubject asks the worker running an execution to cancel it. The
// worker answers with its ID; with the header CancelEndedHeader when the
// task has already ended and its result is being recorded (nothing left to
// cancel).
func (n Names) CancelSubject(execution string) string { return n.ns + ".control.cancel." + execution }

// CancelEndedHeader marks a worker's answer to a cancel request for a run
// whose task has already ended.
const CancelEndedHeader = "Jetcron-Ended"

// CancelSubjects matches every cancel request.
func (n Names) CancelSubjects() string { return n.ns + ".control.cancel.*" }

// LogReadSubject asks the worker running an execution for its output so far.
func (n Names) LogReadSubject(execution string) string { return n.ns + ".control.log." + execution }

// LogReadSubjects matches every log read request.
func (n Names) LogReadSubjects() string { return n.ns + ".control.log.*" }

// LogStoreSubject is where the workers serve stored logs (pkg/api
// LogReadRequest): an endpoint of the worker micro service, in one queue
// group.
func (n Names) LogStoreSubject() string { return n.ns + ".control.logstore" }

// LeaderKey is the key of the lease in the leader bucket.
const LeaderKey = "scheduler"

// NotifyBucket is the KV bucket of notification sinks, their last
// deliveries and what each last sent about each job (package notify).
func (n Names) NotifyBucket() string { return n.bucket("notify") }

// NotifyConsumer is the durable consumer of the alerts stream that the
// scheduler replicas share to deliver alerts to the sinks.
func (n Names) NotifyConsumer() string { return "notify" }

// NotifySubjectPrefix is where NATS notification sinks may publish inside
// the namespace's subjects.
func (n Names) NotifySubjectPrefix() string { return n.ns + ".notify." }
