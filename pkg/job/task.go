package job

import (
	"strings"
)

// TaskKind names what a run does.
type TaskKind string

// Task is what a run does: exactly the fields of its Kind are set. Each
// kind's fields, rules and defaults are in its own file, task_<kind>.go.
type Task struct {
	Kind TaskKind `json:"kind" yaml:"kind"`
	// Command is the argv of a command task, run without a shell.
	Command []string `json:"command,omitempty" yaml:"command,omitempty"`
	// Interpreter runs a script task ("python3", "bash", ...).
	Interpreter string `json:"interpreter,omitempty" yaml:"interpreter,omitempty"`
	// Script is the script in object storage, pinned by digest.
	Script *ScriptRef `json:"script,omitempty" yaml:"script,omitempty"`
	// Args are extra arguments after the script path.
	Args []string `json:"args,omitempty" yaml:"args,omitempty"`
	// HTTP is the request of an http task.
	HTTP *HTTPRequest `json:"http,omitempty" yaml:"http,omitempty"`
	// Handler names the Go handler of a go task.
	Handler string `json:"handler,omitempty" yaml:"handler,omitempty"`
}

// kindRules is what one task kind adds to a definition: the check of its
// fields and the defaults of its optional ones. A kind declares its rules
// next to its constant, in task_<kind>.go, and is listed once in taskKinds.
type kindRules struct {
	kind TaskKind
	// validate checks the kind's fields of t. Field paths are the JSON
	// paths of the definition ("task.http.url").
	validate func(t Task) FieldErrors
	// defaults fills the kind's optional fields of s (before the generic
	// defaults); nil when the kind has none.
	defaults func(s *Spec)
}

// taskKinds are the kinds a definition may name, in the order messages
// list them.
var taskKinds = []kindRules{commandKind, scriptKind, httpKind, goKind}

// TaskKinds lists every task kind.
var TaskKinds = func() []TaskKind {
	out := make([]TaskKind, len(taskKinds))
	for i, k := range taskKinds {
		out[i] = k.kind
	}
	return out
}()

// rulesOf returns the rules of kind k, and false for an unknown kind.
func rulesOf(k TaskKind) (kindRules, bool) {
	for _, r := range taskKinds {
		if r.kind == k {
			return r, true
		}
	}
	return kindRules{}, false
}

// validate checks the task: its kind's own rules, then the fields every
// kind shares.
func (t Task) validate() FieldErrors {
	var es FieldErrors
	rules, known := rulesOf(t.Kind)
	switch {
	case known:
		es = append(es, rules.validate(t)...)
	case t.Kind == "":
		es = append(es, Fieldf("task", "is required: a kind (%s) and its fields", kindOr(TaskKinds)))
	default:
		es = append(es, Fieldf("task.kind", "unknown kind %q (use %s)", t.Kind, kindOr(TaskKinds)))
	}
	if hasNUL(t.Args) {
		es = append(es, Fieldf("task.args", "an argument contains a NUL byte"))
	}
	return es
}

// kindOr lists kinds as "command, script, http or go".
func kindOr(ks []TaskKind) string {
	s := kindList(ks)
	if i := strings.LastIndex(s, ", "); i >= 0 {
		s = s[:i] + " or " + s[i+2:]
	}
	return s
}

// hasNUL reports whether any argument contains a NUL byte, which no argv
// can carry.
func hasNUL(args []string) bool {
	for _, a := range args {
		if strings.ContainsRune(a, 0) {
			return true
		}
	}
	return false
}
