package failure_test

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/natstest"
)

// TestDevKill runs `jetcron dev` (one process: embedded NATS with fsync
// before every acknowledgement, scheduler, workers), kills it with kill -9
// after many fires, and starts it again on the same data: every job is
// still there, firing resumes, nothing acknowledged is lost and no slot
// fires twice (issue 2, RELIABILITY T19).
func TestDevKill(t *testing.T) {
	jobs, fires := pick(10, 50), pick(100, 1000)
	s, dev, _ := startDev(t, "--workers", "8")

	w := watchPIDs(s.sink)
	defer w.close()
	s.createJobs("tick", jobs, time.Second, 10*time.Millisecond)
	from := time.Now().Add(time.Second)
	scheduled := func() int { return count(s.events(), event.Scheduled) }
	natstest.Eventually(t, 5*time.Minute, func() bool { return scheduled() >= fires }, "%d fires", fires)
	before := scheduled()
	killedAt := time.Now()
	dev.signal(syscall.SIGKILL)
	require.True(t, dev.wait(10*time.Second))
	pace(2 * time.Second) // down for a while: slots are missed and caught up
	dev.start()
	var resumed time.Time
	natstest.Eventually(t, 60*time.Second, func() bool {
		for _, e := range s.events() {
			if e.Kind == event.Scheduled && e.Time.After(killedAt) {
				resumed = e.Time
				return true
			}
		}
		return false
	}, "firing resumes after the restart\n%s", dev.tail(3000))
	list, err := s.client.ListJobs(t.Context(), api.ListRequest{})
	require.NoError(t, err)
	require.Len(t, list, jobs, "every job definition survives")
	pace(pick(5*time.Second, 10*time.Second))
	s.stopFiring()
	r := s.check(fmt.Sprintf("jetcron dev kill -9 after %d fires, %d jobs every 1s", before, jobs), from, w)
	r.figure("fires before the kill", "%d", before)
	r.figure("restart to the first fire", "%s (including the process start)", resumed.Sub(killedAt).Round(time.Millisecond))
	r.figure("job definitions after the restart", "%d of %d", len(list), jobs)
	r.require(t)
}
