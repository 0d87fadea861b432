// Package client is the Go SDK of jetcron, and what the CLI is built on:
// define, run and pause jobs through the API; list, inspect, follow and
// cancel executions; read their logs, stored or live; watch events.
//
// A client needs only a NATS connection:
//
//	nc, _ := nats.Connect(nats.DefaultURL)
//	c, _ := client.New(nc)
//	c.CreateJob(ctx, job.Spec{Name: "hello", Schedule: job.Schedule{Every: job.Duration(time.Minute)},
//		Task: job.Task{Kind: job.TaskCommand, Command: []string{"echo", "hello"}}})
//
// A Go program that embeds a worker schedules its own handlers in one call,
// OnSchedule (see examples/refresh-token):
//
//	c, _ := client.New(nc, client.WithHandlers(w)) // w: the embedded *worker.Worker
//	c.OnSchedule(ctx, job.Spec{Name: "refresh-token", Schedule: job.Schedule{Every: job.Duration(12 * time.Hour)}},
//		worker.HandlerFunc(refresh))
//
// Errors match the domain errors: errors.Is(err, job.ErrNotFound),
// job.ErrExists, job.ErrInvalid (with *job.FieldError-like details in
// *api.Error), api.ErrUnavailable when no scheduler answers.
package client
