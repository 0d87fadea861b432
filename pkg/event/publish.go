package event

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/streamio"
	"github.com/jetcron/jetcron/pkg/topology"
)

// Publisher appends events to the events stream.
type Publisher struct {
	js    jetstream.JetStream
	names topology.Names
	// commit, when set, carries Publish's messages (group commit).
	commit *streamio.Committer
}

// NewPublisher returns a Publisher for the namespace of names.
func NewPublisher(js jetstream.JetStream, names topology.Names) *Publisher {
	return &Publisher{js: js, names: names}
}

// Through returns a Publisher whose Publish goes through c: many
// concurrent callers' events share an atomic batch (one commit, one fsync),
// each with its own message ID and its own answer.
func (p *Publisher) Through(c *streamio.Committer) *Publisher {
	q := *p
	q.commit = c
	return &q
}

// Msg returns the NATS message of e: its subject, payload and message ID.
func (p *Publisher) Msg(e Event) (*nats.Msg, error) {
	e.V = Version
	if e.Time.IsZero() {
		return nil, fmt.Errorf("event %s of %s: time is required", e.Kind, e.Job)
	}
	data, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode event: %w", err)
	}
	m := nats.NewMsg(p.names.EventSubject(e.Job, e.Token(), string(e.Kind)))
	m.Data = data
	m.Header.Set(jetstream.MsgIDHeader, e.MsgID())
	return m, nil
}

// Publish appends e and waits until the stream has stored it, retrying on
// transient errors with the same message ID until ctx ends. It returns the
// event's stream sequence.
func (p *Publisher) Publish(ctx context.Context, e Event) (uint64, error) {
	m, err := p.Msg(e)
	if err != nil {
		return 0, err
	}
	if p.commit != nil {
		ack, err := p.commit.Publish(ctx, m)
		if err != nil {
			return 0, fmt.Errorf("publish %s event of %s: %w", e.Kind, e.Token(), err)
		}
		return ack.Seq, nil
	}
	ack, err := streamio.Publish(ctx, p.js, m, 5*time.Second)
	if err != nil {
		return 0, fmt.Errorf("publish %s event of %s: %w", e.Kind, e.Token(), err)
	}
	return ack.Sequence, nil
}

// PublishFirst appends e unless its execution already has an event of its
// kind, whatever its attempt or its message ID: the record of a result
// that another role may be recording too (a worker recording the result a
// claim holds, beside the role that wrote it), which the stream's
// duplicate window would let through twice once it has passed. The
// stream checks it (the subject's last sequence must be none); it is
// never sent through a committer, where a refused message would fail its
// whole batch. A refusal, or the server answering that a publish of the
// same message ID is being stored, means the event is there: nil.
func (p *Publisher) PublishFirst(ctx context.Context, e Event) error {
	m, err := p.Msg(e)
	if err != nil {
		return err
	}
	m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, "0")
	_, err = streamio.Publish(ctx, p.js, m, 5*time.Second)
	var apiErr *jetstream.APIError
	if streamio.WrongLastSeq(err) || (errors.As(err, &apiErr) && apiErr.ErrorCode == errCodeDuplicateInProcess) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("publish %s event of %s: %w", e.Kind, e.Token(), err)
	}
	return nil
}

// errCodeDuplicateInProcess is the server's answer to a message whose ID
// another publish is storing this moment (JSStreamDuplicateMessageConflict).
const errCodeDuplicateInProcess jetstream.ErrorCode = 10158

// PublishAsync starts appending e and returns a future for the ack; hot paths
// keep many in flight.
func (p *Publisher) PublishAsync(e Event) (jetstream.PubAckFuture, error) {
	m, err := p.Msg(e)
	if err != nil {
		return nil, err
	}
	f, err := p.js.PublishMsgAsync(m)
	if err != nil {
		return nil, fmt.Errorf("publish %s event of %s: %w", e.Kind, e.Token(), err)
	}
	return f, nil
}
