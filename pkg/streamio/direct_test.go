package streamio_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/streamio"
)

// readFixture is a stream with known messages:
//
//	seq 1 <s>.a.1 "1"  X-K: 1
//	seq 2 <s>.b.1 "2"
//	seq 3 <s>.a.2 "3"
//	seq 4 <s>.a.1 "4"  X-K: 4
//	seq 5 <s>.b.2 "5"
type readFixture struct {
	*bundle
	stream   string
	noDirect string // a stream without direct gets
	before   time.Time
	after    time.Time
}

var fixtureSubjects = []string{"a.1", "b.1", "a.2", "a.1", "b.2"}

func setupRead(t *testing.T) *readFixture {
	t.Helper()
	b := setup(t)
	f := &readFixture{bundle: b, stream: b.stream(t, streamOptions{}), noDirect: b.stream(t, streamOptions{noDirect: true})}
	f.before = time.Now()
	for i, s := range fixtureSubjects {
		m := nats.NewMsg(f.stream + "." + s)
		m.Data = []byte(strconv.Itoa(i + 1))
		if s == "a.1" {
			m.Header.Set("X-K", strconv.Itoa(i+1))
		}
		_, err := b.js.PublishMsg(t.Context(), m)
		require.NoError(t, err)
	}
	_, err := b.js.Publish(t.Context(), f.noDirect+".a.1", []byte("x"))
	require.NoError(t, err)
	f.after = time.Now()
	return f
}

// check verifies that m is the fixture's message seq.
func (f *readFixture) check(t *testing.T, seq uint64, m streamio.Msg) {
	t.Helper()
	require.Equal(t, seq, m.Seq)
	require.Equal(t, f.stream+"."+fixtureSubjects[seq-1], m.Subject)
	require.Equal(t, strconv.FormatUint(seq, 10), string(m.Data))
	require.WithinRange(t, m.Time, f.before.Add(-time.Second), f.after.Add(time.Second))
	if fixtureSubjects[seq-1] == "a.1" {
		require.Equal(t, strconv.FormatUint(seq, 10), m.Header.Get("X-K"), "the message's own header")
	}
}

// checkFound verifies a read's answer: the fixture's message seq, or none
// when seq is 0.
func (f *readFixture) checkFound(t *testing.T, seq uint64, m streamio.Msg, ok bool, err error) {
	t.Helper()
	require.NoError(t, err)
	if seq == 0 {
		require.False(t, ok)
		return
	}
	require.True(t, ok)
	f.check(t, seq, m)
}

func TestDirectBatch(t *testing.T) {
	t.Parallel()
	f := setupRead(t)
	tests := []struct {
		name    string
		req     streamio.DirectRequest // Stream defaults to the fixture's
		want    []uint64
		wantErr error
	}{
		{name: "Wildcard", req: streamio.DirectRequest{Filter: f.stream + ".a.>", Batch: 10}, want: []uint64{1, 3, 4}},
		{name: "Subject", req: streamio.DirectRequest{Filter: f.stream + ".a.1", Batch: 10}, want: []uint64{1, 4}},
		{name: "FromSeq", req: streamio.DirectRequest{Filter: f.stream + ".a.>", Seq: 2, Batch: 10}, want: []uint64{3, 4}},
		{name: "BatchLimit", req: streamio.DirectRequest{Filter: f.stream + ".>", Batch: 2}, want: []uint64{1, 2}},
		{name: "NoFilter", req: streamio.DirectRequest{Seq: 4, Batch: 10}, want: []uint64{4, 5}},
		{name: "BatchDefaultsToOne", req: streamio.DirectRequest{Filter: f.stream + ".b.>"}, want: []uint64{2}},
		{name: "NoMatch", req: streamio.DirectRequest{Filter: f.stream + ".none", Batch: 10}},
		{name: "PastTheEnd", req: streamio.DirectRequest{Filter: f.stream + ".>", Seq: 6, Batch: 10}},
		{name: "NoSuchStream", req: streamio.DirectRequest{Stream: "nosuchstream", Batch: 10}, wantErr: nats.ErrNoResponders},
		{name: "NoDirectGets", req: streamio.DirectRequest{Stream: f.noDirect, Batch: 10}, wantErr: nats.ErrNoResponders},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := tt.req
			if req.Stream == "" {
				req.Stream = f.stream
			}
			msgs, err := streamio.DirectBatch(t.Context(), f.nc, req)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				require.Empty(t, msgs)
				return
			}
			require.NoError(t, err)
			require.Len(t, msgs, len(tt.want))
			for i, seq := range tt.want {
				f.check(t, seq, msgs[i])
			}
		})
	}
}

// TestDirectLastFor: the last message of each subject asked about, in
// sequence order, in one answer; and an answer cut short by its byte limit
// says so, and asking again for the rest completes it.
func TestDirectLastFor(t *testing.T) {
	t.Parallel()
	f := setupRead(t)
	ctx := t.Context()
	req := streamio.DirectRequest{Stream: f.stream}
	msgs, complete, err := streamio.DirectLastFor(ctx, f.nc, req, []string{f.stream + ".b.2", f.stream + ".a.1", f.stream + ".none", f.stream + ".a.2"})
	require.NoError(t, err)
	require.True(t, complete)
	require.Len(t, msgs, 3)
	for i, seq := range []uint64{3, 4, 5} {
		f.check(t, seq, msgs[i])
	}
	msgs, complete, err = streamio.DirectLastFor(ctx, f.nc, req, []string{f.stream + ".none"})
	require.NoError(t, err)
	require.True(t, complete)
	require.Empty(t, msgs)
	_, _, err = streamio.DirectLastFor(ctx, f.nc, req, make([]string, streamio.MaxLastFor+1))
	require.Error(t, err)

	// Five values of 400 KiB, at most 1 MiB an answer: three, then two.
	var subjects []string
	for i := range 5 {
		subj := f.stream + ".big." + strconv.Itoa(i)
		_, err := f.js.Publish(ctx, subj, make([]byte, 400<<10))
		require.NoError(t, err)
		subjects = append(subjects, subj)
	}
	req.MaxBytes = 1 << 20
	var sizes []int
	got := map[string]bool{}
	for len(subjects) > 0 {
		require.Less(t, len(sizes), 5, "each answer carries at least one")
		msgs, complete, err := streamio.DirectLastFor(ctx, f.nc, req, subjects)
		require.NoError(t, err)
		for _, m := range msgs {
			got[m.Subject] = true
		}
		sizes = append(sizes, len(msgs))
		subjects = slices.DeleteFunc(subjects, func(s string) bool { return got[s] })
		require.Equal(t, len(subjects) == 0, complete)
	}
	require.Equal(t, []int{3, 2}, sizes)
}

// DirectLast and LastFromLeader answer the same question, from any replica
// and from the stream's leader.
func TestLastBySubject(t *testing.T) {
	t.Parallel()
	f := setupRead(t)
	type lastFunc func(t *testing.T, stream, subject string) (streamio.Msg, bool, error)
	funcs := map[string]lastFunc{
		"DirectLast": func(t *testing.T, stream, subject string) (streamio.Msg, bool, error) {
			return streamio.DirectLast(t.Context(), f.nc, stream, subject)
		},
		"LastFromLeader": func(t *testing.T, stream, subject string) (streamio.Msg, bool, error) {
			return streamio.LastFromLeader(t.Context(), f.nc, stream, subject)
		},
	}
	tests := []struct {
		name    string
		subject string // appended to "<stream>."
		want    uint64 // 0: none
	}{
		{name: "Subject", subject: "a.1", want: 4},
		{name: "OtherSubject", subject: "a.2", want: 3},
		{name: "Wildcard", subject: "b.*", want: 5},
		{name: "FullWildcard", subject: "a.>", want: 4},
		{name: "NoMessage", subject: "none"},
	}
	for fn, last := range funcs {
		for _, tt := range tests {
			t.Run(fn+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				m, ok, err := last(t, f.stream, f.stream+"."+tt.subject)
				f.checkFound(t, tt.want, m, ok, err)
			})
		}
	}
	t.Run("DirectLast/NoSuchStream", func(t *testing.T) {
		t.Parallel()
		_, ok, err := streamio.DirectLast(t.Context(), f.nc, "nosuchstream", "x")
		require.ErrorIs(t, err, nats.ErrNoResponders)
		require.False(t, ok)
	})
	t.Run("LastFromLeader/NoSuchStream", func(t *testing.T) {
		t.Parallel()
		// A missing stream (a wrong namespace, a bucket not made yet) is
		// an error, not "no message": a job must not read as not found.
		_, ok, err := streamio.LastFromLeader(t.Context(), f.nc, "nosuchstream", "x")
		require.Error(t, err)
		require.False(t, ok)
	})
	t.Run("LastFromLeader/NoDirectGets", func(t *testing.T) {
		t.Parallel()
		// The leader answers even where direct gets are off.
		m, ok, err := streamio.LastFromLeader(t.Context(), f.nc, f.noDirect, f.noDirect+".a.1")
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, "x", string(m.Data))
	})
}

// NextFromLeader finds the first message at a sequence or after, on any
// subject of a filter, or says there is none.
func TestNextFromLeader(t *testing.T) {
	t.Parallel()
	f := setupRead(t)
	tests := []struct {
		name    string
		subject string // appended to "<stream>."
		seq     uint64
		want    uint64 // 0: none
	}{
		{name: "FromStart", subject: ">", seq: 1, want: 1},
		{name: "AtSeq", subject: ">", seq: 3, want: 3},
		{name: "Subject", subject: "a.1", seq: 2, want: 4},
		{name: "Wildcard", subject: "b.*", seq: 3, want: 5},
		{name: "Last", subject: ">", seq: 5, want: 5},
		{name: "PastTheEnd", subject: ">", seq: 6},
		{name: "NoMessage", subject: "none", seq: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, ok, err := streamio.NextFromLeader(t.Context(), f.nc, f.stream, f.stream+"."+tt.subject, tt.seq)
			f.checkFound(t, tt.want, m, ok, err)
		})
	}
	t.Run("NoSuchStream", func(t *testing.T) {
		t.Parallel()
		_, ok, err := streamio.NextFromLeader(t.Context(), f.nc, "nosuchstream", ">", 1)
		require.Error(t, err)
		require.False(t, ok)
	})
}
