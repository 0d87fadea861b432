package streamio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
)

// Msg is a stored message returned by a direct get.
type Msg struct {
	Subject string
	Seq     uint64
	Time    time.Time
	Header  nats.Header
	Data    []byte
}

// DirectRequest is a batched direct get: up to Batch messages matching
// Filter with a sequence of at least Seq (1 when zero), or stored at or
// after StartTime.
type DirectRequest struct {
	Stream   string
	Filter   string
	Seq      uint64
	Batch    int
	MaxBytes int
	// StartTime, when set instead of Seq, starts at the first message
	// stored at or after it.
	StartTime time.Time
	// lastFor, when set instead of Filter, Seq and StartTime, asks for the
	// last message of each of these subjects (DirectLastFor).
	lastFor []string
	// API is the JetStream API prefix (APIPrefix); empty means
	// DefaultAPIPrefix.
	API string
}

// ErrDirectTimeout means the stream did not answer a direct get in time.
var ErrDirectTimeout = errors.New("direct get: no answer")

// DirectBatch runs req and returns the messages in sequence order. An empty
// result is not an error. The stream must allow direct gets. A request that
// gets no complete answer within a few seconds is sent again (AskAgain): a
// replica that is not current (just after its stream changed leader) drops
// a direct get instead of answering it, and the request, sent to a queue
// group, reaches no other replica.
func DirectBatch(ctx context.Context, nc *nats.Conn, req DirectRequest) ([]Msg, error) {
	a, err := directAsk(ctx, nc, req)
	return a.msgs, err
}

// MaxLastFor is the most subjects DirectLastFor asks about at once (the
// server's bound on the answers of one request).
const MaxLastFor = 1024

// DirectLastFor returns the last message of each of subjects (at most
// MaxLastFor) in req.Stream, in sequence order, in one request; a subject
// without a message is left out. Of req, only Stream, MaxBytes and API
// apply. complete is false when the answer stopped short of every
// subject's message (the server sends at most MaxBytes, by default its max
// pending bytes, at once): ask again for the rest.
func DirectLastFor(ctx context.Context, nc *nats.Conn, req DirectRequest, subjects []string) (msgs []Msg, complete bool, err error) {
	if len(subjects) > MaxLastFor {
		return nil, false, fmt.Errorf("direct get %s: %d subjects, more than %d", req.Stream, len(subjects), MaxLastFor)
	}
	if len(subjects) == 0 {
		return nil, true, nil
	}
	a, err := directAsk(ctx, nc, DirectRequest{Stream: req.Stream, MaxBytes: req.MaxBytes, API: req.API, lastFor: subjects})
	return a.msgs, err == nil && a.pending == 0, err
}

// directAnswer is a batched direct get's messages, and how many more
// matched than it carries.
type directAnswer struct {
	msgs    []Msg
	pending uint64
}

func directAsk(ctx context.Context, nc *nats.Conn, req DirectRequest) (directAnswer, error) {
	return AskAgain(ctx, func(err error) bool { return errors.Is(err, ErrDirectTimeout) }, func(ctx context.Context) (directAnswer, error) {
		return directBatchOnce(ctx, nc, req)
	})
}

func directBatchOnce(ctx context.Context, nc *nats.Conn, req DirectRequest) (directAnswer, error) {
	batch := max(req.Batch, 1)
	if len(req.lastFor) > 0 {
		batch = len(req.lastFor)
	}
	body := map[string]any{"batch": batch}
	if len(req.lastFor) > 0 {
		body["multi_last"] = req.lastFor
	} else if !req.StartTime.IsZero() && req.Seq == 0 {
		body["start_time"] = req.StartTime.UTC()
	} else {
		body["seq"] = max(req.Seq, 1)
	}
	if req.Filter != "" && len(req.lastFor) == 0 {
		body["next_by_subj"] = req.Filter
	}
	if req.MaxBytes > 0 {
		body["max_bytes"] = req.MaxBytes
	}
	data, _ := json.Marshal(body)
	inbox := nc.NewRespInbox()
	// The answer is at most the batch's messages and one that ends it: a
	// channel that holds them all never drops one. (A synchronous
	// subscription's channel holds 65,536, half a megabyte allocated by
	// every read.)
	answers := make(chan *nats.Msg, batch+2)
	sub, err := nc.ChanSubscribe(inbox, answers)
	if err != nil {
		return directAnswer{}, fmt.Errorf("direct get: %w", err)
	}
	defer sub.Unsubscribe()
	if err := nc.PublishRequest(apiOrDefault(req.API)+".DIRECT.GET."+req.Stream, inbox, data); err != nil {
		return directAnswer{}, fmt.Errorf("direct get: %w", err)
	}
	var out directAnswer
	for {
		var m *nats.Msg
		select {
		case m = <-answers:
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return directAnswer{}, fmt.Errorf("%w: %s", ErrDirectTimeout, req.Stream)
			}
			return directAnswer{}, fmt.Errorf("direct get %s: %w", req.Stream, ctx.Err())
		}
		if len(m.Data) == 0 && m.Header != nil {
			switch m.Header.Get("Status") {
			case "204": // end of batch
				out.pending, _ = strconv.ParseUint(m.Header.Get("Nats-Num-Pending"), 10, 64)
				return out, nil
			case "404": // nothing matched
				return out, nil
			case "503":
				return directAnswer{}, fmt.Errorf("direct get %s: %w", req.Stream, nats.ErrNoResponders)
			case "":
			default:
				return directAnswer{}, fmt.Errorf("direct get %s: status %s %s", req.Stream, m.Header.Get("Status"), m.Header.Get("Description"))
			}
		}
		out.msgs = append(out.msgs, directMsg(m))
	}
}

// directMsg reads the answer to a direct get: the message is the body and
// its subject, sequence and time are headers.
func directMsg(m *nats.Msg) Msg {
	seq, _ := strconv.ParseUint(m.Header.Get("Nats-Sequence"), 10, 64)
	ts, _ := time.Parse(time.RFC3339Nano, m.Header.Get("Nats-Time-Stamp"))
	return Msg{Subject: m.Header.Get("Nats-Subject"), Seq: seq, Time: ts, Header: m.Header, Data: m.Data}
}

// DirectLast returns the last message matching subject (wildcards allowed),
// or ok=false if there is none.
func DirectLast(ctx context.Context, nc *nats.Conn, stream, subject string) (Msg, bool, error) {
	m, err := requestGet(ctx, nc, "$JS.API.DIRECT.GET."+stream, getRequest{LastBySubject: subject})
	if err != nil {
		return Msg{}, false, fmt.Errorf("direct last %s %s: %w", stream, subject, err)
	}
	if len(m.Data) == 0 && m.Header != nil && m.Header.Get("Status") != "" {
		if m.Header.Get("Status") == "404" {
			return Msg{}, false, nil
		}
		return Msg{}, false, fmt.Errorf("direct last %s %s: status %s %s", stream, subject, m.Header.Get("Status"), m.Header.Get("Description"))
	}
	return directMsg(m), true, nil
}

// getRequest is the body of a direct get or a leader's message get.
type getRequest struct {
	Seq           uint64 `json:"seq,omitempty"`
	LastBySubject string `json:"last_by_subj,omitempty"`
	NextBySubject string `json:"next_by_subj,omitempty"`
}

// requestGet asks the JetStream API at apiSubject (a direct get or a
// message get of the leader) for one message, within 10s when ctx has no
// deadline.
func requestGet(ctx context.Context, nc *nats.Conn, apiSubject string, req getRequest) (*nats.Msg, error) {
	data, _ := json.Marshal(req)
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
	}
	return nc.RequestWithContext(ctx, apiSubject, data)
}
