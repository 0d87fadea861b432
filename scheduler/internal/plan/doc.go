// Package plan decides, purely from job definitions, their cursors and the
// current time, which slots are due: the scheduler's brain, without I/O.
//
// Each job has an entry keyed by its next fire time (slot plus the job's
// jitter) in a min-heap, so finding due work costs O(log n) per fire,
// however many jobs there are: a million jobs that fire once a day cost
// nothing between their fires.
//
// # Cursor and catch-up (misfire policy)
//
// A job's cursor is the newest slot already accounted for. When an entry is
// due at time now, every slot after the cursor and not after now is
// considered, oldest first:
//
//   - a slot older than now − window is missed (recorded, never fired);
//   - of the slots within the window, policy "all" fires every one and
//     "latest" fires only the newest, recording the others as missed;
//   - slots before the job was created or last enabled are neither fired
//     nor missed: they were never owed.
//
// Only the first MaxMissedEvents missed slots of one decision are listed
// individually; the rest are counted (up to MaxMissedCount, beyond which the
// count is a lower bound) and reported as one range, so an outage of any
// length costs a bounded amount of work and never wedges a job (the
// Kubernetes "too many missed start times" failure).
//
// Completions cap the number of fires; a schedule with no further slot (a
// one-shot that fired, an end bound passed) makes the decision Done.
package plan
