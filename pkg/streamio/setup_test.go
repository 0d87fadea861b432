package streamio_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/streamio"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/nats-io/nats-server/v2/server.(*Server).startGoRoutine.func1"),
		goleak.IgnoreAnyFunction("github.com/nats-io/nats-server/v2/server.(*fileStore).flushStreamStateLoop"),
	)
}

// bundle is one embedded JetStream server and a connection to it.
type bundle struct {
	nc *nats.Conn
	js jetstream.JetStream
}

func setup(t *testing.T) *bundle {
	t.Helper()
	nc := natstest.Connect(t, natstest.RunJetStream(t))
	return &bundle{nc: nc, js: natstest.JetStream(t, nc)}
}

// streamOptions configure bundle.stream.
type streamOptions struct {
	atomic   bool // AllowAtomicPublish
	noDirect bool // no AllowDirect
}

// stream creates a file stream of its own on "<name>.>" and returns its name.
func (b *bundle) stream(t *testing.T, o streamOptions) string {
	t.Helper()
	name := natstest.Topology(t).Names().Namespace()
	_, err := b.js.CreateStream(t.Context(), jetstream.StreamConfig{
		Name:               name,
		Subjects:           []string{name + ".>"},
		Storage:            jetstream.FileStorage,
		AllowAtomicPublish: o.atomic,
		AllowDirect:        !o.noDirect,
	})
	require.NoError(t, err)
	return name
}

// count returns the number of messages in stream.
func (b *bundle) count(t *testing.T, stream string) uint64 {
	t.Helper()
	return natstest.MsgCount(t, b.js, stream)
}

// readAll returns every message of stream, in pages of a batched direct get.
func (b *bundle) readAll(t *testing.T, stream string) []streamio.Msg {
	t.Helper()
	var out []streamio.Msg
	seq := uint64(1)
	for {
		page, err := streamio.DirectBatch(t.Context(), b.nc, streamio.DirectRequest{Stream: stream, Seq: seq, Batch: 500})
		require.NoError(t, err)
		if len(page) == 0 {
			return out
		}
		out = append(out, page...)
		seq = page[len(page)-1].Seq + 1
	}
}

// spy sees every message published on a subject with core NATS, whether or
// not a stream stores it: it tells the atomic path (messages carrying
// Nats-Batch-Id) from the one-by-one fallback.
type spy struct {
	nc  *nats.Conn
	sub *nats.Subscription
}

// spyOn subscribes on the publishing connection nc, so that a flush of nc
// guarantees that everything nc published has reached the spy.
func spyOn(t *testing.T, nc *nats.Conn, subject string) *spy {
	t.Helper()
	sub, err := nc.SubscribeSync(subject)
	require.NoError(t, err)
	require.NoError(t, sub.SetPendingLimits(-1, -1))
	require.NoError(t, nc.Flush())
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	return &spy{nc: nc, sub: sub}
}

// take returns the messages published since the last take.
func (s *spy) take(t *testing.T) []*nats.Msg {
	t.Helper()
	require.NoError(t, s.nc.Flush())
	n, _, err := s.sub.Pending()
	require.NoError(t, err)
	out := make([]*nats.Msg, 0, n)
	for range n {
		m, err := s.sub.NextMsg(time.Second)
		require.NoError(t, err)
		out = append(out, m)
	}
	return out
}

// counts returns how many messages were published since the last take as
// parts of an atomic batch and how many on their own.
func (s *spy) counts(t *testing.T) (batched, single int) {
	t.Helper()
	for _, m := range s.take(t) {
		if m.Header.Get("Nats-Batch-Id") != "" {
			batched++
		} else {
			single++
		}
	}
	return batched, single
}

// makeMsgs returns n messages on "<stream>.m.<i mod 7>" with data i and an
// X-Index header.
func makeMsgs(stream string, n int) []*nats.Msg {
	msgs := make([]*nats.Msg, n)
	for i := range msgs {
		m := nats.NewMsg(fmt.Sprintf("%s.m.%d", stream, i%7))
		m.Header.Set("X-Index", strconv.Itoa(i))
		m.Data = []byte(strconv.Itoa(i))
		msgs[i] = m
	}
	return msgs
}

// withID returns a message on subject with data and a Nats-Msg-Id.
func withID(subject, id, data string) *nats.Msg {
	m := nats.NewMsg(subject)
	m.Header.Set(jetstream.MsgIDHeader, id)
	m.Data = []byte(data)
	return m
}

// expecting returns a message on subject that the stream stores only if the
// last message on subject has sequence last (0: there is none).
func expecting(subject string, last uint64, data string) *nats.Msg {
	m := nats.NewMsg(subject)
	m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(last, 10))
	m.Data = []byte(data)
	return m
}

// requireNoBatchHeaders checks that the caller's messages carry no batch
// headers after a call.
func requireNoBatchHeaders(t *testing.T, msgs []*nats.Msg) {
	t.Helper()
	for i, m := range msgs {
		for _, h := range []string{"Nats-Batch-Id", "Nats-Batch-Sequence", "Nats-Batch-Commit"} {
			require.Empty(t, m.Header.Get(h), "message %d keeps %s", i, h)
		}
	}
}
