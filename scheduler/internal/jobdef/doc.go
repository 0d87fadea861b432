// Package jobdef holds a scheduler process's job definitions in memory,
// compactly and once.
//
// A scheduler holds every job's definition twice over: its leader builds
// each work item from it, and its watchdog (on every replica) checks each
// job's slots against it. A decoded job.Spec is over half a kilobyte before
// its strings, so a million of them, twice, would take gigabytes. Two
// things keep that down.
//
// # Shapes
//
// Jobs at that scale are made from few templates: they differ in name,
// schedule, params and labels, and share their task, queue, retry, overlap
// and catch-up. So a Def keeps the fields that are usually a job's own
// (ownFields) and points to a shape — the rest of the definition, decoded
// once and shared by every job whose rest is the same. Def.Spec puts the
// definition together again, exactly as decoded (every field, including
// any added to job.Spec later, which lands in the shape), without decoding
// anything.
//
// # One Def per revision, whoever asks
//
// The leader and the watchdog each watch the jobs bucket (their lifetimes
// differ: the leader's ends with its term), and each asks the process's
// Store for the Def of what it decoded. A revision already held by the
// other comes back as the same Def, so the process holds each definition
// once. A revision is known by its job name, its revision in the bucket
// and the instant the bucket stored it (a bucket made again numbers its
// revisions from 1 again, at other instants).
//
// The Store holds its Defs and shapes through weak pointers: what no role
// holds any longer is collected, and the Store forgets it. Nobody releases
// anything by hand, so no mistake in a role's bookkeeping can keep a
// definition alive or drop one still in use.
//
// A Def is shared read-only: nothing changes a definition in place (its
// maps and slices are shared by the jobs of a shape, and by the roles).
package jobdef
