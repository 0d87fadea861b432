package main

import (
	"fmt"
	"slices"
	"time"
)

// quantiles summarises a sample of durations.
type quantiles struct {
	N                  int
	P50, P90, P99, Max time.Duration
}

// summarize returns the nearest-rank p50, p90 and p99 and the maximum of ds.
func summarize(ds []time.Duration) quantiles {
	if len(ds) == 0 {
		return quantiles{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := func(p float64) time.Duration {
		i := int(p*float64(len(s))+0.999999) - 1 // ceil(p*n) - 1
		return s[min(max(i, 0), len(s)-1)]
	}
	return quantiles{N: len(s), P50: rank(0.50), P90: rank(0.90), P99: rank(0.99), Max: s[len(s)-1]}
}

// secs formats a duration in seconds with two decimals.
func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

// ms formats a duration in milliseconds with one decimal.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}
