// Package web is jetcron's web role: a small web UI and an HTTP API over the
// Go client, served from the binary (assets embedded; `go build` is the only
// build step).
//
// # Routes
//
// Pages, each at a stable URL, are one HTML shell that app.js fills from the
// HTTP API: / (jobs), /jobs/NAME, /executions/ID and /workers. The HTTP API
// under /api/v1/ mirrors the NATS API (see docs/http-api.md); errors are the
// JSON of api.Error, naming the field at fault, with the status of the NATS
// API's code (400, 404, 409, 422, 503) or 401, 403, 405, 413, 415 for HTTP
// matters. /healthz, /readyz and /metrics are the probe endpoints.
//
// # Live updates
//
// One hub per server follows the events stream (client.Watch) from the
// stream's end at start, and for each event first updates the recent-runs
// cache (the per-job strip of the last 50 runs) and then fans the event out
// to the server-sent-event subscribers. Because the cache is updated first,
// a page that refetches on an event always sees that event's effect. A
// subscriber that asks for history (Last-Event-ID, from, since) gets its own
// watch instead. Job and workers lists are read fresh on each request; the
// recent-runs cache is filled per job on first use (client.Executions) and
// kept current by the hub, so listing jobs costs one NATS request however
// long their history.
//
// # Access
//
// The server binds 127.0.0.1 unless told otherwise; on a loopback address it
// also refuses requests whose Host is not a loopback name, which defeats DNS
// rebinding. With an auth token or a basic-auth file every route but
// /healthz, /readyz, /login and the static assets needs credentials: a
// bearer token, the session cookie the login page sets (HttpOnly,
// SameSite=Strict; its value is derived from the token, never the token
// itself) or basic auth. State-changing routes accept only non-safe methods
// (POST, PUT, DELETE) and pass net/http's CrossOriginProtection (Sec-Fetch-Site
// / Origin), and a request body must be application/json, which an HTML form
// cannot send. Pages are rendered with DOM text nodes only, under a Content
// Security Policy that allows scripts from the server alone, so job output
// (logs, names, labels, reasons) is always shown as text.
package web
