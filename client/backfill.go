package client

import (
	"context"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/backfill"
)

// Backfill runs the past slots of a job's window again (see
// api.BackfillRequest); with DryRun it only says which slots it would run
// and which it skips.
func (c *Client) Backfill(ctx context.Context, req api.BackfillRequest) (api.BackfillResponse, error) {
	var r api.BackfillResponse
	err := c.call(ctx, api.VerbJobBackfill, req, &r)
	return r, err
}

// CancelBackfill cancels a job's running backfill with ID id, or all of
// them when id is empty: no further slot starts and the runs in flight are
// cancelled.
func (c *Client) CancelBackfill(ctx context.Context, name, id, reason string) ([]backfill.Backfill, error) {
	var out []backfill.Backfill
	err := c.call(ctx, api.VerbJobBackfillCancel, api.BackfillCancelRequest{Name: name, ID: id, Reason: reason}, &out)
	return out, err
}

// Backfills lists a job's backfills, newest window first.
func (c *Client) Backfills(ctx context.Context, name string) ([]backfill.Backfill, error) {
	var out []backfill.Backfill
	err := c.call(ctx, api.VerbJobBackfills, api.BackfillsRequest{Name: name}, &out)
	return out, err
}
