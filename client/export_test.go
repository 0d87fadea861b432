package client

import (
	"context"
	"io"
)

// FollowLogPeak follows like FollowLog with a buffer of max bytes, and
// returns the most bytes the buffer ever held.
func FollowLogPeak(ctx context.Context, c *Client, id string, w io.Writer, max int) (int, error) {
	q := newChunkQueue(max)
	err := c.followLog(ctx, id, w, q)
	return q.Peak(), err
}
