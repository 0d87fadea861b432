package job

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrNotFound means the job or execution does not exist.
	ErrNotFound = errors.New("not found")
	// ErrExists means a job with that name exists already.
	ErrExists = errors.New("already exists")
	// ErrInvalid means a definition or request failed validation.
	ErrInvalid = errors.New("invalid")
	// ErrConflict means the request conflicts with the current state (for
	// example a run of a job that is running and forbids overlap).
	ErrConflict = errors.New("conflict")
)

// FieldError says which field of a definition is wrong and why. Field is the
// JSON path of the field, such as "schedule.every" or "task.command".
type FieldError struct {
	Field string
	Msg   string
}

// Error returns "field: message".
func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Is makes errors.Is(err, ErrInvalid) true for every FieldError.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// Fieldf returns a FieldError for field with a formatted message.
func Fieldf(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// FieldErrors is a list of FieldErrors reported together.
type FieldErrors []*FieldError

// Error joins the messages with "; ".
func (es FieldErrors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Is makes errors.Is(err, ErrInvalid) true.
func (es FieldErrors) Is(target error) bool { return target == ErrInvalid }

// Unwrap returns the individual errors, for errors.As.
func (es FieldErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// err returns nil for an empty list, the single error for one, else the list.
func (es FieldErrors) err() error {
	switch len(es) {
	case 0:
		return nil
	case 1:
		return es[0]
	default:
		return es
	}
}
