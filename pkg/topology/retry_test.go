package topology

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
)

// TestRetry: a request the server failed internally is asked again a few
// times, a refusal is not, and a failure that lasts is returned.
func TestRetry(t *testing.T) {
	t.Parallel()
	storeFailed := &jetstream.APIError{Code: 500, ErrorCode: 10049, Description: "error creating store for stream"}
	refused := &jetstream.APIError{Code: 400, ErrorCode: 10058, Description: "stream name already in use with a different configuration"}

	calls := 0
	err := retry(t.Context(), func(context.Context) error {
		calls++
		if calls < 3 {
			return fmt.Errorf("ensure bucket x: %w", storeFailed)
		}
		return nil
	})
	require.NoError(t, err, "a passing failure of the server is asked again")
	require.Equal(t, 3, calls)

	calls = 0
	err = retry(t.Context(), func(context.Context) error { calls++; return storeFailed })
	require.ErrorIs(t, err, storeFailed, "a failure that lasts is returned")
	require.Equal(t, 1+serverFailures, calls)

	calls = 0
	err = retry(t.Context(), func(context.Context) error { calls++; return refused })
	require.ErrorIs(t, err, refused)
	require.Equal(t, 1, calls, "a refusal is not asked again")

	calls = 0
	err = retry(t.Context(), func(context.Context) error { calls++; return errors.New("broken") })
	require.EqualError(t, err, "broken")
	require.Equal(t, 1, calls)
}
