package schedule

import (
	"errors"
	"fmt"
)

// ErrInvalidSpec is matched by every *ParseError, so callers that only need
// to know "the spec is bad" can use errors.Is(err, ErrInvalidSpec).
var ErrInvalidSpec = errors.New("invalid cron spec")

// ErrNeverFires is wrapped by CheckFires when a schedule has no fire instant
// within the search horizon (5 years).
var ErrNeverFires = errors.New("schedule never fires")

// ErrInvalidZone is wrapped by LoadLocation and ParseCron when a time zone is
// unknown or not allowed (the machine's "Local" zone).
var ErrInvalidZone = errors.New("invalid time zone")

// maxSpecQuote is how many bytes of a spec an error message quotes.
const maxSpecQuote = 64

// ParseError reports why ParseCron rejected a spec. Field names the part of
// the spec at fault: "second", "minute", "hour", "day of month", "month",
// "day of week", "time zone", or "spec" when the spec as a whole is wrong
// (empty, too long, wrong field count, unknown descriptor).
type ParseError struct {
	// Field is the field at fault, e.g. "minute", or "spec".
	Field string
	// Msg describes the problem in lower case, e.g. "61 is out of range 0-59".
	Msg string
	// Spec is the spec as passed to ParseCron.
	Spec string
}

// Error formats the error as `cron spec "61 * * * *": minute: 61 is out of
// range 0-59`. Specs longer than 64 bytes are shortened in the message.
func (e *ParseError) Error() string {
	spec := e.Spec
	if len(spec) > maxSpecQuote {
		spec = spec[:maxSpecQuote] + "..."
	}
	if e.Field == "" || e.Field == fieldSpec {
		return fmt.Sprintf("cron spec %q: %s", spec, e.Msg)
	}
	return fmt.Sprintf("cron spec %q: %s: %s", spec, e.Field, e.Msg)
}

// Is reports whether target is ErrInvalidSpec, so that
// errors.Is(err, ErrInvalidSpec) holds for every *ParseError.
func (e *ParseError) Is(target error) bool {
	return target == ErrInvalidSpec
}
