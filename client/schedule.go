package client

import (
	"context"
	"errors"
	"fmt"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/handler"
	"github.com/jetcron/jetcron/pkg/job"
)

// HandlerRegistry is where OnSchedule registers Go handlers: the worker
// the program embeds (*worker.Worker has this method; the client does not
// import the worker).
type HandlerRegistry interface {
	Handle(name string, h handler.Handler) error
}

// WithHandlers makes OnSchedule register handlers in r, normally the
// worker embedded in the same program.
func WithHandlers(r HandlerRegistry) Option {
	return func(c *Client) error {
		if r == nil {
			return errors.New("handler registry is nil")
		}
		c.handlers = r
		return nil
	}
}

// ErrNoHandlers means OnSchedule was called on a client without a handler
// registry.
var ErrNoHandlers = errors.New("no handler registry: create the client with client.WithHandlers(worker)")

// OnSchedule runs h on the schedule of spec, in one call: it registers h
// in the worker given with WithHandlers, then creates the job, or updates
// it if it exists (so a program can call it on every start).
//
// The job's task is the Go handler named spec.Task.Handler, which defaults
// to the job's name; a spec without a task gets that task. Unless spec
// names a queue, the job runs on the handler's queue "go-<handler>", which
// the worker pulls once the handler is registered: no other worker takes
// it.
//
//	w, _ := worker.New(nc, worker.Config{HandlersOnly: true})
//	_ = w.Start(ctx)
//	c, _ := client.New(nc, client.WithHandlers(w))
//	c.OnSchedule(ctx, job.Spec{Name: "refresh-token",
//		Schedule: job.Schedule{Every: job.Duration(12 * time.Hour)}, Completions: 5},
//		worker.HandlerFunc(refresh))
func (c *Client) OnSchedule(ctx context.Context, spec job.Spec, h handler.Handler, opts ...CreateOption) (api.CreateResponse, error) {
	if c.handlers == nil {
		return api.CreateResponse{}, ErrNoHandlers
	}
	if h == nil {
		return api.CreateResponse{}, errors.New("on schedule: handler is nil")
	}
	switch spec.Task.Kind {
	case "":
		if spec.Task.Handler == "" {
			spec.Task.Handler = spec.Name
		}
		spec.Task.Kind = job.TaskGo
	case job.TaskGo:
		if spec.Task.Handler == "" {
			spec.Task.Handler = spec.Name
		}
	default:
		return api.CreateResponse{}, job.Fieldf("task.kind", "is %q; OnSchedule runs a Go handler (leave the task empty)", spec.Task.Kind)
	}
	// Refuse a bad definition before the handler is registered.
	if err := spec.Validate(); err != nil {
		return api.CreateResponse{}, err
	}
	if err := c.handlers.Handle(spec.Task.Handler, h); err != nil {
		return api.CreateResponse{}, fmt.Errorf("on schedule %s: register handler: %w", spec.Name, err)
	}
	return c.CreateJob(ctx, spec, append([]CreateOption{WithUpdate()}, opts...)...)
}
