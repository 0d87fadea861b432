package api

import (
	"context"
	"errors"

	"github.com/nats-io/nats.go"

	"github.com/jetcron/jetcron/pkg/job"
)

// ErrorOf maps an error to its API Error with a status code.
func ErrorOf(err error) Error {
	e := Error{Code: 500, Message: err.Error()}
	var fe *job.FieldError
	var fes job.FieldErrors
	switch {
	case errors.As(err, &fes):
		e.Code = 422
		for _, f := range fes {
			e.Fields = append(e.Fields, FieldProblem{Field: f.Field, Message: f.Msg})
		}
		e.Field = fes[0].Field
	case errors.As(err, &fe):
		e.Code = 422
		e.Field = fe.Field
		e.Fields = []FieldProblem{{Field: fe.Field, Message: fe.Msg}}
	case errors.Is(err, job.ErrInvalid):
		e.Code = 422
	case errors.Is(err, job.ErrNotFound):
		e.Code = 404
	case errors.Is(err, job.ErrExists), errors.Is(err, job.ErrConflict):
		e.Code = 409
	case errors.Is(err, ErrBadRequest):
		e.Code = 400
	case errors.Is(err, ErrUnavailable), errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout):
		e.Code = 503
	}
	return e
}

// Error returns the message.
func (e *Error) Error() string { return e.Message }

// Is maps codes back to the domain errors, so a client can match
// errors.Is(err, job.ErrNotFound) on a remote error.
func (e *Error) Is(target error) bool {
	switch e.Code {
	case 404:
		return target == job.ErrNotFound
	case 409:
		return target == job.ErrExists || target == job.ErrConflict
	case 422:
		return target == job.ErrInvalid
	case 400:
		return target == ErrBadRequest
	case 503:
		return target == ErrUnavailable
	}
	return false
}

var (
	// ErrBadRequest means a request could not be decoded.
	ErrBadRequest = errors.New("bad request")
	// ErrUnavailable means no scheduler answered, or it could not reach
	// JetStream.
	ErrUnavailable = errors.New("unavailable")
)
