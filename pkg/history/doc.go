// Package history keeps every revision of every job definition: who wrote
// it, when, why, and the definition itself, so that a revision can be shown,
// compared with another and restored long after the jobs bucket dropped it.
//
// # Where the history lives, and why there
//
// The jobs bucket is the source of truth for the current definition, but a
// KV bucket keeps only its last few revisions per key (topology: History
// 10, and a KV bucket allows at most 64). The full history therefore lives
// in its own stream, JETCRON_HISTORY (subjects <ns>.history.<job>), written
// by the API after each change it makes to the jobs bucket, one Record per
// revision, with Nats-Msg-Id <job>/<revision> so a retried write is stored
// once. The stream is:
//
//   - durable: file storage, replicated like every other stream, deny
//     delete and deny purge (history is append-only, invariant 4);
//   - bounded: at most MaxRevisions records per job (the stream's
//     MaxMsgsPerSubject drops the oldest), and, like the events stream, by
//     age or size when the operator sets it;
//   - private: a record holds the whole definition, env values and HTTP
//     headers included, and only the scheduler (which serves the API) and
//     the admin user may read or write it (deploy/nats). Every view the API
//     gives masks the secrets (job.Spec.Redacted); a rollback restores the
//     real values.
//
// The events stream was the other candidate (job_created and job_updated
// events carrying the definition), and was left aside for two reasons: every
// worker may publish events, so a forged job_updated could poison a
// rollback, and the web role reads every event, so definitions with their
// secrets would reach it.
//
// # Reading
//
// The API merges the two sources: the records of this stream, and the
// revisions the jobs bucket still holds that have no record (a record lost
// because the stream did not answer after the bucket write, or a definition
// written to the bucket directly, which shows as written by nobody known).
// The bucket wins for the definition of a revision it holds. pkg/ledger's
// revision lookup (job audit) uses the same merge, so the ledger of a window
// older than the bucket's history still knows which definition was in force.
package history
