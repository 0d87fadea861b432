package apiservice

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/jetcron/jetcron/pkg/api"
)

// errTooLarge is a reply larger than NATS carries (413).
var errTooLarge = errors.New("reply too large")

// badRequest is an error that api.ErrorOf maps to 400.
func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: %s", api.ErrBadRequest, fmt.Sprintf(format, args...))
}

// maxMessage bounds each message of an error reply: whatever a message
// quotes of the request, the reply stays far below the payload limit.
const maxMessage = 1024

// clipError cuts the messages of e to maxMessage bytes, marking cuts with "…".
func clipError(e api.Error) api.Error {
	e.Message = clip(e.Message)
	if len(e.Fields) > 0 {
		fields := make([]api.FieldProblem, len(e.Fields))
		for i, f := range e.Fields {
			fields[i] = api.FieldProblem{Field: clip(f.Field), Message: clip(f.Message)}
		}
		e.Fields = fields
	}
	e.Field = clip(e.Field)
	return e
}

func clip(s string) string {
	if len(s) <= maxMessage {
		return s
	}
	i := maxMessage
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
