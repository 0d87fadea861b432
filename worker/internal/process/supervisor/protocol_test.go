//go:build linux

package supervisor_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/worker/internal/process/supervisor"
)

func TestProtocol(t *testing.T) {
	t.Parallel()

	t.Run("RequestRoundTrip", func(t *testing.T) {
		t.Parallel()
		req := supervisor.Request{Path: "/bin/x", Dir: "/d", Args: []string{"x", "", "\xff\n"}, Env: []string{}}
		r, w, err := os.Pipe()
		require.NoError(t, err)
		defer r.Close()
		go func() {
			_, _ = w.Write(req.Encode())
			w.Close()
		}()
		got, err := supervisor.ReadRequest(r)
		require.NoError(t, err)
		require.Equal(t, req, got)
	})

	t.Run("RequestLongFields", func(t *testing.T) {
		t.Parallel()
		// Lengths of one, two and three varint bytes, and every byte value.
		long := strings.Repeat("a", 200)
		huge := strings.Repeat("\x00\xff", 1<<14)
		var all []byte
		for b := range 256 {
			all = append(all, byte(b))
		}
		req := supervisor.Request{Path: long, Dir: huge, Args: []string{string(all), "", long}, Env: make([]string, 300), Cred: "1:2", Cgroup: "/c", Files: 64}
		got, err := supervisor.ReadRequest(bytes.NewReader(req.Encode()))
		require.NoError(t, err)
		require.Equal(t, req, got)
	})

	t.Run("RequestRefused", func(t *testing.T) {
		t.Parallel()
		enc := supervisor.Request{Path: "/bin/x", Args: []string{"x"}}.Encode()
		for name, b := range map[string][]byte{
			"empty":         nil,
			"short length":  enc[:3],
			"truncated":     enc[:len(enc)-1],
			"trailing":      append(binary.BigEndian.AppendUint32(nil, uint32(len(enc)-4+1)), append(append([]byte{}, enc[4:]...), 0)...),
			"too large":     binary.BigEndian.AppendUint32(nil, 64<<20+1),
			"field overrun": append(binary.BigEndian.AppendUint32(nil, 2), 0x7f, 'x'),
			"varint overflow": append(binary.BigEndian.AppendUint32(nil, 11),
				0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01),
			"too many files": append(binary.BigEndian.AppendUint32(nil, 7), 0, 0, 0, 0, 65, 0, 0),
		} {
			_, err := supervisor.ReadRequest(bytes.NewReader(b))
			require.Error(t, err, name)
		}
	})

	t.Run("ReportRoundTrip", func(t *testing.T) {
		t.Parallel()
		for _, rep := range []supervisor.Report{
			{Kind: supervisor.Started, PID: 42},
			{Kind: supervisor.Exited, Code: 3, Duration: time.Second},
			{Kind: supervisor.Signaled, Code: -1, Signal: syscall.SIGKILL, Duration: 5},
		} {
			line := rep.Line()
			got, err := supervisor.ParseReport(line[:len(line)-1])
			require.NoError(t, err)
			require.Equal(t, rep, got)
		}
		line := supervisor.Report{Kind: supervisor.Failed, Err: &os.PathError{Op: "fork/exec", Path: "/x y", Err: syscall.ENOENT}}.Line()
		got, err := supervisor.ParseReport(line[:len(line)-1])
		require.NoError(t, err)
		require.ErrorIs(t, got.Err, syscall.ENOENT)
		require.EqualError(t, got.Err, "fork/exec /x y: no such file or directory")
	})

	t.Run("ReadReports", func(t *testing.T) {
		t.Parallel()
		// Lines arrive in pieces of any size; a line cut short by the end
		// of the pipe is an error, and so is a line too long.
		lines := supervisor.Report{Kind: supervisor.Started, PID: 7}.Line() +
			supervisor.Report{Kind: supervisor.Exited, Code: 1, Duration: time.Millisecond}.Line()
		for _, tc := range []struct {
			name string
			in   string
			want int
			err  string
		}{
			{name: "whole", in: lines, want: 2},
			{name: "cut short", in: lines + "exited 1", want: 2, err: "cut short"},
			{name: "garbage", in: "hello\n", err: "unknown kind"},
			{name: "too long", in: strings.Repeat("x", 70<<10), err: "longer than"},
		} {
			out := make(chan supervisor.Report, 4)
			done := make(chan error, 1)
			go func() { done <- supervisor.ReadReports(iotest.OneByteReader(strings.NewReader(tc.in)), out) }()
			var got []supervisor.Report
			for rep := range out {
				got = append(got, rep)
			}
			err := <-done
			require.Len(t, got, tc.want, tc.name)
			if tc.err == "" {
				require.NoError(t, err, tc.name)
			} else {
				require.ErrorContains(t, err, tc.err, tc.name)
			}
		}
	})
}
