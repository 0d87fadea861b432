package streamio_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/streamio"
)

func TestAskAgain(t *testing.T) {
	t.Parallel()
	errLost := errors.New("unanswered")
	lost := func(err error) bool { return errors.Is(err, errLost) }

	// Unanswered tries are sent again, each with its own bound.
	tries := 0
	v, err := streamio.AskAgain(t.Context(), lost, func(ctx context.Context) (int, error) {
		tries++
		dl, ok := ctx.Deadline()
		require.True(t, ok)
		require.LessOrEqual(t, time.Until(dl), streamio.TryTimeout)
		if tries < 3 {
			return 0, errLost
		}
		return 42, nil
	})
	require.NoError(t, err)
	require.Equal(t, 42, v)
	require.Equal(t, 3, tries)

	// Any other failure is the answer.
	tries = 0
	other := errors.New("refused")
	_, err = streamio.AskAgain(t.Context(), lost, func(context.Context) (int, error) { tries++; return 0, other })
	require.ErrorIs(t, err, other)
	require.Equal(t, 1, tries)

	// The caller's deadline ends it.
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err = streamio.AskAgain(ctx, lost, func(ctx context.Context) (int, error) {
		<-ctx.Done()
		return 0, errLost
	})
	require.ErrorIs(t, err, errLost)
	require.Error(t, ctx.Err())
}
