package authz_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/alert"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
)

// healthUnderTheSchedulersUser: the watchdog, under the scheduler's user,
// stores a failing job's health and appends its alert.
func healthUnderTheSchedulersUser(t *testing.T, ctx context.Context, cl *client.Client, sched func() string) {
	_, err := cl.CreateJob(ctx, job.Spec{Name: "broken", Schedule: job.Schedule{Every: job.Duration(time.Hour)},
		Task: job.Task{Kind: job.TaskCommand, Command: []string{"false"}}})
	require.NoError(t, err)
	_, err = cl.RunJob(ctx, "broken", nil, false)
	require.NoError(t, err)
	natstest.Eventually(t, 30*time.Second, func() bool {
		v, err := cl.GetJob(ctx, "broken")
		return err == nil && v.Health != nil && v.Health.Health == alert.Failing
	}, "the watchdog stores the job's health and its alert\nscheduler:\n%s", sched())
}
