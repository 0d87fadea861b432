//go:build !linux

package worker

import (
	"errors"
	"fmt"
	"os"
)

// sealedMemfd needs Linux; runs of commands and scripts need it anyway.
func sealedMemfd(name string, data []byte) (*os.File, error) {
	return nil, fmt.Errorf("memfd: %w", errors.ErrUnsupported)
}

// notDumpable needs Linux, where runs are supported.
func notDumpable() error { return nil }
