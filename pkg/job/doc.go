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
//
// # Validation
//
// The rules of a definition are written once, here: Spec.Validate holds the
// generic ones (validate.go) and each task kind its own, next to its fields
// (task_<kind>.go, listed once in taskKinds in task.go). The defaults are
// written once too, in WithDefaults, and the kinds' own defaults beside their
// rules. Every problem is a *FieldError whose Field is the path of the field
// as a definition file and the HTTP API write it ("schedule.every",
// "task.http.url", "retry.backoff_max"), never a command line flag: a caller
// that knows its own words maps the field (the CLI names the flag that sets
// it). errors.Is(err, ErrInvalid) holds for every one of them.
//
// A definition is checked at each edge it crosses, with these same rules:
//
//   - The API (scheduler/internal/apiservice) is the trust boundary. It
//     validates a definition fully and fills its defaults with Normalize,
//     refuses a new schedule in the past (CheckFuture) and a task kind no
//     live worker of the queue runs, and stores only what passed, defaults
//     included, so that what `job get` shows is what runs.
//   - The scheduler reads the jobs bucket (scheduler/internal/catalog) and
//     the worker reads the work stream (worker/execute.go). Both decode
//     strictly and check again, because anything that crosses a role
//     boundary is hostile where it is consumed (docs/security.md, "What
//     crosses a boundary"): another role, or anyone with write access to
//     the bucket or stream, can put a definition there without the API. A
//     definition that fails is refused with its field errors (the scheduler
//     skips the job and records a job_invalid event; the worker records the
//     message rejected and terminates it) and never crashes the role. The catalog calls Normalize, so a
//     definition that did not come through the API, or was stored before a
//     default existed, runs as the API would have stored it; for one the
//     API stored it changes nothing. The worker only calls Validate: the
//     definitions it runs come from the scheduler with their defaults.
//   - Clients may call Validate once before they send, for quick feedback
//     without a round trip (`jetcron job create` before it uploads a
//     script, `jetcron apply` for the whole file), but never word a rule of
//     their own: the API's answer is the one that counts.
package job
