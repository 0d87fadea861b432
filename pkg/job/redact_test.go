package job

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRedacted(t *testing.T) {
	t.Parallel()
	s := Spec{Name: "x", Env: map[string]string{"PASS": "hunter2", "REF": "${secret:db_pass}", "EMPTY": ""},
		Task: Task{Kind: TaskHTTP, HTTP: &HTTPRequest{URL: "https://u:pw@api.example/x?token=abc&flag&b=2",
			Headers: map[string]string{"Authorization": "Bearer t0k", "X-Any": "v", "X-Ref": "${secret:k}"}}}}
	r := s.Redacted()
	require.Equal(t, map[string]string{"PASS": "***", "REF": "${secret:db_pass}", "EMPTY": ""}, r.Env)
	require.Equal(t, map[string]string{"Authorization": "***", "X-Any": "***", "X-Ref": "${secret:k}"}, r.Task.HTTP.Headers)
	require.Equal(t, "https://u:%2A%2A%2A@api.example/x?token=***&flag&b=***", r.Task.HTTP.URL)
	require.Equal(t, "hunter2", s.Env["PASS"], "the original is untouched")
	require.Equal(t, "Bearer t0k", s.Task.HTTP.Headers["Authorization"])

	back := r.Unredact(s)
	require.Equal(t, s.Env, back.Env, "masked values written back keep the stored ones")
	require.Equal(t, s.Task.HTTP.URL, back.Task.HTTP.URL)
	require.Equal(t, s.Task.HTTP.Headers, back.Task.HTTP.Headers)

	_, ok := SecretRef("${secret:../etc/passwd}")
	require.False(t, ok)
	bad := s
	bad.Env = map[string]string{"P": "${secret:a/b}"}
	require.ErrorContains(t, bad.Validate(), "not a secret reference")
}
