package client_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/handler"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
)

// registry records the handlers registered in it, like a worker would hold
// them.
type registry struct {
	mu    sync.Mutex
	names []string
}

func (r *registry) Handle(name string, _ handler.Handler) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.names = append(r.names, name)
	return nil
}

// TestOnScheduleRefusesBeforeRegistering: a definition OnSchedule cannot
// run fails before anything is registered or sent. (The example in
// examples/refresh-token runs the whole path against a real scheduler.)
func TestOnScheduleRefusesBeforeRegistering(t *testing.T) {
	t.Parallel()
	nc := natstest.Connect(t, natstest.RunJetStream(t))
	noop := handler.HandlerFunc(func(context.Context, *handler.Run) error { return nil })
	every := job.Schedule{Every: job.Duration(time.Hour)}

	bare, err := client.New(nc)
	require.NoError(t, err)
	_, err = bare.OnSchedule(t.Context(), job.Spec{Name: "x", Schedule: every}, noop)
	require.ErrorIs(t, err, client.ErrNoHandlers)

	reg := &registry{}
	c, err := client.New(nc, client.WithHandlers(reg))
	require.NoError(t, err)
	for name, spec := range map[string]job.Spec{
		"command task": {Name: "x", Schedule: every, Task: job.Task{Kind: job.TaskCommand, Command: []string{"true"}}},
		"bad name":     {Name: "a.b", Schedule: every},
		"no schedule":  {Name: "x"},
	} {
		_, err := c.OnSchedule(t.Context(), spec, noop)
		require.ErrorIs(t, err, job.ErrInvalid, name)
	}
	_, err = c.OnSchedule(t.Context(), job.Spec{Name: "x", Schedule: every}, nil)
	require.Error(t, err)
	require.Empty(t, reg.names, "nothing was registered")

	_, err = client.New(nc, client.WithHandlers(nil))
	require.True(t, err != nil && !errors.Is(err, client.ErrNoHandlers))
}
