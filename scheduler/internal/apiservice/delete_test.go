package apiservice_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
)

// TestConcurrentDeletesOfOneJob: a client's retries of one delete,
// buffered while NATS was away, arrive together (chaos seed 3071168643).
// One deletes the job; every other is answered not found — the job is
// gone, as asked — never a conflict, which told the client the job was
// still there.
func TestConcurrentDeletesOfOneJob(t *testing.T) {
	t.Parallel()
	env := serve(t)
	names := env.Topo.Names()
	ctx := t.Context()
	const jobs, tries = 10, 8
	for i := range jobs {
		createJob(t, env, fmt.Sprintf("d-%d", i))
	}
	for i := range jobs {
		name := fmt.Sprintf("d-%d", i)
		errs := make([]error, tries)
		var wg sync.WaitGroup
		for k := range tries {
			wg.Go(func() { errs[k] = api.Call(ctx, env.NC, names, api.VerbJobDelete, api.DeleteRequest{Name: name}, nil) })
		}
		wg.Wait()
		deleted := 0
		for _, err := range errs {
			switch {
			case err == nil:
				deleted++
			case errors.Is(err, job.ErrNotFound):
			default:
				t.Fatalf("delete %s: %v (want success or not found)", name, err)
			}
		}
		require.Equal(t, 1, deleted, name)
	}
}
