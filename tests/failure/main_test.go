package failure_test

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

var (
	full = flag.Bool("full", false, "run the full-length scenarios (minutes each) and print their figures (task test:faults)")
	race = flag.Bool("race-binary", false, "build the jetcron binary with the race detector (every run of a script then starts a race-enabled supervisor: expect lower throughput)")
)

// bins are the programs built once for every scenario.
var bins struct {
	jetcron, nats, probe string
}

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("tests/failure: skipped in -short mode")
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "jetcron-faults-bin-")
	if err == nil {
		// Runs execute the probe under uids of their own.
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		bins.jetcron = filepath.Join(dir, "jetcron")
		bins.nats = filepath.Join(dir, "nats-server")
		bins.probe = filepath.Join(dir, "probe")
		jetcronArgs := []string{"build", "-o", bins.jetcron}
		if *race {
			jetcronArgs = append(jetcronArgs, "-race")
		}
		for _, args := range [][]string{
			append(jetcronArgs, "github.com/jetcron/jetcron/cmd/jetcron"),
			// The real nats-server, at the version the module requires.
			{"build", "-o", bins.nats, "github.com/nats-io/nats-server/v2"},
			{"build", "-o", bins.probe, "github.com/jetcron/jetcron/tests/failure/probe"},
		} {
			cmd := exec.Command("go", args...)
			cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
			if err := cmd.Run(); err != nil {
				fmt.Fprintf(os.Stderr, "tests/failure: go %v: %v\n", args, err)
				return 1
			}
		}
		return m.Run()
	}()
	os.Exit(code)
}
