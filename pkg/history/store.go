package history

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/streamio"
	"github.com/jetcron/jetcron/pkg/topology"
)

// Store appends and reads the history stream.
type Store struct {
	nc    *nats.Conn
	js    jetstream.JetStream
	names topology.Names
}

// NewStore returns the history store of a namespace.
func NewStore(nc *nats.Conn, js jetstream.JetStream, names topology.Names) *Store {
	return &Store{nc: nc, js: js, names: names}
}

// MsgID is a record's deduplication ID: one record per job and revision.
func MsgID(r Record) string { return fmt.Sprintf("%s/%d", r.Job, r.Revision) }

// AppendTimeout bounds Append.
const AppendTimeout = 5 * time.Second

// Append stores r; the same revision appended twice is stored once. It
// retries for up to AppendTimeout, with the same ID, while the stream does
// not answer.
func (s *Store) Append(ctx context.Context, r Record) error {
	r.V = Version
	data, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("history of %q: encode: %w", r.Job, err)
	}
	msg := &nats.Msg{Subject: s.names.HistorySubject(r.Job), Data: data, Header: nats.Header{}}
	msg.Header.Set(jetstream.MsgIDHeader, MsgID(r))
	// Bounded apart from the caller's deadline: the change this records is
	// done, and its answer must not wait on a stream that does not answer
	// (one not created yet on an installation not ensured since).
	ctx, cancel := context.WithTimeout(ctx, AppendTimeout)
	defer cancel()
	if _, err := streamio.Publish(ctx, s.js, msg, 2*time.Second); err != nil {
		return fmt.Errorf("history of %q: append revision %d: %w", r.Job, r.Revision, err)
	}
	return nil
}

// readBatch is how many records one direct get returns.
const readBatch = 256

// Read returns the records of a job, oldest first. Records that do not
// decode, or that name another job, are skipped: only the API writes here,
// but a reader trusts nothing it did not check.
func (s *Store) Read(ctx context.Context, name string) ([]Record, error) {
	var out []Record
	seq := uint64(1)
	for {
		msgs, err := streamio.DirectBatch(ctx, s.nc, streamio.DirectRequest{
			Stream: s.names.HistoryStream(), Filter: s.names.HistorySubject(name), Seq: seq, Batch: readBatch,
		})
		if err != nil {
			return nil, fmt.Errorf("history of %q: %w", name, err)
		}
		for _, m := range msgs {
			var r Record
			if json.Unmarshal(m.Data, &r) != nil || r.V != Version || r.Job != name || r.Revision == 0 {
				continue
			}
			if r.Spec != nil && r.Spec.Name != name {
				continue
			}
			out = append(out, r)
			seq = m.Seq + 1
		}
		if len(msgs) < readBatch {
			return out, nil
		}
		seq = max(seq, msgs[len(msgs)-1].Seq+1)
	}
}

// BucketRevision is one revision the jobs bucket holds.
type BucketRevision struct {
	Revision uint64
	At       time.Time
	// Spec is nil for a deletion.
	Spec *job.Spec
}

// Merge combines the records with the revisions the jobs bucket holds,
// sorted by revision: the bucket's definition wins for a revision both
// have (the bucket is the source of truth), and a bucket revision without
// a record becomes an OpUnrecorded record (or OpDeleted).
func Merge(name string, records []Record, bucket []BucketRevision) []Record {
	byRev := make(map[uint64]int, len(records))
	out := make([]Record, 0, len(records)+len(bucket))
	for _, r := range records {
		if _, dup := byRev[r.Revision]; dup {
			continue
		}
		byRev[r.Revision] = len(out)
		out = append(out, r)
	}
	for _, b := range bucket {
		if i, ok := byRev[b.Revision]; ok {
			if b.Spec != nil {
				out[i].Spec = b.Spec
			}
			continue
		}
		r := Record{V: Version, Job: name, Revision: b.Revision, Op: OpUnrecorded, Time: b.At, Spec: b.Spec}
		if b.Spec == nil {
			r.Op = OpDeleted
		}
		out = append(out, r)
	}
	sortByRevision(out)
	for i := range out {
		if out[i].Op == OpUnrecorded && len(out[i].Changes) == 0 {
			var prev *job.Spec
			if i > 0 {
				prev = out[i-1].Spec
			}
			out[i].Changes = Fields(Diff(prev, out[i].Spec))
		}
	}
	return out
}
