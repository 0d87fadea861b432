// Package streamio reads and writes JetStream streams where the client's own
// API stops short:
//
//   - Publish retries a publish with the same message ID until the stream
//     acknowledges it or the context ends. The Go client retries only
//     briefly (2 × 250 ms on "no responders"), while a NATS leader election
//     takes seconds; the deduplication window makes the retries safe.
//   - AtomicBatch publishes up to 1,000 messages that the stream stores all
//     together or not at all, paying for one fsync instead of one per message.
//   - DirectBatch reads many messages of a subject filter in one request
//     (batched direct get, nats-server 2.11+).
package streamio
