package job

import (
	"regexp"
	"slices"
	"strings"
)

// TaskScript runs a script kept in the scripts store with an interpreter.
const TaskScript TaskKind = "script"

// MaxScriptBytes is the largest script a script task may run.
const MaxScriptBytes = 10 << 20

// Interpreters are the script interpreters a definition may name. A worker
// runs a script only if it also allows the interpreter (see the worker's
// Interpreters setting).
var Interpreters = []string{"bash", "sh", "python3", "python", "ruby", "node", "perl", "php", "pwsh"}

// ScriptRef pins a script kept in the scripts store.
type ScriptRef struct {
	// Name is the file name the script was uploaded from, for people.
	Name string `json:"name,omitempty" yaml:"name,omitempty"`
	// Key is the object key in the scripts store ("sha256/<hex>").
	Key string `json:"key" yaml:"key"`
	// SHA256 is the hex digest the worker verifies before running.
	SHA256 string `json:"sha256" yaml:"sha256"`
	// Size is the script's size in bytes.
	Size int64 `json:"size" yaml:"size"`
}

// ScriptKey is the object key of a script with the given hex digest.
func ScriptKey(sha256Hex string) string { return "sha256/" + sha256Hex }

var sha256RE = regexp.MustCompile(`^[0-9a-f]{64}$`)

var scriptKind = kindRules{kind: TaskScript, validate: validateScript}

func validateScript(t Task) FieldErrors {
	var es FieldErrors
	add := func(field, format string, args ...any) { es = append(es, Fieldf(field, format, args...)) }
	switch {
	case t.Interpreter == "":
		add("task.interpreter", "is required for a script task (one of %s)", strings.Join(Interpreters, ", "))
	case !slices.Contains(Interpreters, t.Interpreter):
		add("task.interpreter", "unknown interpreter %q (known: %s)", t.Interpreter, strings.Join(Interpreters, ", "))
	}
	switch {
	case t.Script == nil:
		add("task.script", "is required for a script task")
	case !sha256RE.MatchString(t.Script.SHA256):
		add("task.script.sha256", "must be 64 lower-case hex digits")
	case t.Script.Key != ScriptKey(t.Script.SHA256):
		add("task.script.key", "must be %q for this digest", ScriptKey(t.Script.SHA256))
	case t.Script.Size < 0:
		add("task.script.size", "must not be negative")
	case t.Script.Size > MaxScriptBytes:
		add("task.script.size", "%d bytes is over the limit of %d", t.Script.Size, MaxScriptBytes)
	}
	return es
}
