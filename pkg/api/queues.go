package api

import "github.com/jetcron/jetcron/pkg/job"

// Verbs of the queue settings.
const (
	// VerbQueueSet stores a queue's settings (job.QueueSettings; the
	// answer is the settings stored).
	VerbQueueSet = "queue_set"
	// VerbQueueSettings lists the settings of every queue that has some
	// (QueueSettingsResponse).
	VerbQueueSettings = "queue_settings"
)

// QueueSettingsResponse lists queue settings, by queue name.
type QueueSettingsResponse struct {
	Queues []job.QueueSettings `json:"queues"`
}
