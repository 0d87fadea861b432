package main

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestQuick runs the -quick benchmark end to end so that the command cannot
// rot: every phase measures real figures from a real server.
func TestQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("starts embedded servers and fires real slots for a few seconds")
	}
	t.Parallel()
	o, err := parseFlags([]string{"-quick", "-run", "batch,nobatch,lateness", "-dir", t.TempDir()}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, 300, o.Jobs)

	rep, err := run(t.Context(), o, io.Discard)
	require.NoError(t, err)

	require.Len(t, rep.Dispatch, 2)
	for _, d := range rep.Dispatch {
		require.Equal(t, o.Jobs, d.Jobs)
		require.Positive(t, d.Rate, "slots per second")
		require.GreaterOrEqual(t, d.First, time.Duration(0), "no item is stored before its slot")
		require.GreaterOrEqual(t, d.All, d.First)
	}
	require.False(t, rep.Dispatch[0].NoBatch)
	require.True(t, rep.Dispatch[1].NoBatch)

	require.Len(t, rep.Lateness, 1)
	l := rep.Lateness[0]
	require.Equal(t, o.Rate*int(o.Duration/time.Second), l.Expected, "slots in the window")
	require.Zero(t, l.Missing, "every slot of the window fired")
	require.Equal(t, l.Expected, l.Stored.N)
	require.Equal(t, l.Expected, l.Woke.N)
	require.GreaterOrEqual(t, l.Stored.P50, time.Duration(0), "no slot fires early")
	require.LessOrEqual(t, l.Stored.P50, l.Stored.P99)
	require.LessOrEqual(t, l.Stored.P99, l.Stored.Max)

	var out bytes.Buffer
	rep.print(&out)
	for _, want := range []string{"go run ./tests/bench -quick", "slots/s", "atomic batches", "one by one", "p99", "nats-server"} {
		require.Contains(t, out.String(), want)
	}
}

func TestFlagsNameTheBadFlag(t *testing.T) {
	t.Parallel()
	for flagName, args := range map[string][]string{
		"-jobs":           {"-jobs", "0"},
		"-rate":           {"-rate", "-5"},
		"-duration":       {"-duration", "10ms"},
		"-setup":          {"-setup", "sql"},
		"-run":            {"-run", "fast"},
		"-lead":           {"-lead", "-1s"},
		"-flush-interval": {"-flush-interval", "-1s"},
	} {
		_, err := parseFlags(args, io.Discard)
		require.ErrorContains(t, err, flagName, "flags %v", args)
	}
	_, err := parseFlags([]string{"extra"}, io.Discard)
	require.ErrorContains(t, err, "unexpected argument")
}

func TestQuickKeepsExplicitFlags(t *testing.T) {
	t.Parallel()
	o, err := parseFlags([]string{"-jobs", "50", "-quick"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, 50, o.Jobs, "an explicit -jobs wins over -quick")
	require.Equal(t, 100, o.Rate)
	require.Equal(t, []string{phaseBatch, phaseNoBatch, phaseLateness}, o.Phases)
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	q := summarize(ds)
	require.Equal(t, quantiles{N: 100, P50: 50 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond}, q)
	require.Equal(t, quantiles{}, summarize(nil))
	require.Equal(t, "1,234,568", thousands(1234567.8))
}
