//go:build !linux

package process

import (
	"context"
	"errors"
	"fmt"
)

// Run is only implemented on Linux, which has the parent-death signal the
// supervisor relies on; elsewhere it returns errors.ErrUnsupported.
func Run(ctx context.Context, spec Spec) (Result, error) {
	return Result{ExitCode: -1}, fmt.Errorf("run %s: %w", spec.Path, errors.ErrUnsupported)
}
