package client

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"
)

func liveChunk(attempt int, off int64, data string, eof bool) *nats.Msg {
	m := nats.NewMsg("log")
	m.Data = []byte(data)
	m.Header.Set(headerAttempt, strconv.Itoa(attempt))
	m.Header.Set(headerOffset, strconv.FormatInt(off, 10))
	if eof {
		m.Header.Set(headerEOF, "true")
	}
	return m
}

// A follower whose writer fell behind so far that the chunks carrying the
// end of the output were dropped, and only the (empty) end-of-output
// chunk got through, does not take that chunk for the end it printed: it
// stays lossy, and finish prints the tail from the stored log. Before, it
// skipped to the end and printed nothing of it (a flaky
// TestSlowFollowerStaysBounded: "the end of the output is printed").
func TestFollowerEndAfterAGap(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	f := follower{w: &out, attempt: 1}
	require.NoError(t, f.chunk(t.Context(), liveChunk(1, 0, "start\n", false)))
	f.lossy = true // chunks from offset 6 to 9000 were dropped
	require.NoError(t, f.chunk(t.Context(), liveChunk(1, 9000, "", true)))
	require.False(t, f.eof, "the end was not printed")
	require.True(t, f.lossy, "the gap is still to skip, from the stored log")
	require.Equal(t, int64(6), f.offset)
	require.Equal(t, "start\n", out.String())

	// Without a gap, the end-of-output chunk ends the attempt's output.
	out.Reset()
	g := follower{w: &out, attempt: 1}
	require.NoError(t, g.chunk(t.Context(), liveChunk(1, 0, "start\n", false)))
	require.NoError(t, g.chunk(t.Context(), liveChunk(1, 6, "done\n", true)))
	require.True(t, g.eof)
	require.Equal(t, "start\ndone\n", out.String())
}
