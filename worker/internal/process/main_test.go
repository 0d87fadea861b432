//go:build linux

package process

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

// childEnv, when set, turns the test binary into a mini worker (see
// miniWorker). Its value says how the mini worker ends.
const childEnv = "JETCRON_PROCESS_TEST_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(miniWorker(mode))
	}
	goleak.VerifyTestMain(m)
}

// miniWorker is a worker reduced to one Run of a script that starts a
// background child and prints "<script pid> <background pid>". It forwards
// the script's output to stdout. In mode "block" it then waits to be killed;
// in mode "exit" it calls os.Exit(0), with the run active, as soon as it can
// read a byte from stdin.
func miniWorker(mode string) int {
	bash, err := LookPath("bash", "/usr/bin:/bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	out := &lineSignal{line: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, err := Run(context.Background(), Spec{
			Path:   bash,
			Args:   []string{"bash", "-c", "sleep 300 & echo $$ $!; sleep 300"},
			Env:    []string{"PATH=/usr/bin:/bin"},
			Output: out,
		})
		done <- err
	}()
	select {
	case <-out.line:
	case err := <-done:
		fmt.Fprintln(os.Stderr, "run ended early:", err)
		return 1
	}
	switch mode {
	case "exit":
		// Wait for the go-ahead so the test can record the tree first.
		_, _ = os.Stdin.Read(make([]byte, 1))
		os.Exit(0)
	case "block":
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", mode)
		return 1
	}
	err = <-done // never: the test kills this process
	fmt.Fprintln(os.Stderr, "run ended:", err)
	return 1
}

// lineSignal forwards writes to stdout and closes line after the first
// complete line.
type lineSignal struct {
	once sync.Once
	line chan struct{}
}

func (l *lineSignal) Write(p []byte) (int, error) {
	n, err := os.Stdout.Write(p)
	if bytes.IndexByte(p, '\n') >= 0 {
		l.once.Do(func() { close(l.line) })
	}
	return n, err
}
