package clock

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestFakeTimerFiresOnAdvance(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := NewFake(t0)
	tm := f.NewTimer(time.Second)
	select {
	case <-tm.C():
		t.Fatal("fired early")
	default:
	}
	f.Advance(999 * time.Millisecond)
	select {
	case <-tm.C():
		t.Fatal("fired early")
	default:
	}
	f.Advance(time.Millisecond)
	require.Equal(t, t0.Add(time.Second), <-tm.C())
	require.Equal(t, 0, f.Timers())
}

func TestFakeTimerStopAndReset(t *testing.T) {
	t.Parallel()
	f := NewFake(time.Unix(0, 0))
	tm := f.NewTimer(time.Second)
	require.True(t, tm.Stop())
	f.Advance(2 * time.Second)
	select {
	case <-tm.C():
		t.Fatal("stopped timer fired")
	default:
	}
	require.False(t, tm.Reset(time.Second))
	f.Advance(time.Second)
	<-tm.C()
}

func TestFakeBlockUntil(t *testing.T) {
	t.Parallel()
	f := NewFake(time.Unix(0, 0))
	done := make(chan struct{})
	go func() {
		f.BlockUntil(1)
		close(done)
	}()
	f.NewTimer(time.Minute)
	<-done
}
