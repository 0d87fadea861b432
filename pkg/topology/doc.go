// Package topology declares every JetStream resource jetcron uses — streams,
// consumers, KV buckets, object stores — and every subject, in one place, and
// creates or updates them with one idempotent Ensure.
//
// All names derive from a namespace (default "jetcron"), so several jetcron
// installations can share one NATS account:
//
//	<ns>-jobs      KV      job definitions, key = job name (source of truth)
//	<ns>-state     KV      per-job runtime state, written only by the leader
//	<ns>-leader    KV+TTL  the leader lease; its revision fences the leader
//	<ns>-workers   KV+TTL  worker presence
//	<ns>-claims    KV+TTL  one create-only claim per execution
//	<ns>-pending   KV      ad hoc runs waiting for their time
//	<ns>-notify    KV      notification sinks, their deliveries, per-job states
//	<NS>_WORK      stream  work queue: <ns>.work.<queue>.<job>[.<execution>]
//	<NS>_EVENTS    stream  append-only events: <ns>.events.<job>.<execution>.<kind>
//	<ns>-scripts, <ns>-logs  object stores
//	<ns>.api.v1.<verb>       the request-reply API
//	<ns>.logs.<execution>    live log chunks (core NATS)
//	<ns>.control.cancel.<execution>, <ns>.control.log.<execution>
//
// Work consumers ("work-<queue>", one per queue, filter <ns>.work.<queue>.>)
// are created here and by the API when a job names a new queue — never by a
// worker — and their filter never changes.
//
// The alerts stream's consumer "notify" is shared by every scheduler
// replica to deliver alerts to notification sinks; it is made here, and
// by a scheduler that finds it missing.
package topology
