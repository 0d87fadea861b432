package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/jetcron/jetcron/pkg/topology"
)

// Call sends a request to an API verb and decodes the answer into out
// (which may be nil). An API error comes back as *Error, which matches the
// domain errors with errors.Is; "no scheduler answered" is ErrUnavailable.
func Call(ctx context.Context, nc *nats.Conn, names topology.Names, verb string, req, out any) error {
	data, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("%s: encode request: %w", verb, err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
	}
	msg, err := nc.RequestMsgWithContext(ctx, &nats.Msg{Subject: names.APISubject(verb), Data: data, Header: callerHeader(ctx, nc)})
	if err != nil {
		if errors.Is(err, nats.ErrNoResponders) {
			return fmt.Errorf("%w: no jetcron scheduler answers on %s (is `jetcron dev` or `jetcron scheduler` running, with the same --namespace?)", ErrUnavailable, names.APISubject(verb))
		}
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) {
			return fmt.Errorf("%w: %s: no answer in time", ErrUnavailable, verb)
		}
		return fmt.Errorf("%s: %w", verb, err)
	}
	if code := msg.Header.Get(micro.ErrorCodeHeader); code != "" {
		e := &Error{Message: msg.Header.Get(micro.ErrorHeader)}
		if len(msg.Data) > 0 {
			_ = json.Unmarshal(msg.Data, e)
		}
		if e.Code == 0 {
			e.Code, _ = strconv.Atoi(code)
		}
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(msg.Data, out); err != nil {
		return fmt.Errorf("%s: decode answer: %w", verb, err)
	}
	return nil
}
