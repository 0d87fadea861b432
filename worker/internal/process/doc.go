// Package process runs one program (a job's command or script) so that it
// never outlives the worker, and reports exactly how it ended.
//
// # Invariant
//
// A run never outlives its worker, and nothing it starts outlives the run. The
// program runs in its own process group with a supervisor that has a
// parent-death signal; stopping a run sends SIGTERM to the group, then kills
// the whole run after a grace period; the program sees only the environment
// given in Spec.Env, and runs under Spec.Credential when given (DESIGN
// invariant 10: a run is a stranger to its worker). Without this, a worker that crashes
// leaves its scripts running, and the redelivered execution runs a second
// copy beside the first (RELIABILITY T09).
//
// # The supervisor
//
// Run does not start the program itself. It re-executes the running binary
// (/proc/self/exe, which names the running image even after the file on disk
// was replaced by an upgrade) as
//
//	<argv0> __jetcron_supervise__
//
// and the init function of package supervisor, which this package imports,
// turns that process into a supervisor and exits before main runs. Every
// binary that links this package can therefore supervise: the jetcron
// binary, a user's program that embeds a worker, and the test binaries of
// every package that imports it. Nothing needs to be registered, but no
// init function that runs before the supervisor's may consume or reject
// that argument. The supervisor is a package of its own, importing only
// standard packages that are initialised early, so that it takes over
// before most of the binary's packages initialise (see its doc.go).
//
// Run starts the supervisor with Setpgid, so the supervisor leads a new
// process group, and with Pdeathsig SIGHUP. Linux sends the parent-death
// signal when the thread that forked the child exits, not the process, so
// Run forks from a goroutine locked to its OS thread (runtime.LockOSThread)
// until the supervisor has been reaped; otherwise the Go runtime could end
// that thread and kill a healthy run. The supervisor gets an empty
// environment: the program's environment reaches it only through a pipe, so
// a job cannot set LD_PRELOAD or GODEBUG for the supervisor, and secrets do
// not appear in its command line (which /proc shows to every user).
//
// Two pipes connect the worker and the supervisor (see
// supervisor/protocol_linux.go):
//
//   - The lifeline, worker to supervisor (fd 3), carries the request (path,
//     argv, directory, environment), then stays open. Only the worker holds
//     its write end (it is close-on-exec everywhere), so end of file means
//     the worker is gone, however it died.
//   - The status pipe, supervisor to worker (fd 4), carries "started <pid>",
//     then "exited <code>" or "signaled <signal>" with the run time, or
//     "failed <errno>" when the program could not be started.
//
// The supervisor then:
//
//  1. calls signal.Notify for SIGHUP, SIGTERM and SIGUSR2. It never ignores SIGTERM
//     with signal.Ignore: an ignored disposition is inherited across exec,
//     and the program would ignore the SIGTERM meant for it. A caught one is
//     reset to the default by exec;
//  2. starts the program as its child, in the supervisor's process group,
//     with stdin /dev/null, stdout and stderr on the worker's output pipe,
//     and the environment exactly as given (empty for a nil Spec.Env);
//  3. waits for it, writes the exit report, and kills the run (killAll): the
//     run's cgroup if it has one, the processes it adopted as a subreaper,
//     then its own process group, itself included. That kills the
//     program's background children ("sleep 60 &"), atomically with respect
//     to fork, and the daemons that left the group.
//
// If the worker dies meanwhile, both SIGHUP (the parent-death signal) and
// end of file on the lifeline make the supervisor kill the run at once.
// Either suffices alone (TestSupervisorAlone); each covers a weakness of the
// other: the signal depends on the forking thread, the lifeline on no other
// process holding a copy of its write end. Before the supervisor has called
// Notify, SIGHUP simply kills it, and it has not started anything yet.
//
// # Stopping, and what the worker observes
//
// When Run's context ends, Run sends SIGTERM to the whole group: the program
// and its children react, the supervisor ignores it and stays to report.
// After KillGrace Run asks the supervisor to kill the run (SIGUSR2, see
// below), so Result says "killed by SIGKILL".
//
// Run waits for the supervisor with waitid(WNOWAIT) before reaping it: while
// the supervisor is an unreaped zombie, its pid, which is the group ID,
// cannot be reused, so a signal to the group can never reach a stranger. Run
// signals the group only before it reaps the supervisor, and sends one more
// SIGKILL just before, in case something else killed the supervisor and left
// the group behind (then Run returns ErrSupervisorLost).
//
// # Containment: descendants that leave the group
//
// A descendant that calls setsid (or double-forks into a new session)
// leaves the process group and escapes a group kill. Two mechanisms catch
// it; which one applies is decided by the caller through Spec.CgroupParent:
//
//   - A cgroup v2 per run, where one is available (CgroupParent finds the
//     worker's own cgroup and checks that a child can be created: a root
//     worker on a host with cgroup v2 mounted read-write, at /sys/fs/cgroup
//     or, in a hybrid setup, at /sys/fs/cgroup/unified; a systemd service
//     with Delegate=yes). Run creates <parent>/jetcron-run-<pid>-<n> and
//     starts the supervisor in it with clone3(CLONE_INTO_CGROUP), so no
//     process of the run is ever outside it. The supervisor ends the run
//     with cgroup.kill; Run writes cgroup.kill again after reaping the
//     supervisor (it may have been killed before it could) and removes the
//     cgroup once it is empty.
//   - Always, and alone where no cgroup is available (a container whose
//     /sys/fs/cgroup is read-only, an unprivileged worker without a
//     delegated cgroup): the supervisor is a child subreaper
//     (PR_SET_CHILD_SUBREAPER). An orphan of the run is adopted by the
//     supervisor instead of init, and before it ends, the supervisor kills
//     and reaps its children round after round until it has none left
//     (supervisor/sweep_linux.go). Its weakness: if the supervisor itself
//     is killed from outside (SIGKILL by an operator), its adopted orphans
//     go to init. For that reason Run does not end a run whose grace period is
//     over with a SIGKILL to the group, which would end the supervisor
//     first: it sends SIGUSR2 to the supervisor alone, which kills the
//     whole run, and sends the group SIGKILL only if the supervisor has not
//     ended DrainTimeout later.
//
// The output pipe closes when every process holding it has died. Should a
// descendant still hold it (the supervisor killed from outside, no
// cgroup), Run stops reading DrainTimeout after the supervisor ended and
// sets Result.OutputCut.
//
// # Identity
//
// Spec.Credential makes the program run under another uid and gid, with no
// supplementary groups (SysProcAttr.Credential, set by the supervisor).
// The supervisor keeps the worker's identity, so the program can neither
// signal nor trace it, and it is not dumpable (PR_SET_DUMPABLE 0) in any
// case, so that a program running under the worker's own uid cannot trace
// it either and forge its reports. Spec.ExtraFiles reach the program as
// fds 3, 4, ...: the worker passes a verified script as a sealed memfd that
// the interpreter reads as /dev/fd/3, so no file can be swapped between the
// digest check and the execution.
//
// # Platforms
//
// Run needs Linux. On other systems it returns errors.ErrUnsupported, so that
// the module still builds there. LookPath works everywhere.
package process
