package lifecycle

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestBaseStopBeforeStart(t *testing.T) {
	t.Parallel()
	var b Base
	require.NoError(t, b.Stop(t.Context()))
	require.NoError(t, b.Stop(t.Context()))
}

func TestBaseStartStopTwice(t *testing.T) {
	t.Parallel()
	var b Base
	started := make(chan struct{})
	require.NoError(t, b.Go(t.Context(), func(ctx context.Context) {
		close(started)
		<-ctx.Done()
	}))
	require.ErrorIs(t, b.Go(t.Context(), func(context.Context) {}), ErrAlreadyStarted)
	<-started
	require.NoError(t, b.Stop(t.Context()))
	require.NoError(t, b.Stop(t.Context()))
	require.NoError(t, b.Go(t.Context(), func(ctx context.Context) { <-ctx.Done() }))
	require.NoError(t, b.Stop(t.Context()))
}

func TestBaseStopTimesOut(t *testing.T) {
	t.Parallel()
	var b Base
	release := make(chan struct{})
	require.NoError(t, b.Go(t.Context(), func(context.Context) { <-release }))
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, b.Stop(ctx), context.DeadlineExceeded)
	close(release)
	require.NoError(t, b.Stop(t.Context()))
}

func TestBaseConcurrentStartStop(t *testing.T) {
	t.Parallel()
	var b Base
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_ = b.Go(t.Context(), func(ctx context.Context) { <-ctx.Done() })
		}()
		go func() {
			defer wg.Done()
			_ = b.Stop(t.Context())
		}()
	}
	wg.Wait()
	require.NoError(t, b.Stop(t.Context()))
}

type fakeService struct {
	name     string
	startErr error
	log      *[]string
}

func (f fakeService) Start(context.Context) error {
	*f.log = append(*f.log, "start "+f.name)
	return f.startErr
}

func (f fakeService) Stop(context.Context) error {
	*f.log = append(*f.log, "stop "+f.name)
	return nil
}

func TestStartAllRollsBack(t *testing.T) {
	t.Parallel()
	var log []string
	boom := errors.New("boom")
	err := StartAll(t.Context(), fakeService{"a", nil, &log}, fakeService{"b", nil, &log}, fakeService{"c", boom, &log})
	require.ErrorIs(t, err, boom)
	require.Equal(t, []string{"start a", "start b", "start c", "stop b", "stop a"}, log)
}
