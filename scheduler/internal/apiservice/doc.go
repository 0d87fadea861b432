// Package apiservice answers jetcron's request-reply API: the NATS micro
// service that every scheduler replica runs (one queue group, so any
// replica answers any request). Validation happens here, once: whatever
// reaches the jobs bucket through the API is valid.
//
// The wire types, Call and the error mapping are the contract clients
// share, in pkg/api; this package is the only place that answers it, and
// only the scheduler starts it.
package apiservice
