// Package api is the contract of jetcron's request-reply API, shared by
// everything that calls it: the wire types, Call, and the errors an answer
// maps to. The service that answers runs in every scheduler replica (one
// queue group, so any replica answers any request); it lives in
// scheduler/internal/apiservice, and validation happens there, once:
// whatever reaches the jobs bucket through the API is valid.
//
// Endpoints are <ns>.api.v1.<verb>; requests and responses are JSON. An
// error is a micro service error whose code is an HTTP-like status (400 bad
// request, 404 not found, 409 conflict, 422 invalid definition, 500
// internal, 503 unavailable) and whose data is an Error.
package api
