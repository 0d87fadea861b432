package cli

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/objstore"
)

// Exit codes.
const (
	exitFailure     = 1 // anything else
	exitUsage       = 2 // bad flags or arguments, invalid definitions
	exitNotFound    = 3 // the job or execution does not exist
	exitConflict    = 4 // exists already, or conflicts with the current state
	exitUnavailable = 5 // NATS or the scheduler cannot be reached
	exitRunFailed   = 6 // a followed run (job run -f) ended other than succeeded
)

// exitError is an error with its exit code and message.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func usageErr(format string, args ...any) error {
	return &exitError{code: exitUsage, msg: fmt.Sprintf(format, args...)}
}

// flagOf maps a definition's field (its JSON path, as pkg/job names it in
// errors) to the command line flag of `job create` that sets it.
var flagOf = map[string]string{
	"name":                        "NAME",
	"schedule":                    "--cron/--every/--at",
	"schedule.cron":               "--cron",
	"schedule.every":              "--every",
	"schedule.at":                 "--at",
	"schedule.tz":                 "--tz",
	"schedule.start":              "--start",
	"schedule.end":                "--end",
	"task":                        "-- ARGV/--script/--http-url/--handler",
	"task.kind":                   "-- ARGV/--script/--http-url/--handler (or --queue)",
	"task.command":                "-- ARGV",
	"task.interpreter":            "--interpreter",
	"task.script":                 "--script",
	"task.script.sha256":          "--script",
	"task.script.key":             "--script",
	"task.script.size":            "--script",
	"task.http":                   "--http-url",
	"task.http.url":               "--http-url",
	"task.http.headers":           "--http-header",
	"task.http.timeout":           "--http-timeout",
	"task.http.method":            "--http-method",
	"task.http.body":              "--http-body",
	"task.handler":                "--handler",
	"queue":                       "--queue",
	"timeout":                     "--timeout",
	"kill_grace":                  "--kill-grace",
	"retry.retries":               "--retries",
	"retry.backoff":               "--backoff",
	"retry.backoff_max":           "--backoff",
	"retry.on_exit":               "--retry-on-exit",
	"overlap":                     "--overlap",
	"concurrency_key":             "--concurrency-key",
	"max_running":                 "--max-running",
	"catchup.window":              "--catchup",
	"catchup.policy":              "--catchup-policy",
	"completions":                 "--completions",
	"jitter":                      "--jitter",
	"retention.logs":              "--keep-logs",
	"retention.failed_logs":       "--keep-failed-logs",
	"retention.executions":        "--keep-executions",
	"retention.failed_executions": "--keep-failed-executions",
	"retention.history":           "--keep-history",
	"retention.failed_history":    "--keep-failed-history",
	"params":                      "--param",
	"env":                         "--env",
	"reason":                      "--reason",
	"at":                          "--at/--in",
	"labels":                      "--label",
	"description":                 "--description",
	"since":                       "--since",
	"grace":                       "--grace",
}

// describe turns an error into an exit code and one message for stderr,
// naming a definition's fields by their flags.
func describe(err error) (int, string) { return describeIn(err, flagTerms) }

// describeIn is describe with the fields of a definition named by terms.
func describeIn(err error, terms func(field, msg string) string) (int, string) {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code, ee.msg
	}
	var ae *api.Error
	if errors.As(err, &ae) {
		return codeOfStatus(ae.Code), apiMessage(ae, terms)
	}
	var fe *job.FieldError
	var fes job.FieldErrors
	switch {
	case errors.As(err, &fes):
		parts := make([]string, len(fes))
		for i, f := range fes {
			parts[i] = terms(f.Field, f.Msg)
		}
		return exitUsage, "invalid job: " + strings.Join(parts, "; ")
	case errors.As(err, &fe):
		return exitUsage, "invalid job: " + terms(fe.Field, fe.Msg)
	case errors.Is(err, job.ErrNotFound):
		return exitNotFound, err.Error()
	case errors.Is(err, job.ErrExists), errors.Is(err, job.ErrConflict):
		return exitConflict, err.Error()
	case errors.Is(err, api.ErrUnavailable):
		return exitUnavailable, err.Error()
	case errors.Is(err, errUsage):
		return exitUsage, err.Error()
	case errors.Is(err, objstore.ErrUnreachable):
		return exitUnavailable, err.Error() + " (check --store)"
	case errors.Is(err, objstore.ErrCredentials), errors.Is(err, objstore.ErrAccessDenied), errors.Is(err, objstore.ErrNoBucket), errors.Is(err, objstore.ErrNoCredentials):
		return exitUsage, err.Error() + " (check --store and the S3 credentials in the environment)"
	}
	msg := err.Error()
	if strings.Contains(msg, "flag provided but not defined") || strings.Contains(msg, "invalid value") || strings.HasPrefix(msg, "Required flag") {
		return exitUsage, msg
	}
	return exitFailure, msg
}

func codeOfStatus(status int) int {
	switch status {
	case 400, 422:
		return exitUsage
	case 404:
		return exitNotFound
	case 409:
		return exitConflict
	case 503:
		return exitUnavailable
	}
	return exitFailure
}

func apiMessage(e *api.Error, terms func(field, msg string) string) string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = terms(f.Field, f.Message)
	}
	sort.Strings(parts)
	return "invalid job: " + strings.Join(parts, "; ")
}

// flagTerms names a field by its flag, and the field itself: "--every
// (schedule.every): ...".
func flagTerms(field, msg string) string {
	if flag, ok := flagOf[field]; ok {
		return fmt.Sprintf("%s (%s): %s", flag, field, msg)
	}
	return fileTerms(field, msg)
}

// fileTerms names a field as a definition file writes it: "schedule.every:
// ...".
func fileTerms(field, msg string) string { return field + ": " + msg }
