package schedule

import (
	"fmt"
	"math"
	"math/big"
	"strings"
	"time"
)

// Every fires at Anchor + k*Interval for every integer k, positive or
// negative. The zero Anchor means the Unix epoch, so Every{Interval: 5 *
// time.Minute} fires at :00, :05, :10, ... UTC. Every ignores time zones
// and DST: it counts elapsed time. An Interval <= 0 never fires; the job
// API additionally requires Interval >= MinEvery.
type Every struct {
	// Interval is the time between fire instants.
	Interval time.Duration
	// Anchor is one fire instant; the zero Time means the Unix epoch.
	Anchor time.Time
}

// fastLimit bounds the operands of Every.Next's int64 fast path so that
// no intermediate value can overflow.
const fastLimit = 1 << 62

// Next returns the smallest Anchor + k*Interval strictly after t, in t's
// location, or the zero Time when Interval <= 0 or the result is not
// representable.
func (e Every) Next(t time.Time) time.Time {
	iv := int64(e.Interval)
	if iv <= 0 {
		return time.Time{}
	}
	a := e.Anchor
	if a.IsZero() {
		a = time.Unix(0, 0)
	}
	ts, as := t.Unix(), a.Unix()
	ds := ts - as // cannot overflow when both are below 2^62 in magnitude
	dns := int64(t.Nanosecond() - a.Nanosecond())
	if abs(ts) < fastLimit && abs(as) < fastLimit && abs(ds) < 1<<32 && iv < fastLimit {
		d := ds*int64(time.Second) + dns // |d| < 2^62
		rem := d % iv
		if rem < 0 {
			rem += iv
		}
		return a.Add(time.Duration(d + iv - rem)).In(t.Location())
	}
	return everyNextBig(a, t, iv)
}

// everyNextBig is Every.Next for instants more than ~136 years apart from
// the anchor, computed exactly with big integers.
func everyNextBig(a, t time.Time, iv int64) time.Time {
	nano := big.NewInt(int64(time.Second))
	d := new(big.Int).Sub(big.NewInt(t.Unix()), big.NewInt(a.Unix()))
	d.Mul(d, nano)
	d.Add(d, big.NewInt(int64(t.Nanosecond()-a.Nanosecond())))
	k := new(big.Int).Div(d, big.NewInt(iv)) // Euclidean: floor for iv > 0
	k.Add(k, big.NewInt(1))
	off := k.Mul(k, big.NewInt(iv))
	secs, ns := new(big.Int).DivMod(off, nano, new(big.Int))
	secs.Add(secs, big.NewInt(a.Unix()))
	if !secs.IsInt64() {
		return time.Time{}
	}
	return time.Unix(secs.Int64(), int64(a.Nanosecond())+ns.Int64()).In(t.Location())
}

// abs returns the magnitude of n, saturating at math.MaxInt64.
func abs(n int64) int64 {
	switch {
	case n == math.MinInt64:
		return math.MaxInt64
	case n < 0:
		return -n
	}
	return n
}

// Describe returns a short English phrase such as "every 5 minutes",
// "every 2 seconds" or "every 1h30m", or "never" when Interval <= 0.
func (e Every) Describe() string {
	iv := e.Interval
	switch {
	case iv <= 0:
		return "never"
	case iv%time.Hour == 0:
		return countPhrase(int64(iv/time.Hour), "hour")
	case iv < time.Hour && iv%time.Minute == 0:
		return countPhrase(int64(iv/time.Minute), "minute")
	case iv < time.Minute && iv%time.Second == 0:
		return countPhrase(int64(iv/time.Second), "second")
	}
	return "every " + FormatDuration(iv)
}

// countPhrase returns "every unit" for n == 1 and "every n units" otherwise.
func countPhrase(n int64, unit string) string {
	if n == 1 {
		return "every " + unit
	}
	return fmt.Sprintf("every %d %ss", n, unit)
}

// FormatDuration formats d like time.Duration.String without trailing zero
// units: 1h30m0s becomes 1h30m, 5m0s becomes 5m; 2s and 1.5s stay as they are.
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

var _ Schedule = Every{}
