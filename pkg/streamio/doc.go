// Package streamio reads and writes JetStream streams where the client's own
// API stops short:
//
//   - Publish retries a publish with the same message ID until the stream
//     acknowledges it or the context ends. The Go client retries only
//     briefly (2 × 250 ms on "no responders"), while a NATS leader election
//     takes seconds; the deduplication window makes the retries safe.
//   - AtomicBatch publishes up to 1,000 messages that the stream stores all
//     together or not at all, paying for one fsync instead of one per message.
//   - PublishAll publishes any number of messages as atomic batches and
//     falls back to one by one for a batch the stream refuses, so that each
//     message gets its own answer (a revision check that failed, a
//     duplicate ID) and the others are stored.
//   - DirectBatch reads many messages of a subject filter in one request
//     (batched direct get, nats-server 2.11+); DirectLast reads the last
//     message of a subject from any replica.
//   - LastFromLeader and NextFromLeader read the last message of a
//     subject, or the first from a sequence on, from the stream's
//     leader: a read that sees every acknowledged write (a replica answering
//     a direct get may be a moment behind).
package streamio
