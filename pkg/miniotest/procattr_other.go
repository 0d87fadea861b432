//go:build unix && !linux

package miniotest

import "syscall"

// procAttr starts the server in a process group of its own; without a
// parent-death signal, a test process killed outright leaves it running.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
