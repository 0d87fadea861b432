// Package job holds jetcron's domain types: a job definition (Spec) and its
// validation, execution identifiers and states, and the work item the
// scheduler hands to workers. It does no I/O.
//
// A job name is 1–128 characters of [A-Za-z0-9_-]: it becomes a NATS subject
// token, a KV key and part of file names, so nothing else is allowed. An
// execution ID is "<job>-<stamp>" where stamp is the slot in UTC
// ("20260102T150405Z"), followed for ad hoc runs by "_" and a tag of lower-case
// letters and digits. The stamp never contains "-", so the job is whatever
// precedes the last "-". A scheduled slot therefore always has the same
// execution ID, which is what makes deduplication by ID possible.
package job
