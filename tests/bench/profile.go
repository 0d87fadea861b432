package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// startProfile starts a CPU profile written to base + "." + phase (base
// alone if phase is empty), or does nothing when base is empty. The
// returned function stops it.
func startProfile(base, phase string) (stop func() error, err error) {
	if base == "" {
		return func() error { return nil }, nil
	}
	name := base
	if phase != "" {
		name += "." + phase
	}
	f, err := os.Create(name)
	if err != nil {
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}
