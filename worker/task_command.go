package worker

import (
	"context"
	"fmt"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/worker/internal/process"
)

func init() {
	runnerKinds[job.TaskCommand] = func(*Worker) runner { return commandRunner{} }
}

// commandRunner runs command tasks: the job's argument vector, its program
// looked up on the run's PATH, as a process of the run (task_process.go).
type commandRunner struct{}

// check passes: every worker that allows commands can run one.
func (commandRunner) check(*job.Work) error { return nil }

func (commandRunner) run(ctx context.Context, x *execution) outcome {
	return x.runProcess(ctx, commandProgram)
}

func (commandRunner) closeIdle() {}

// commandProgram finds the command's program on the run's PATH.
func commandProgram(_ context.Context, x *execution, env []string) (program, *outcome) {
	argv := x.work.Spec.Task.Command
	path, err := process.LookPath(argv[0], envValue(env, "PATH"))
	if err != nil {
		return program{}, &outcome{state: job.StateFailed, err: fmt.Sprintf("command %q: %v", argv[0], err)}
	}
	return program{path: path, argv: argv}, nil
}

var _ runner = commandRunner{}
