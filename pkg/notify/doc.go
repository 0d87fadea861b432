// Package notify defines notification sinks: where the alerts of package
// alert are delivered (a webhook, a Slack-compatible webhook or a NATS
// subject), which alerts each one takes (job labels, healths), how often a
// bad health is repeated, and what is sent.
//
// A sink is a definition like a job: created and validated by the API
// (scheduler/internal/apiservice), stored in the notify bucket
// (topology.Names.NotifyBucket) under SinkKey, read by every scheduler
// replica's notifier (scheduler/internal/notifier), which delivers the
// alerts. The same bucket holds, per sink, the last deliveries (LogKey) and,
// per sink and job, what was last sent (StateKey), so that re-alerting and
// the record of deliveries survive restarts.
//
// Sending is here too (Sender): one attempt, bounded by a timeout, whose
// result says whether another attempt may succeed. Retries, queues and
// acknowledgements are the notifier's.
package notify
