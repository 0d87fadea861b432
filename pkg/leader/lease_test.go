package leader_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/natstest"
)

// A holder whose process was paused for a whole lease (SIGSTOP, a long GC, a
// frozen VM) wakes with an invalid lease, before it has talked to anybody:
// the fence needs no answer from NATS. It then gives leadership up without
// writing: no late renewal and no resignation.
func TestLeaseFencesPausedHolderWithoutAnAnswer(t *testing.T) {
	t.Parallel()
	const ttl = 30 * time.Second
	b := setup(t, ttl)
	clk := newCountingClock()
	a, la := b.lead(t, "a", candidateOptions{clock: clk})
	waitArmed(t, clk, 1) // the renewal timer

	made := clk.made.Load()
	clk.Advance(ttl - ttl/10) // the pause: every timer is overdue at once
	require.False(t, la.Valid())
	require.Equal(t, time.Duration(0), la.Remaining())

	require.Equal(t, la.Term(), a.waitEnded(t, 10*time.Second))
	natstest.Eventually(t, 10*time.Second, func() bool { return clk.made.Load() > made }, "a returns to campaigning")
	require.Nil(t, a.el.Leading())
	e := b.entry(t)
	require.NotNil(t, e, "the fenced holder deleted the key")
	require.Equal(t, la.Term(), e.Revision(), "the fenced holder wrote to the key")
	// The record stays until the server expires it: followers wait for that.
	require.Equal(t, "a", b.holder(t))
}
