package scheduler

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/event"
)

func TestFinalKindsAreTheFinalKinds(t *testing.T) {
	t.Parallel()
	kinds := []event.Kind{
		event.Scheduled, event.Delayed, event.Started, event.Retrying, event.Succeeded, event.Failed, event.TimedOut,
		event.Cancelled, event.Skipped, event.Missed, event.Abandoned, event.Superseded, event.Rejected, event.FollowUp,
	}
	var final []event.Kind
	for _, k := range kinds {
		if k.Final() {
			final = append(final, k)
		}
	}
	require.ElementsMatch(t, final, finalKinds)
}
