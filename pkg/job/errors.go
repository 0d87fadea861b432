package job

import (
	"errors"
	"fmt"
	"reflect"
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

// Fieldf returns a FieldError for field with a formatted message. String
// arguments (input echoed back) are cut to MaxEcho characters.
func Fieldf(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, echoArgs(args)...)}
}

// MaxEcho is how many characters of an input an error message repeats: a
// 3 MB name must not make a 6 MB answer.
const MaxEcho = 64

// Echo cuts s to MaxEcho characters, marking a cut with "…".
func Echo(s string) string {
	if len(s) <= MaxEcho {
		return s
	}
	n := 0
	for i := range s {
		if n == MaxEcho {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

func echoArgs(args []any) []any {
	out := args
	for i, a := range args {
		v := reflect.ValueOf(a)
		if v.Kind() == reflect.String && v.Len() > MaxEcho { // string, TaskKind, ...
			if &out[0] == &args[0] {
				out = append([]any(nil), args...) // the caller's slice stays as it was
			}
			out[i] = Echo(v.String())
		}
	}
	return out
}

// errorf is fmt.Errorf with string arguments cut as Fieldf cuts them.
func errorf(format string, args ...any) error {
	return fmt.Errorf(format, echoArgs(args)...)
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
