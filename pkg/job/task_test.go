package job

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fieldsOf returns the field of every FieldError in err.
func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	var fields []string
	for _, u := range unwrapAll(err) {
		var fe *FieldError
		require.True(t, errors.As(u, &fe), "%T is not a *FieldError: %v", u, u)
		fields = append(fields, fe.Field)
	}
	return fields
}

// TestTaskFieldErrors: every rule of every task kind names the field as a
// definition file and the HTTP API write it, and never in the words of the
// command line (the CLI maps a field to its flag itself).
func TestTaskFieldErrors(t *testing.T) {
	t.Parallel()
	digest := strings.Repeat("a", 64)
	script := func(edit func(*ScriptRef)) Task {
		ref := &ScriptRef{Key: ScriptKey(digest), SHA256: digest, Size: 10}
		if edit != nil {
			edit(ref)
		}
		return Task{Kind: TaskScript, Interpreter: "bash", Script: ref}
	}
	web := func(edit func(*HTTPRequest)) Task {
		r := &HTTPRequest{URL: "https://example.com/x"}
		edit(r)
		return Task{Kind: TaskHTTP, HTTP: r}
	}
	cases := []struct {
		name  string
		task  Task
		field string
		msg   string // part of the message
	}{
		{"NoKind", Task{}, "task", "is required"},
		{"UnknownKind", Task{Kind: "cobol"}, "task.kind", "use command, script, http or go"},
		{"ArgNUL", Task{Kind: TaskCommand, Command: []string{"true"}, Args: []string{"a\x00"}}, "task.args", "NUL"},

		{"CommandEmpty", Task{Kind: TaskCommand}, "task.command", "must name a program"},
		{"CommandEmptyProgram", Task{Kind: TaskCommand, Command: []string{""}}, "task.command", "must name a program"},
		{"CommandTooLong", Task{Kind: TaskCommand, Command: strings.Split(strings.Repeat("x", MaxArgv+1), "")}, "task.command", "at most 1024"},
		{"CommandNUL", Task{Kind: TaskCommand, Command: []string{"echo", "a\x00b"}}, "task.command", "NUL"},

		{"ScriptNoInterpreter", Task{Kind: TaskScript, Script: script(nil).Script}, "task.interpreter", "is required"},
		{"ScriptUnknownInterpreter", Task{Kind: TaskScript, Interpreter: "cobol", Script: script(nil).Script}, "task.interpreter", `"cobol"`},
		{"ScriptNoRef", Task{Kind: TaskScript, Interpreter: "bash"}, "task.script", "is required"},
		{"ScriptBadDigest", script(func(r *ScriptRef) { r.SHA256 = "abc" }), "task.script.sha256", "64"},
		{"ScriptKeyMismatch", script(func(r *ScriptRef) { r.Key = "elsewhere" }), "task.script.key", "sha256/"},
		{"ScriptNegativeSize", script(func(r *ScriptRef) { r.Size = -1 }), "task.script.size", "negative"},
		{"ScriptTooLarge", script(func(r *ScriptRef) { r.Size = MaxScriptBytes + 1 }), "task.script.size", "10485761 bytes"},

		{"HTTPNoRequest", Task{Kind: TaskHTTP}, "task.http", "is required"},
		{"HTTPNotHTTP", web(func(r *HTTPRequest) { r.URL = "ftp://x" }), "task.http.url", "not an http or https URL"},
		{"HTTPNoHost", web(func(r *HTTPRequest) { r.URL = "https://" }), "task.http.url", "not an http or https URL"},
		{"HTTPHeaderName", web(func(r *HTTPRequest) { r.Headers = map[string]string{"a b": "c"} }), "task.http.headers", "header name"},
		{"HTTPHeaderLineBreak", web(func(r *HTTPRequest) { r.Headers = map[string]string{"A": "1\r\nB: 2"} }), "task.http.headers", "line break"},
		{"HTTPHeaderBadSecret", web(func(r *HTTPRequest) { r.Headers = map[string]string{"A": "${secret:a b}"} }), "task.http.headers", "secret reference"},
		{"HTTPMethod", web(func(r *HTTPRequest) { r.Method = "GE T" }), "task.http.method", "not an HTTP method"},
		{"HTTPBodyTooLarge", web(func(r *HTTPRequest) { r.Body = strings.Repeat("x", MaxHTTPBodyBytes+1) }), "task.http.body", "at most 262144"},
		{"HTTPNegativeTimeout", web(func(r *HTTPRequest) { r.Timeout = Duration(-time.Second) }), "task.http.timeout", "positive"},

		{"GoNoHandler", Task{Kind: TaskGo}, "task.handler", "empty"},
		{"GoHandlerTooLong", Task{Kind: TaskGo, Handler: strings.Repeat("h", MaxHandlerLen+1)}, "task.handler", "at most 125"},
		{"GoHandlerDot", Task{Kind: TaskGo, Handler: "a.b"}, "task.handler", "'.'"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := validSpec()
			s.Task = tc.task
			err := s.Validate()
			require.ErrorIs(t, err, ErrInvalid)
			require.Equal(t, []string{tc.field}, fieldsOf(t, err), "%v", err)
			var fe *FieldError
			require.True(t, errors.As(err, &fe))
			require.Contains(t, fe.Msg, tc.msg)
			require.Equal(t, tc.field+": "+fe.Msg, err.Error(), "the message starts with the field's path")
			require.NotContains(t, fe.Msg, "--", "a definition's error speaks of fields, not flags")
		})
	}
}

// TestTaskKindsAreValid: a minimal task of every kind is valid, and the
// list of kinds is the registry's.
func TestTaskKindsAreValid(t *testing.T) {
	t.Parallel()
	digest := strings.Repeat("b", 64)
	minimal := map[TaskKind]Task{
		TaskCommand: {Kind: TaskCommand, Command: []string{"true"}},
		TaskScript:  {Kind: TaskScript, Interpreter: "python3", Script: &ScriptRef{Key: ScriptKey(digest), SHA256: digest}},
		TaskHTTP:    {Kind: TaskHTTP, HTTP: &HTTPRequest{URL: "http://example.com"}},
		TaskGo:      {Kind: TaskGo, Handler: "refresh"},
	}
	require.Equal(t, []TaskKind{TaskCommand, TaskScript, TaskHTTP, TaskGo}, TaskKinds)
	for _, k := range TaskKinds {
		s := validSpec()
		s.Task = minimal[k]
		require.NoError(t, s.Validate(), k)
	}
}

// TestKindDefaults: a kind's defaults are filled with the generic ones,
// and WithDefaults leaves its receiver as it was.
func TestKindDefaults(t *testing.T) {
	t.Parallel()
	s := validSpec()
	d := s.WithDefaults()
	require.Equal(t, DefaultQueue, d.Queue)
	require.Equal(t, OverlapDelay, d.Overlap)

	s.Task = Task{Kind: TaskGo, Handler: "refresh"}
	require.Equal(t, "go-refresh", s.WithDefaults().Queue)
	s.Queue = "mine"
	require.Equal(t, "mine", s.WithDefaults().Queue, "a queue given is kept")

	s = validSpec()
	s.Task = Task{Kind: TaskHTTP, HTTP: &HTTPRequest{URL: "http://example.com"}}
	require.Equal(t, "GET", s.WithDefaults().Task.HTTP.Method)
	require.Empty(t, s.Task.HTTP.Method, "the receiver's request is not changed")
	s.Task.HTTP.Method = "POST"
	require.Equal(t, "POST", s.WithDefaults().Task.HTTP.Method)
}
