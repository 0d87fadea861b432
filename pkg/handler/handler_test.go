package handler_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/handler"
	"github.com/jetcron/jetcron/pkg/job"
)

var errBusy = errors.New("busy")

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("refresh: %w", handler.RetryAfter(2*time.Second, errBusy))
	var ra *handler.RetryAfterError
	require.ErrorAs(t, err, &ra, "found through wrapping")
	require.Equal(t, 2*time.Second, ra.Delay)
	require.ErrorIs(t, err, errBusy, "the cause stays matchable")
	require.Equal(t, "refresh: retry after 2s: busy", err.Error())
	require.Equal(t, "retry after 1m0s", handler.RetryAfter(time.Minute, nil).Error())
}

func TestPermanent(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("refresh: %w", handler.Permanent(errBusy))
	var p *handler.PermanentError
	require.ErrorAs(t, err, &p)
	require.ErrorIs(t, err, errBusy)
	require.Equal(t, "refresh: permanent: busy", err.Error())
	require.Equal(t, "permanent failure", handler.Permanent(nil).Error())
}

func TestRunFollowUps(t *testing.T) {
	t.Parallel()
	h := handler.HandlerFunc(func(_ context.Context, run *handler.Run) error {
		run.FollowUp(job.FollowUp{Params: map[string]string{"page": "2"}})
		run.FollowUp(job.FollowUp{Job: "other", Delay: job.Duration(time.Minute)})
		return nil
	})
	run := &handler.Run{ID: "j-20260101T000000Z", Job: "j"}
	require.NoError(t, h.Run(t.Context(), run))
	require.Equal(t, []job.FollowUp{{Params: map[string]string{"page": "2"}}, {Job: "other", Delay: job.Duration(time.Minute)}}, run.FollowUps())
}
