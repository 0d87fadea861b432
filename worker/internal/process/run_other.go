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

// CgroupParent is only implemented on Linux.
func CgroupParent() (string, error) {
	return "", fmt.Errorf("%w: %w", ErrNoCgroup, errors.ErrUnsupported)
}

// CheckCgroupParent is only implemented on Linux.
func CheckCgroupParent(dir string) error {
	return fmt.Errorf("%w: %w", ErrNoCgroup, errors.ErrUnsupported)
}

// RemoveStaleCgroups is only implemented on Linux.
func RemoveStaleCgroups(parent string) int { return 0 }
