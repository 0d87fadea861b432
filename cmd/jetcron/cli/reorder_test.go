package cli

import (
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReorder(t *testing.T) {
	t.Parallel()
	app := App(Deps{Stdout: io.Discard, Stderr: io.Discard})
	cases := []struct {
		in, want []string
	}{
		{
			[]string{"jetcron", "job", "create", "hello", "--every", "2s", "--", "echo", "hello"},
			[]string{"jetcron", "job", "create", "--every", "2s", "--", "hello", "echo", "hello"},
		},
		{
			[]string{"jetcron", "job", "create", "--every", "2s", "hello", "--", "echo", "--every"},
			[]string{"jetcron", "job", "create", "--every", "2s", "--", "hello", "echo", "--every"},
		},
		{
			[]string{"jetcron", "dev", "--log-level", "debug", "--data", "/x"},
			[]string{"jetcron", "--log-level", "debug", "dev", "--data", "/x"},
		},
		{
			[]string{"jetcron", "job", "disable", "nightly", "--reason", "maintenance window", "--nats", "nats://x:4222"},
			[]string{"jetcron", "--nats", "nats://x:4222", "job", "disable", "--reason", "maintenance window", "--", "nightly"},
		},
		{
			[]string{"jetcron", "job", "run", "poll", "--force", "-p", "page=2"},
			[]string{"jetcron", "job", "run", "--force", "-p", "page=2", "--", "poll"},
		},
		{
			[]string{"jetcron", "--namespace", "x", "job", "list"},
			[]string{"jetcron", "--namespace", "x", "job", "list"},
		},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, reorder(app, tc.in), "%q", tc.in)
	}
}
