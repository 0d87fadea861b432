// Package api is jetcron's request-reply API: the wire types, and the NATS
// micro service that every scheduler replica runs (one queue group, so any
// replica answers any request). Validation happens here, once: whatever
// reaches the jobs bucket through the API is valid.
//
// Endpoints are <ns>.api.v1.<verb>; requests and responses are JSON. An
// error is a micro service error whose code is an HTTP-like status (400 bad
// request, 404 not found, 409 conflict, 422 invalid definition, 500
// internal, 503 unavailable) and whose data is an Error.
package api
