//go:build linux

package process

import (
	"bufio"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestWorkerDies runs a real worker process (this test binary in mini-worker
// mode, see TestMain) and makes it die while a run is active. The run's whole
// process tree must be gone within a second (RELIABILITY T09).
func TestWorkerDies(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		name string
		mode string // the mini worker's mode
		kill bool   // the test SIGKILLs the mini worker
	}{
		{name: "KilledWithSIGKILL", mode: "block", kill: true},
		{name: "ExitsWithRunActive", mode: "exit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			outR, outW, err := os.Pipe()
			require.NoError(t, err)
			defer outR.Close()
			inR, inW, err := os.Pipe()
			require.NoError(t, err)
			defer inW.Close()
			worker := exec.Command(os.Args[0], "-test.run=^$")
			// Under -race, os.Exit sleeps 1s before the process ends
			// (GORACE atexit_sleep_ms); the worker would die that much later.
			worker.Env = append(os.Environ(), childEnv+"="+tc.mode,
				"GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
			worker.Stdin = inR
			worker.Stdout = outW
			worker.Stderr = os.Stderr
			require.NoError(t, worker.Start())
			inR.Close()
			outW.Close()
			waited := false
			defer func() {
				if !waited {
					_ = worker.Process.Kill()
					_ = worker.Wait()
				}
			}()

			require.NoError(t, outR.SetReadDeadline(time.Now().Add(20*time.Second)))
			line, err := bufio.NewReader(outR).ReadString('\n')
			require.NoError(t, err, "the mini worker prints the pids")
			p := pids(t, line)
			require.Len(t, p, 2)
			script, bg := lookupProc(t, p[0]), lookupProc(t, p[1])
			supervisor := lookupProc(t, script.parent(t))
			require.Equal(t, worker.Process.Pid, supervisor.parent(t), "the script's parent is the supervisor")

			if tc.kill {
				require.NoError(t, worker.Process.Kill())
			} else {
				_, err := inW.Write([]byte{'\n'})
				require.NoError(t, err)
			}
			took := requireGone(t, time.Second, script, bg, supervisor)
			t.Logf("tree gone within %v after the worker was told to die", took)
			err = worker.Wait()
			waited = true
			if tc.kill {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
			}
		})
	}
}
