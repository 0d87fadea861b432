package miniotest

import "syscall"

// procAttr starts the server in a process group of its own, killed when
// the test process dies.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}
