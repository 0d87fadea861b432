package api

import (
	"github.com/jetcron/jetcron/pkg/notify"
)

// Verbs of notification sinks (package notify).
const (
	VerbNotifyCreate = "notify_create"
	VerbNotifyGet    = "notify_get"
	VerbNotifyList   = "notify_list"
	VerbNotifyDelete = "notify_delete"
	VerbNotifyTest   = "notify_test"
)

// NotifyCreateRequest creates a sink, or replaces it when Update is set.
type NotifyCreateRequest struct {
	Sink   notify.Sink `json:"sink"`
	Update bool        `json:"update,omitempty"`
	// DryRun validates and reports what would change without writing.
	DryRun bool `json:"dry_run,omitempty"`
}

// NotifyCreateResponse reports the stored sink and what happened.
type NotifyCreateResponse struct {
	Sink NotifyView `json:"sink"`
	// Result is "created", "updated" or "unchanged".
	Result string `json:"result"`
	// Changes lists the fields that changed on update.
	Changes []string `json:"changes,omitempty"`
}

// NotifyView is a sink as the API shows it.
type NotifyView struct {
	notify.Sink
	// Kind is webhook, slack or nats (JSON "type": a file's "kind" names
	// the document's kind, Notify).
	Kind string `json:"type"`
	// Revision is the definition's revision in the notify bucket.
	Revision uint64 `json:"revision"`
	// Deliveries are the last delivery attempts, newest first (notify_get
	// only).
	Deliveries []notify.Delivery `json:"deliveries,omitempty"`
}

// NotifyTestResponse is the outcome of one attempt to send a test alert.
type NotifyTestResponse struct {
	Delivery notify.Delivery `json:"delivery"`
}
