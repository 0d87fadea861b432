package client

import (
	"context"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/notify"
)

// CreateNotify creates a notification sink (or, WithUpdate, replaces it;
// WithDryRun only validates). An invalid definition fails with an error
// that matches job.ErrInvalid and names the field (api.Error.Field).
func (c *Client) CreateNotify(ctx context.Context, sink notify.Sink, opts ...CreateOption) (api.NotifyCreateResponse, error) {
	var jr api.CreateRequest
	for _, o := range opts {
		o(&jr)
	}
	var resp api.NotifyCreateResponse
	err := c.call(ctx, api.VerbNotifyCreate, api.NotifyCreateRequest{Sink: sink, Update: jr.Update, DryRun: jr.DryRun}, &resp)
	return resp, err
}

// GetNotify returns a sink with its last deliveries, newest first.
func (c *Client) GetNotify(ctx context.Context, name string) (api.NotifyView, error) {
	var v api.NotifyView
	err := c.call(ctx, api.VerbNotifyGet, api.NameRequest{Name: name}, &v)
	return v, err
}

// ListNotify returns every sink, by name.
func (c *Client) ListNotify(ctx context.Context) ([]api.NotifyView, error) {
	var out []api.NotifyView
	err := c.call(ctx, api.VerbNotifyList, struct{}{}, &out)
	return out, err
}

// DeleteNotify deletes a sink and its delivery records.
func (c *Client) DeleteNotify(ctx context.Context, name string) error {
	return c.call(ctx, api.VerbNotifyDelete, api.NameRequest{Name: name}, nil)
}

// TestNotify sends a test alert to a sink, once, and returns the attempt
// (its Status says whether the sink took it).
func (c *Client) TestNotify(ctx context.Context, name string) (notify.Delivery, error) {
	var r api.NotifyTestResponse
	err := c.call(ctx, api.VerbNotifyTest, api.NameRequest{Name: name}, &r)
	return r.Delivery, err
}
