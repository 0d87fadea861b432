package tracing_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/tracing"
)

func TestTraceparentRoundTrip(t *testing.T) {
	sc := tracing.SlotContext("jetcron", "nightly-20261204T020000Z")
	v := tracing.Traceparent(sc)
	require.Regexp(t, `^00-[0-9a-f]{32}-[0-9a-f]{16}-01$`, v)
	back, ok := tracing.ParseTraceparent(v)
	require.True(t, ok)
	require.Equal(t, sc.TraceID(), back.TraceID())
	require.Equal(t, sc.SpanID(), back.SpanID())
	require.True(t, back.IsSampled())
}

func TestParseTraceparentRefusesOthers(t *testing.T) {
	for _, v := range []string{
		"",
		"01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", // unknown version
		"00-00000000000000000000000000000000-b7ad6b7169203331-01", // zero trace
		"00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01", // zero span
		"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-02", // unknown flags
		"00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01", // upper case
		"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",
	} {
		_, ok := tracing.ParseTraceparent(v)
		require.False(t, ok, v)
	}
}

func TestIDsAreDerived(t *testing.T) {
	a, b := tracing.TraceID("jetcron", "x-20261204T020000Z"), tracing.TraceID("jetcron", "x-20261204T020000Z")
	require.Equal(t, a, b, "every process derives the same trace")
	require.NotEqual(t, a, tracing.TraceID("other", "x-20261204T020000Z"), "namespaces do not share traces")
	require.NotEqual(t, tracing.AttemptSpanID(a, "x-20261204T020000Z", 1), tracing.AttemptSpanID(a, "x-20261204T020000Z", 2))
}
