// Package clock is the time source of every long-running jetcron component.
//
// Nothing in the scheduler, the worker or the leader elector calls time.Now
// directly: each takes a Clock, so that tests drive time with a Fake and
// planning rules can be checked across years in milliseconds.
package clock

import (
	"time"
)

// Clock tells the time and makes timers.
type Clock interface {
	// Now returns the current time, with a monotonic reading when the
	// implementation has one.
	Now() time.Time
	// NewTimer returns a timer that fires once after d.
	NewTimer(d time.Duration) Timer
	// Since returns the time elapsed since t.
	Since(t time.Time) time.Duration
}

// Timer is a one-shot timer made by a Clock.
type Timer interface {
	// C delivers the time when the timer fires.
	C() <-chan time.Time
	// Stop prevents the timer from firing and reports whether it was active.
	Stop() bool
	// Reset changes the timer to fire after d and reports whether it was active.
	Reset(d time.Duration) bool
}

// Real is the wall clock.
type Real struct{}

// New returns the wall clock.
func New() Real { return Real{} }

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// Since returns time.Since(t), which uses the monotonic reading when t has one.
func (Real) Since(t time.Time) time.Duration { return time.Since(t) }

// NewTimer returns a time.Timer.
func (Real) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time        { return r.t.C }
func (r realTimer) Stop() bool                 { return r.t.Stop() }
func (r realTimer) Reset(d time.Duration) bool { return r.t.Reset(d) }

var _ Clock = Real{}
