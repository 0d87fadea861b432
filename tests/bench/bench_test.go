package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
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

// TestQuickE2E runs a scaled-down burst with the Go handler and a steady
// rate of command tasks through the whole system.
func TestQuickE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("starts embedded servers and runs real executions for a few seconds")
	}
	t.Parallel()
	summary := filepath.Join(t.TempDir(), "summary.tsv")
	o, err := parseFlags([]string{"-quick", "-run", "e2e,steady-cmd", "-e2e-jobs", "50", "-steady-duration", "1s", "-dir", t.TempDir(), "-summary", summary}, io.Discard)
	require.NoError(t, err)

	rep, err := run(t.Context(), o, io.Discard)
	require.NoError(t, err)

	require.Len(t, rep.E2E, 2)
	burst, steady := rep.E2E[0], rep.E2E[1]
	require.Equal(t, 50, burst.Expected)
	require.Equal(t, o.SteadyRate*int(o.SteadyDuration/time.Second), steady.Expected)
	for _, e := range rep.E2E {
		require.Equal(t, e.Expected, e.Done, "%s: every execution ended", e.Phase)
		require.Zero(t, e.Failed, "%s: every execution succeeded", e.Phase)
		require.Positive(t, e.Rate, e.Phase)
		require.Equal(t, e.Done, e.Started.N, e.Phase)
		require.GreaterOrEqual(t, e.Started.P50, time.Duration(0), "%s: nothing starts before its slot", e.Phase)
		require.LessOrEqual(t, e.Started.P99, e.Final.Max, e.Phase)
	}
	require.Equal(t, burst.Done, burst.Handler.N, "the Go handler ran every execution")
	require.True(t, steady.Command)
	require.Zero(t, steady.Handler.N, "a command has no Go handler")

	require.NoError(t, rep.writeSummary(summary))
	data, err := os.ReadFile(summary)
	require.NoError(t, err)
	require.Contains(t, string(data), "e2e\trate\t")
	var out bytes.Buffer
	rep.print(&out)
	for _, want := range []string{"end to end", "Go no-op", "command true", "handler p50", "peak RSS"} {
		require.Contains(t, out.String(), want)
	}
}

func TestFlagsNameTheBadFlag(t *testing.T) {
	t.Parallel()
	for flagName, args := range map[string][]string{
		"-jobs":            {"-jobs", "0"},
		"-rate":            {"-rate", "-5"},
		"-duration":        {"-duration", "10ms"},
		"-setup":           {"-setup", "sql"},
		"-run":             {"-run", "fast"},
		"-lead":            {"-lead", "-1s"},
		"-flush-interval":  {"-flush-interval", "-1s"},
		"-concurrency":     {"-concurrency", "0"},
		"-e2e-jobs":        {"-e2e-jobs", "0"},
		"-steady-rate":     {"-steady-rate", "0"},
		"-steady-duration": {"-steady-duration", "1ms"},
		"-scale-jobs":      {"-scale-jobs", "0"},
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
	require.Equal(t, quantiles{N: 100, P50: 50 * time.Millisecond, P90: 90 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond}, q)
	require.Equal(t, quantiles{}, summarize(nil))
	require.Equal(t, "1,234,568", thousands(1234567.8))
}
