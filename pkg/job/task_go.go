package job

import (
	"fmt"
)

// TaskGo runs a Go handler registered by a worker embedded in a Go program.
const TaskGo TaskKind = "go"

// GoQueuePrefix starts the default queue of a Go handler's jobs.
const GoQueuePrefix = "go-"

// GoQueue is the default queue of the jobs of Go handler name: a worker
// that registers the handler pulls it, and a worker without the handler
// (jetcron dev's, or one that pulls only "default") never sees the jobs.
func GoQueue(handler string) string { return GoQueuePrefix + handler }

// MaxHandlerLen is the longest Go handler name: its queue, GoQueue(name),
// must be a valid name too.
const MaxHandlerLen = MaxNameLen - len(GoQueuePrefix)

// ValidateHandler checks a Go handler name: a name (see ValidateName) of at
// most MaxHandlerLen characters.
func ValidateHandler(name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	if len(name) > MaxHandlerLen {
		return fmt.Errorf("is %d characters; a handler name has at most %d", len(name), MaxHandlerLen)
	}
	return nil
}

var goKind = kindRules{kind: TaskGo, validate: validateGo, defaults: goDefaults}

func validateGo(t Task) FieldErrors {
	if err := ValidateHandler(t.Handler); err != nil {
		return FieldErrors{Fieldf("task.handler", "%v", err)}
	}
	return nil
}

// goDefaults runs a Go handler's job on the handler's own queue.
func goDefaults(s *Spec) {
	if s.Queue == "" && s.Task.Handler != "" {
		s.Queue = GoQueue(s.Task.Handler)
	}
}
