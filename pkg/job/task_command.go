package job

// TaskCommand runs a program with arguments, without a shell.
const TaskCommand TaskKind = "command"

// MaxArgv is the most elements a command task's argv may have.
const MaxArgv = 1024

var commandKind = kindRules{kind: TaskCommand, validate: validateCommand}

func validateCommand(t Task) FieldErrors {
	var es FieldErrors
	if len(t.Command) == 0 || t.Command[0] == "" {
		es = append(es, Fieldf("task.command", "must name a program: its first element is the program to run"))
	}
	if len(t.Command) > MaxArgv {
		es = append(es, Fieldf("task.command", "has %d arguments; at most %d are allowed", len(t.Command), MaxArgv))
	}
	if hasNUL(t.Command) {
		es = append(es, Fieldf("task.command", "an argument contains a NUL byte"))
	}
	return es
}
