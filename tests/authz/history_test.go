package authz_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/backfill"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
)

// historyAndBackfill: the API, under the scheduler's user, writes and reads
// the history stream and the backfills bucket, and the leader drives a
// backfill.
func historyAndBackfill(t *testing.T, ctx context.Context, cl *client.Client, sched func() string) {
	from := time.Now().Add(-time.Second)
	_, err := cl.CreateJob(ctx, job.Spec{Name: "hist", Schedule: job.Schedule{Every: job.Duration(time.Second)},
		Task: job.Task{Kind: job.TaskCommand, Command: []string{"true"}}}, client.WithReason("first"))
	require.NoError(t, err)
	_, err = cl.DisableJob(ctx, "hist", "paused")
	require.NoError(t, err)
	h, err := cl.JobHistory(ctx, "hist")
	require.NoError(t, err)
	require.Len(t, h.Revisions, 2)
	require.Equal(t, "first", h.Revisions[0].Reason)
	require.Equal(t, roleWeb, h.Revisions[0].By, "the web user's connection declares its NATS user")
	time.Sleep(2 * time.Second) // paused slots
	resp, err := cl.Backfill(ctx, api.BackfillRequest{Name: "hist", From: from, To: time.Now(), MaxParallel: 1})
	require.NoError(t, err)
	require.NotNil(t, resp.Backfill, "%+v", resp.Selection)
	natstest.Eventually(t, 30*time.Second, func() bool {
		bs, err := cl.Backfills(ctx, "hist")
		return err == nil && len(bs) == 1 && bs[0].State == backfill.StateDone
	}, "the backfill ends\nscheduler:\n%s", sched())
}
