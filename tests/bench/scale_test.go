package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestMain lets this test binary play the scale phase's scheduler
// process, as the bench binary does (scalechild.go).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == childCommand {
		if err := runChild(os.Args[2:], os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, childCommand+":", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestQuickScale runs the scale phase with a few hundred jobs: two
// scheduler processes in turn plan every job, and the API answers.
func TestQuickScale(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded server and two scheduler processes")
	}
	t.Parallel()
	o, err := parseFlags([]string{"-run", "scale", "-scale-jobs", "300", "-scale-idle", "1s", "-dir", t.TempDir()}, io.Discard)
	require.NoError(t, err)
	rep, err := run(t.Context(), o, io.Discard)
	require.NoError(t, err)
	s := rep.Scale
	require.NotNil(t, s)
	require.Equal(t, 300, s.Jobs)
	for _, f := range []childFigures{s.First, s.Takeover} {
		require.Positive(t, f.Planned)
		require.GreaterOrEqual(t, f.Planned, f.Leading)
		require.Positive(t, f.HeapAlloc)
	}
	require.Equal(t, 200, s.Get.N)
	require.Equal(t, 20, s.Page.N)
	require.Empty(t, s.ListAllErr)
	require.Equal(t, 300, s.ListAllCount)
	require.Equal(t, time.Second, s.IdleWindow)
	require.Positive(t, s.IdleRSS)

	var out bytes.Buffer
	rep.print(&out)
	require.Contains(t, out.String(), "300 jobs in one scheduler")
	require.Contains(t, out.String(), "takeover")
}

// TestQuickScaleRunOnce: with -scale-run-once every job runs once before
// the first scheduler is measured again, and the second is measured after
// it has led for the idle window.
func TestQuickScaleRunOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded server, a worker and two scheduler processes")
	}
	t.Parallel()
	o, err := parseFlags([]string{"-run", "scale", "-scale-jobs", "300", "-scale-idle", "1s", "-scale-run-once", "-dir", t.TempDir()}, io.Discard)
	require.NoError(t, err)
	rep, err := run(t.Context(), o, io.Discard)
	require.NoError(t, err)
	s := rep.Scale
	require.NotNil(t, s)
	require.Positive(t, s.Runs)
	require.Equal(t, "report", s.Ran.Step)
	require.Positive(t, s.Ran.HeapAlloc)
	require.Equal(t, "report", s.Settled.Step)
	require.Positive(t, s.Settled.RSS)

	var out bytes.Buffer
	rep.print(&out)
	require.Contains(t, out.String(), "every job ran once")
	require.Contains(t, out.String(), "takeover, after leading")
}
