package client

import (
	"context"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
)

// SetQueue stores a queue's settings: MaxRunning caps the queue's
// executions waiting for a worker or running, across all workers (0
// removes the cap). Runs over the cap wait, recorded delayed.
func (c *Client) SetQueue(ctx context.Context, qs job.QueueSettings) (job.QueueSettings, error) {
	var out job.QueueSettings
	err := c.call(ctx, api.VerbQueueSet, qs, &out)
	return out, err
}

// QueueSettings returns the settings of every queue that has some.
func (c *Client) QueueSettings(ctx context.Context) ([]job.QueueSettings, error) {
	var out api.QueueSettingsResponse
	err := c.call(ctx, api.VerbQueueSettings, struct{}{}, &out)
	return out.Queues, err
}
